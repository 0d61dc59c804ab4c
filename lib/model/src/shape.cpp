// Shape printing and parsing.
#include "edgeplan/model/shape.h"

#include <cctype>

#include "edgeplan/model/error.h"

namespace edgeplan {

std::string to_string(const Shape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

Shape parse_shape(const std::string& text) {
  int dims[3] = {0, 0, 0};
  std::size_t pos = 0;
  for (int d = 0; d < 3; ++d) {
    if (d > 0) {
      if (pos >= text.size() || (text[pos] != 'x' && text[pos] != 'X'))
        throw ModelError("invalid shape '" + text + "': expected CxHxW, e.g. 3x224x224");
      ++pos;
    }
    std::size_t start = pos;
    long long v = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      v = v * 10 + (text[pos] - '0');
      if (v > 1000000) throw ModelError("invalid shape '" + text + "': dimension too large");
      ++pos;
    }
    if (pos == start || v <= 0)
      throw ModelError("invalid shape '" + text + "': expected three positive integers CxHxW");
    dims[d] = static_cast<int>(v);
  }
  if (pos != text.size()) throw ModelError("invalid shape '" + text + "': expected CxHxW, e.g. 3x224x224");
  return Shape{dims[0], dims[1], dims[2]};
}

}  // namespace edgeplan
