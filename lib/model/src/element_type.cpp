#include "edgeplan/model/element_type.h"

namespace edgeplan {

const char* to_string(ElementType t) {
  switch (t) {
    case ElementType::F32: return "fp32";
    case ElementType::F16: return "fp16";
    case ElementType::I8: return "int8";
    case ElementType::U8: return "uint8";
  }
  return "?";
}

std::optional<ElementType> parse_element_type(const std::string& name) {
  for (ElementType t : {ElementType::F32, ElementType::F16, ElementType::I8, ElementType::U8})
    if (name == to_string(t)) return t;
  return std::nullopt;
}

std::string ElementSizes::summary() const {
  return std::string(to_string(activations)) + " activations, " + to_string(input) + " input";
}

}  // namespace edgeplan
