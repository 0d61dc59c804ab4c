// Learned parameters of a model read from a file (ONNX import), and where the model came from.
// Zoo models carry none: their weights are pseudo-random from a seed (runtime).
#pragma once
#include <string>
#include <vector>

namespace edgeplan {

// One layer's parameters, row-major as ONNX and PyTorch store them. Conv: weight
// [out, in/groups, kh, kw]; Linear: weight [out, in]; BatchNorm: gamma, beta, mean, var [C];
// Affine: gamma (scale) and beta (shift) [C].
// A vector is empty where the layer has no such parameter.
struct LayerParams {
  std::vector<float> weight, bias;
  std::vector<float> gamma, beta, mean, var;
};

struct ModelWeights {
  std::vector<LayerParams> layers;  // one per layer of the graph
};

// Where a graph came from: empty for a zoo model; the file and its SHA-256 for an import.
struct ModelOrigin {
  std::string onnx_path;  // as given by the user (a scenario's path is relative to the scenario)
  std::string sha256;     // of the file's bytes, lower-case hex
  bool empty() const { return onnx_path.empty(); }
};

}  // namespace edgeplan
