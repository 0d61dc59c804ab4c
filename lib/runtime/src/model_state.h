// A model ready to run with libtorch: deterministic weights, the input image, and runs of
// whole maps (the reference) or of one part from only the input slices it receives. Shared
// by the reference executor and the replay's part runner (private: includes libtorch).
#pragma once
#include <map>
#include <vector>

#include <torch/torch.h>

#include "edgeplan/model/graph.h"
#include "edgeplan/model/region.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "layer_ops.h"
#include "layer_weights.h"

namespace edgeplan::detail {

struct ModelState {
  Graph graph;
  ExecutorOptions options;
  std::vector<LayerWeights> weights;  // per layer; empty until needed when built lazily
  std::vector<char> has_weights;
  torch::Tensor input;
  std::vector<int> last_use;  // per tensor id + 1: index of the last layer reading it

  // `all_weights`: make every layer's weights now; otherwise on first use (ensure_weights).
  ModelState(const Graph& g, const ExecutorOptions& o, bool all_weights);

  void ensure_weights(LayerRange layers);
  std::vector<torch::Tensor> layer_inputs(const std::vector<torch::Tensor>& maps, int layer) const;
  // Monolithic run; keeps every map when `keep_all`, else frees maps after their last use.
  std::vector<torch::Tensor> run_full(bool keep_all) const;
  // Runs the layers of `vr.range` that `vr` needs, from the given input slices only; the
  // result holds at least the `requested` tensors (others may have been freed on the way).
  std::map<int, Slice> run_part(const VolumeRegions& vr, const std::map<int, Slice>& inputs,
                                const std::map<int, Region>& requested) const;
};

}  // namespace edgeplan::detail
