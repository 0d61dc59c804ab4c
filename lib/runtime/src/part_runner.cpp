// One task at a time from received buffers: wraps them as tensors (no copy), runs the
// shared layer code, copies out exactly the owned regions.
#include "edgeplan/runtime/part_runner.h"

#include "model_state.h"

namespace edgeplan {

using detail::Slice;

namespace {

torch::Tensor as_tensor(const RegionData& d) {
  // Read-only view of the caller's buffer; the layer code never writes its inputs.
  return torch::from_blob(const_cast<float*>(d.values.data()), {1, d.channels, d.region.rows.size(), d.region.cols.size()},
                          torch::kFloat32);
}

RegionData to_region_data(const torch::Tensor& t, const Region& region) {
  const torch::Tensor c = t.contiguous();
  RegionData d{region, static_cast<int>(c.size(1)), {}};
  d.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return d;
}

}  // namespace

struct PartRunner::Impl : detail::ModelState {
  Impl(const Graph& g, const ExecutorOptions& o) : ModelState(g, o, false) {}
};

PartRunner::PartRunner(const Graph& graph, const ExecutorOptions& options) : impl_(std::make_unique<Impl>(graph, options)) {}
PartRunner::~PartRunner() = default;

void PartRunner::prepare(LayerRange layers) { impl_->ensure_weights(layers); }

RegionData PartRunner::image(const Region& region) const {
  const Shape& s = impl_->graph.input_shape();
  return to_region_data(detail::crop(Slice{impl_->input, full_region(s)}, region), region);
}

void PartRunner::set_image(const std::vector<float>& chw) {
  ExecutorOptions o = impl_->options;
  o.input = chw;
  impl_->input = detail::model_input(impl_->graph, o);  // checks the size
}

std::map<int, RegionData> PartRunner::run_part(LayerRange layers, const std::map<int, Region>& owned,
                                               const std::map<int, RegionData>& inputs) const {
  impl_->ensure_weights(layers);
  const VolumeRegions vr = required_regions(impl_->graph, layers, owned);
  std::map<int, Slice> in;
  for (const auto& [t, reg] : vr.inputs) {
    const auto it = inputs.find(t);
    if (it == inputs.end()) throw std::logic_error("part of layers " + std::to_string(layers.first) + "-" +
                                                   std::to_string(layers.last - 1) + " lacks input tensor " + std::to_string(t));
    in[t] = Slice{as_tensor(it->second), it->second.region};
  }
  const std::map<int, Slice> produced = impl_->run_part(vr, in, owned);
  std::map<int, RegionData> out;
  for (const auto& [t, reg] : owned) out[t] = to_region_data(detail::crop(produced.at(t), reg), reg);
  return out;
}

RegionData PartRunner::run_tail(LayerRange layers, const std::map<int, RegionData>& inputs) const {
  impl_->ensure_weights(layers);
  torch::NoGradGuard no_grad;
  const Graph& g = impl_->graph;
  std::vector<torch::Tensor> maps(static_cast<std::size_t>(g.size()));
  for (const auto& [t, d] : inputs) maps.at(static_cast<std::size_t>(t)) = as_tensor(d);
  for (int l = layers.first; l < layers.last; ++l)
    maps[static_cast<std::size_t>(l)] =
        detail::run_layer_full(g.layer(l), impl_->weights[static_cast<std::size_t>(l)], impl_->layer_inputs(maps, l));
  const int last = layers.last - 1;
  return to_region_data(maps[static_cast<std::size_t>(last)], full_region(g.tensor_shape(last)));
}

RegionData PartRunner::monolithic() {
  impl_->ensure_weights(LayerRange{0, impl_->graph.size()});
  const int last = impl_->graph.size() - 1;
  return to_region_data(impl_->run_full(false).back(), full_region(impl_->graph.tensor_shape(last)));
}

}  // namespace edgeplan
