// Weights, image and the two ways of running layers (whole maps, or one part's regions).
#include "model_state.h"

#include <stdexcept>

#include "edgeplan/compute/allocator.h"
#include "edgeplan/compute/threads.h"

namespace edgeplan::detail {

ModelState::ModelState(const Graph& g, const ExecutorOptions& o, bool all_weights) : graph(g), options(o) {
  keep_freed_memory_for_reuse();
  if (o.threads > 0) set_compute_threads(o.threads);
  weights.resize(static_cast<std::size_t>(graph.size()));
  has_weights.assign(static_cast<std::size_t>(graph.size()), 0);
  if (all_weights) ensure_weights(LayerRange{0, graph.size()});
  input = model_input(graph, o);
  last_use.assign(static_cast<std::size_t>(graph.size() + 1), -1);
  for (int i = 0; i < graph.size(); ++i)
    for (int t : graph.layer(i).inputs) last_use[static_cast<std::size_t>(t + 1)] = i;
  last_use.back() = graph.size();  // the model output outlives every layer
}

void ModelState::ensure_weights(LayerRange layers) {
  for (int l = layers.first; l < layers.last; ++l)
    if (!has_weights[static_cast<std::size_t>(l)]) {
      weights[static_cast<std::size_t>(l)] = make_layer_weights(graph, l, options.weight_seed);
      has_weights[static_cast<std::size_t>(l)] = 1;
    }
}

std::vector<torch::Tensor> ModelState::layer_inputs(const std::vector<torch::Tensor>& maps, int layer) const {
  std::vector<torch::Tensor> in;
  for (int t : graph.layer(layer).inputs) in.push_back(t == kModelInput ? input : maps[static_cast<std::size_t>(t)]);
  return in;
}

std::vector<torch::Tensor> ModelState::run_full(bool keep_all) const {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> maps(static_cast<std::size_t>(graph.size()));
  for (int i = 0; i < graph.size(); ++i) {
    maps[static_cast<std::size_t>(i)] = run_layer_full(graph.layer(i), weights[static_cast<std::size_t>(i)], layer_inputs(maps, i));
    if (!keep_all)
      for (int t : graph.layer(i).inputs)
        if (t != kModelInput && last_use[static_cast<std::size_t>(t + 1)] == i) maps[static_cast<std::size_t>(t)] = torch::Tensor();
  }
  return maps;
}

std::map<int, Slice> ModelState::run_part(const VolumeRegions& vr, const std::map<int, Slice>& inputs,
                                          const std::map<int, Region>& requested) const {
  torch::NoGradGuard no_grad;
  std::map<int, Slice> produced;
  for (int l = vr.range.first; l < vr.range.last; ++l) {
    const Region& out = vr.out(l);
    if (out.empty()) continue;
    const Layer& layer = graph.layer(l);
    std::vector<Slice> ins;
    std::vector<Shape> shapes;
    for (int t : layer.inputs) {
      // Nothing of t is needed (a transposed convolution's output between its taps reads no
      // input): an empty slice, which the layer does not read.
      const std::map<int, Slice>& from = vr.range.contains(t) ? produced : inputs;
      const auto it = from.find(t);
      ins.push_back(it != from.end() ? it->second : Slice{});
      shapes.push_back(graph.tensor_shape(t));
    }
    torch::Tensor y = run_layer_region(layer, weights[static_cast<std::size_t>(l)], ins, shapes, out);
    if (y.size(2) != out.rows.size() || y.size(3) != out.cols.size() || y.size(1) != layer.out.c)
      throw std::logic_error("layer '" + layer.name + "' produced the wrong region size");
    produced[l] = Slice{y, out};
    // Free what no later layer reads and nobody asked for: a part spanning many layers
    // then holds a few maps at a time, as the monolithic run does.
    for (int t : layer.inputs)
      if (vr.range.contains(t) && last_use[static_cast<std::size_t>(t + 1)] == l && !requested.count(t)) produced.erase(t);
  }
  return produced;
}

}  // namespace edgeplan::detail
