// Static feature-map shape of one tensor (batch is always 1).
#pragma once
#include <cstdint>
#include <string>

namespace edgeplan {

// C x H x W; vectors (after flatten / fully connected) are C x 1 x 1.
struct Shape {
  int c = 0;
  int h = 0;
  int w = 0;

  std::int64_t elements() const { return std::int64_t{c} * h * w; }
  std::int64_t bytes_fp32() const { return elements() * 4; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

std::string to_string(const Shape& s);  // "3x224x224"

// Parses "CxHxW" (e.g. "3x128x128"); throws ModelError on anything else.
Shape parse_shape(const std::string& text);

}  // namespace edgeplan
