// Packing payloads into a deployment's element type (fp16 through c10::Half, libtorch's own
// IEEE half with round-to-nearest-even).
#include "edgeplan/runtime/wire_format.h"

#include <c10/util/Half.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace edgeplan {

bool wire_supported(ElementType t) { return t == ElementType::F32 || t == ElementType::F16 || t == ElementType::U8; }

float u8_level(int q) { return static_cast<float>(q) / 127.5f - 1.0f; }

namespace {

int nearest_level(float x) {
  const float q = std::nearbyint((x + 1.0f) * 127.5f);
  return static_cast<int>(std::clamp(q, 0.0f, 255.0f));
}

void check(ElementType t) {
  if (!wire_supported(t)) throw std::invalid_argument(std::string("no wire format for ") + to_string(t));
}

}  // namespace

std::vector<float> quantize_to_u8_levels(std::vector<float> values) {
  for (float& v : values) v = u8_level(nearest_level(v));
  return values;
}

std::size_t wire_bytes(std::size_t elements, ElementType t) {
  check(t);
  return elements * static_cast<std::size_t>(element_bytes(t));
}

void pack_wire(const std::vector<float>& values, ElementType t, std::vector<unsigned char>& out) {
  out.resize(wire_bytes(values.size(), t));
  switch (t) {
    case ElementType::F32:
      if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
      return;
    case ElementType::F16:
      for (std::size_t i = 0; i < values.size(); ++i) {
        const std::uint16_t bits = c10::Half(values[i]).x;
        std::memcpy(out.data() + 2 * i, &bits, 2);
      }
      return;
    case ElementType::U8:
      for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<unsigned char>(nearest_level(values[i]));
      return;
    case ElementType::I8: break;
  }
  check(t);
}

void unpack_wire(const std::vector<unsigned char>& in, ElementType t, std::vector<float>& values) {
  if (in.size() != wire_bytes(values.size(), t)) throw std::invalid_argument("wire payload of the wrong size");
  switch (t) {
    case ElementType::F32:
      if (!values.empty()) std::memcpy(values.data(), in.data(), in.size());
      return;
    case ElementType::F16:
      for (std::size_t i = 0; i < values.size(); ++i) {
        c10::Half h;
        std::memcpy(&h.x, in.data() + 2 * i, 2);
        values[i] = static_cast<float>(h);
      }
      return;
    case ElementType::U8:
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = u8_level(in[i]);
      return;
    case ElementType::I8: break;
  }
  check(t);
}

void round_to_wire(std::vector<float>& values, ElementType t) {
  check(t);
  if (t == ElementType::F16)
    for (float& v : values) v = static_cast<float>(c10::Half(v));
  else if (t == ElementType::U8)
    for (float& v : values) v = u8_level(nearest_level(v));
}

}  // namespace edgeplan
