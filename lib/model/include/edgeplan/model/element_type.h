// Element types of tensors on the wire and in memory: the activation type of a deployment
// (fp32, fp16, int8) and the encoding of the input image (uint8 from a camera, or a float type).
#pragma once
#include <optional>
#include <string>

#include "edgeplan/model/layer.h"

namespace edgeplan {

enum class ElementType { F32, F16, I8, U8 };

// "fp32", "fp16", "int8", "uint8".
const char* to_string(ElementType t);
std::optional<ElementType> parse_element_type(const std::string& name);
inline int element_bytes(ElementType t) { return t == ElementType::F32 ? 4 : t == ElementType::F16 ? 2 : 1; }

// Bytes per element of every tensor of a deployment: the model input (the image, converted
// to the activation type by the device that first uses it) and everything else (activations,
// the result, the weights).
struct ElementSizes {
  ElementType activations = ElementType::F32;
  ElementType input = ElementType::F32;
  int activation_bytes() const { return element_bytes(activations); }
  int input_bytes() const { return element_bytes(input); }
  // Bytes per element of tensor id `t` (kModelInput or a layer's output).
  int of(int t) const { return t == kModelInput ? input_bytes() : activation_bytes(); }
  ElementType type_of(int t) const { return t == kModelInput ? input : activations; }
  std::string summary() const;  // e.g. "fp16 activations, uint8 input"
};

}  // namespace edgeplan
