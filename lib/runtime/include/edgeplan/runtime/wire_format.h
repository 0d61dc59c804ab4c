// What a message carries between devices in a deployment's element type: fp32 as computed,
// fp16 rounded to half precision, the image as an 8-bit camera frame. The replay packs and
// unpacks these bytes; run_locally() applies the same rounding in memory, which makes it the
// exact reference of a replay of any precision.
#pragma once
#include <cstdint>
#include <vector>

#include "edgeplan/model/element_type.h"
#include "edgeplan/runtime/part_runner.h"

namespace edgeplan {

// Types a replay can put on the wire: fp32, fp16, uint8 (the image only). int8 activations
// need a quantization scale per tensor that no plan records yet.
bool wire_supported(ElementType t);

// The 256 levels an 8-bit frame stands for: q / 127.5 - 1 (q = 0..255), spanning [-1, 1]
// like the seeded image; and the image quantized to them (as a camera delivers it).
float u8_level(int q);
std::vector<float> quantize_to_u8_levels(std::vector<float> values);

std::size_t wire_bytes(std::size_t elements, ElementType t);
// Packs `values` as type `t` into `out` (resized to wire_bytes); unpacks into `values`
// (whose size says how many). fp16: round to nearest even; uint8: the nearest level.
void pack_wire(const std::vector<float>& values, ElementType t, std::vector<unsigned char>& out);
void unpack_wire(const std::vector<unsigned char>& in, ElementType t, std::vector<float>& values);
// In place: what the receiver of `values` sent as `t` gets.
void round_to_wire(std::vector<float>& values, ElementType t);

}  // namespace edgeplan
