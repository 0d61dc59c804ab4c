// Deterministic pseudo-random weights for every layer of a graph (libtorch tensors; private).
#pragma once
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "edgeplan/model/graph.h"
#include "edgeplan/runtime/cpu_executor.h"

namespace edgeplan::detail {

struct LayerWeights {
  torch::Tensor weight, bias;                        // Conv, Linear
  torch::Tensor gamma, beta, running_mean, running_var;  // BatchNorm
};

// A model's own weights (Graph::weights(), from a file) if it has them; otherwise they
// depend only on (seed, layer index, layer shape), so two runs agree bit for bit.
std::vector<LayerWeights> make_weights(const Graph& graph, std::uint64_t seed);
LayerWeights make_layer_weights(const Graph& graph, int layer, std::uint64_t seed);

// Uniform values in [lo, hi) from a seed, as a float tensor of the given sizes.
// The image a run starts from: ExecutorOptions::input if given, else seeded in [-1, 1).
torch::Tensor model_input(const Graph& graph, const ExecutorOptions& options);

torch::Tensor seeded_uniform(std::uint64_t seed, at::IntArrayRef sizes, float lo, float hi);

}  // namespace edgeplan::detail
