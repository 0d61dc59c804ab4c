// Monolithic and partitioned execution on the CPU, and their comparison.
#include "edgeplan/runtime/cpu_executor.h"

#include <chrono>

#include "model_state.h"

namespace edgeplan {

using detail::Slice;

namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

std::int64_t area(const Region& r) { return std::int64_t{r.rows.size()} * r.cols.size(); }

void accumulate(Comparison& acc, const torch::Tensor& got, const torch::Tensor& want) {
  const double diff = (got - want).abs().max().item<double>();
  const double ref = want.abs().max().item<double>();
  acc.max_abs_error = std::max(acc.max_abs_error, diff);
  acc.reference_max_abs = std::max(acc.reference_max_abs, ref);
  acc.max_rel_error = acc.reference_max_abs > 0 ? acc.max_abs_error / acc.reference_max_abs : acc.max_abs_error;
}

}  // namespace

struct CpuExecutor::Impl : detail::ModelState {
  mutable std::vector<torch::Tensor> reference_maps;  // every feature map of the monolithic run, on demand

  Impl(const Graph& g, const ExecutorOptions& o) : ModelState(g, o, true) {}

  const std::vector<torch::Tensor>& all_maps() const {
    if (reference_maps.empty()) reference_maps = run_full(true);
    return reference_maps;
  }

  // What a device receives: copies of exactly the input regions it needs.
  std::map<int, Slice> received_inputs(const VolumeRegions& vr, const std::vector<torch::Tensor>& maps) const {
    std::map<int, Slice> in;
    for (const auto& [t, reg] : vr.inputs) {
      const torch::Tensor& full = t == kModelInput ? input : maps.at(static_cast<std::size_t>(t));
      in[t] = Slice{detail::crop(Slice{full, full_region(graph.tensor_shape(t))}, reg).clone(), reg};
    }
    return in;
  }
};

CpuExecutor::CpuExecutor(const Graph& graph, const ExecutorOptions& options)
    : impl_(std::make_unique<Impl>(graph, options)) {}

CpuExecutor::~CpuExecutor() = default;

const Graph& CpuExecutor::graph() const { return impl_->graph; }

std::vector<float> CpuExecutor::run_monolithic() const {
  torch::Tensor out = impl_->run_full(false).back().contiguous();
  return std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
}

VerifyResult CpuExecutor::verify(const Plan& plan) const {
  const Impl& m = *impl_;
  const Graph& g = m.graph;
  validate_plan(plan, g);
  VerifyResult result;
  result.output = g.layer(g.size() - 1).out;

  auto t0 = std::chrono::steady_clock::now();
  const torch::Tensor reference = m.run_full(false).back();
  result.monolithic_ms = elapsed_ms(t0);

  torch::NoGradGuard no_grad;
  t0 = std::chrono::steady_clock::now();
  std::vector<torch::Tensor> maps(static_cast<std::size_t>(g.size()));
  for (const Volume& v : plan.volumes) {
    const Shape& anchor = g.layer(v.anchor()).out;
    const std::vector<int> live = g.live_outputs(v.layers);
    std::map<int, std::int64_t> covered;
    for (int t : live) {
      const Shape& s = g.tensor_shape(t);
      maps[static_cast<std::size_t>(t)] = torch::empty({1, s.c, s.h, s.w}, torch::kFloat32);
    }
    for (const Part& part : v.parts) {
      std::map<int, Region> owned;
      for (int t : live) {
        Region r = scale_region(part.region, anchor, g.tensor_shape(t));
        if (!r.empty()) owned[t] = r;
      }
      const VolumeRegions vr = required_regions(g, v.layers, owned);
      const std::map<int, Slice> produced = m.run_part(vr, m.received_inputs(vr, maps), owned);
      for (const auto& [t, reg] : owned) {
        const torch::Tensor src = detail::crop(produced.at(t), reg);
        maps[static_cast<std::size_t>(t)].narrow(2, reg.rows.begin, reg.rows.size()).narrow(3, reg.cols.begin, reg.cols.size()).copy_(src);
        covered[t] += area(reg);
      }
      ++result.parts_run;
    }
    for (int t : live)
      if (covered[t] != area(full_region(g.tensor_shape(t))))
        throw std::logic_error("parts of volume ending at layer " + std::to_string(v.layers.last) + " do not cover tensor " +
                               std::to_string(t));
    // Drop maps nobody reads any more, as devices would.
    for (int t = 0; t < v.layers.last; ++t)
      if (m.last_use[static_cast<std::size_t>(t + 1)] < v.layers.last) maps[static_cast<std::size_t>(t)] = torch::Tensor();
  }
  if (plan.tail)
    for (int l = plan.tail->layers.first; l < plan.tail->layers.last; ++l)
      maps[static_cast<std::size_t>(l)] = detail::run_layer_full(g.layer(l), m.weights[static_cast<std::size_t>(l)], m.layer_inputs(maps, l));
  const torch::Tensor output = maps.back();
  result.partitioned_ms = elapsed_ms(t0);
  accumulate(result.error, output, reference);
  return result;
}

Comparison CpuExecutor::check_volume_slice(LayerRange volume, const std::map<int, Region>& requested) const {
  const Impl& m = *impl_;
  const std::vector<torch::Tensor>& maps = m.all_maps();
  const VolumeRegions vr = required_regions(m.graph, volume, requested);
  const std::map<int, Slice> produced = m.run_part(vr, m.received_inputs(vr, maps), requested);
  Comparison c;
  for (const auto& [t, reg] : requested) {
    if (reg.empty()) continue;
    const torch::Tensor& full = maps.at(static_cast<std::size_t>(t));
    accumulate(c, detail::crop(produced.at(t), reg), detail::crop(Slice{full, full_region(m.graph.tensor_shape(t))}, reg));
  }
  return c;
}

}  // namespace edgeplan
