// Layer execution in libtorch: on whole feature maps (the reference) and on sub-regions (parts).
#pragma once
#include <vector>

#include <torch/torch.h>

#include "edgeplan/model/graph.h"
#include "edgeplan/model/region.h"
#include "layer_weights.h"

namespace edgeplan::detail {

// Runs one layer on whole 4-D tensors [1, C, H, W] with libtorch's own padding: the
// independent reference that partitioned runs are compared against.
torch::Tensor run_layer_full(const Layer& layer, const LayerWeights& w, const std::vector<torch::Tensor>& inputs);

// A crop of a feature map: `data` is [1, C, rows, cols] holding `region` of the full tensor.
struct Slice {
  torch::Tensor data;
  Region region;
};

// The sub-tensor of `s` covering `want`; throws std::logic_error if `s` does not hold it.
torch::Tensor crop(const Slice& s, const Region& want);

// Computes exactly `out` of the layer's output from input slices that hold at least what
// input_interval() asks for. Padding is applied only where the window crosses the true
// border of the full input (given by the input shapes), never at a slice's cut edge.
torch::Tensor run_layer_region(const Layer& layer, const LayerWeights& w, const std::vector<Slice>& inputs,
                               const std::vector<Shape>& input_shapes, const Region& out);

}  // namespace edgeplan::detail
