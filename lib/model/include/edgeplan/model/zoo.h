// Built-in model zoo, constructed in code (structure only; weights come from a seed).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "edgeplan/model/graph.h"

namespace edgeplan {

// Names accepted by build_model, in display order.
const std::vector<std::string>& zoo_model_names();

// Default input shape of a zoo model (e.g. 3x224x224, 3x416x416 for yolov2).
Shape zoo_default_input(const std::string& name);

// Builds a zoo model; `input` overrides the default input size. Throws ModelError for an
// unknown name or an input too small for the architecture.
Graph build_model(const std::string& name, std::optional<Shape> input = std::nullopt);

}  // namespace edgeplan
