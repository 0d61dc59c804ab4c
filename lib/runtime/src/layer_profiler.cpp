// Per-layer latency measurement: the sweep (costmodel/layer_sweep.h) on libtorch or another
// executor, provenance, and predicted-vs-measured checks.
#include "edgeplan/runtime/layer_profiler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "edgeplan/costmodel/layer_sweep.h"
#include "edgeplan/compute/allocator.h"
#include "edgeplan/compute/machine.h"
#include "edgeplan/compute/threads.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "layer_ops.h"
#include "layer_weights.h"

namespace edgeplan {

namespace {

using Clock = std::chrono::steady_clock;

// One wall-clock timed run of a CPU computation.
std::function<double()> wall_ms(std::function<void()> run) {
  return [run = std::move(run)] {
    const auto t0 = Clock::now();
    run();
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
}

// libtorch on the CPU: the layer's seeded weights (made once per layer: the sweep measures a
// layer at many row counts in a row) and seeded input slices, then its region run.
LayerExecutor libtorch_executor() {
  struct Last {
    const Graph* graph = nullptr;
    int layer = -1;
    std::shared_ptr<detail::LayerWeights> weights;
  };
  auto last = std::make_shared<Last>();
  return [last](const Graph& g, int l, const Region& out) {
    const Layer& layer = g.layer(l);
    if (last->graph != &g || last->layer != l)
      *last = Last{&g, l, std::make_shared<detail::LayerWeights>(detail::make_layer_weights(g, l, 1))};
    const std::shared_ptr<detail::LayerWeights> w = last->weights;
    auto shapes = std::make_shared<std::vector<Shape>>();
    for (int t : layer.inputs) shapes->push_back(g.tensor_shape(t));
    if (!layer.is_spatial()) {
      auto in = std::make_shared<std::vector<torch::Tensor>>();
      for (const Shape& s : *shapes) in->push_back(detail::seeded_uniform(7, {1, s.c, s.h, s.w}, -1, 1));
      return wall_ms([&layer, w, in] { detail::run_layer_full(layer, *w, *in); });
    }
    auto in = std::make_shared<std::vector<detail::Slice>>();
    for (std::size_t j = 0; j < shapes->size(); ++j) {
      const Shape& s = (*shapes)[j];
      const Region need = input_region(layer, out, s);
      in->push_back(detail::Slice{detail::seeded_uniform(7 + j, {1, s.c, need.rows.size(), need.cols.size()}, -1, 1), need});
    }
    return wall_ms([&layer, w, in, shapes, out] { detail::run_layer_region(layer, *w, *in, *shapes, out); });
  };
}

// What the runs really were: the fewest, median and most timed runs per measured point.
nlohmann::json repetitions_made(const std::vector<int>& runs) {
  const RunsSummary r = summarize_runs(runs);
  if (r.points == 0) return nlohmann::json::object();
  return {{"points", r.points}, {"min", r.min}, {"median", r.median}, {"max", r.max}, {"total", r.total}};
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

void check_profiler_device(const std::string& device) {
  if (device == "cpu") return;
  throw Error("unknown device '" + device + "' (cpu or cuda)");
}

DeviceProfile profile_layers(const std::vector<Graph>& graphs, const ProfilerOptions& o) {
  const bool gpu = static_cast<bool>(o.executor);
  if (!gpu) check_profiler_device(o.device);
  if (o.threads < 1) throw Error("--threads must be at least 1");
  keep_freed_memory_for_reuse();
  set_compute_threads(o.threads);
  torch::NoGradGuard no_grad;
  SweepOptions so;
  so.quick = o.quick;
  so.progress = o.progress;
  const LayerSweep sweep = sweep_layers(graphs, gpu ? o.executor : libtorch_executor(), so);
  const RepetitionPolicy& rep = sweep.policy;
  const std::vector<int>& runs_made = sweep.runs_made;
  DeviceProfile profile;
  add_sweep_to_profile(profile, sweep);

  const MachineInfo machine = describe_machine();
  profile.name = o.name.empty() ? o.device + "-" + std::to_string(o.threads) + "t" : o.name;
  profile.kind = gpu ? "gpu" : "cpu";
  profile.memory_bytes = machine.memory_bytes;
  if (profile.memory_bytes <= 0) profile.memory_bytes = std::int64_t{1} << 30;
  std::vector<std::string> model_names;
  for (const Graph& g : graphs) model_names.push_back(g.name() + " " + to_string(g.input_shape()));
  nlohmann::json prov = {
      {"type", "measured"},
      {"machine", machine.machine},
      {"cpu", machine.cpu},
      {"threads", o.threads},
      {"libraries", {{"libtorch", machine.libtorch}, {"compiler", machine.compiler}}},
      {"blas", machine.blas},
      {"date", utc_now()},
      {"repetitions", runs_made.empty() ? 0 : *std::max_element(runs_made.begin(), runs_made.end())},
      {"repetitions_made", repetitions_made(runs_made)},
      {"notes", std::string(o.quick ? "quick sweep; " : "") + "per row count: 1 warm-up run, then " +
                    std::to_string(rep.min_reps) + " to " + std::to_string(rep.max_reps) +
                    " timed runs until (p90-p10)/p50 <= " + std::to_string(rep.target_spread).substr(0, 4) +
                    "; median and p10/p90 recorded. Layers run on the halo'd input slice of a middle stripe, "
                    "full width, exactly as a part would (run_layer_region). glibc malloc keeps freed memory for reuse "
                    "(no page faults per run; see allocator.h). Models: " +
                    [&] {
                      std::string s;
                      for (const auto& n : model_names) s += (s.empty() ? "" : ", ") + n;
                      return s;
                    }()}};
  if (gpu) {
    prov["gpu"] = o.accelerator;
    prov["executor"] = o.executor_name;
    prov["notes"] = std::string(o.quick ? "quick sweep; " : "") + "per row count: 1 warm-up run, then " + std::to_string(rep.min_reps) +
                    " to " + std::to_string(rep.max_reps) + " timed runs (CUDA events around the layer's kernels) until (p90-p10)/p50 <= " +
                    std::to_string(rep.target_spread).substr(0, 4) +
                    "; median and p10/p90 recorded. Each layer runs alone as a one-layer task of a middle stripe, full width, "
                    "from exactly its input rows (halo included), weights and buffers on the GPU before timing.";
  }
  if (o.cpu_quota > 0) prov["cpu_quota"] = o.cpu_quota;
  profile.cpu_quota = o.cpu_quota;
  profile.provenance_type = "measured";
  profile.provenance_json = prov.dump();
  return profile;
}

ProfileCheck check_profile(const DeviceProfile& profile, const Graph& graph, int threads, int repetitions,
                           const std::function<double()>& run_once_ms) {
  ProfileCheck c;
  c.model = graph.name();
  c.input = graph.input_shape();
  for (int l = 0; l < graph.size(); ++l) {
    bool fb = false;
    c.predicted_ms += profile.latency_ms(graph, l, graph.layer(l).out.h, &fb);
    c.fallback_layers += fb ? 1 : 0;
  }
  const RepetitionPolicy p{std::max(3, repetitions), std::max(3, repetitions), 1e9, 0.0};
  std::vector<int> runs;
  LatencySample s;
  if (run_once_ms) {
    s = time_runs(run_once_ms, p, &runs);
  } else {
    ExecutorOptions eo;
    eo.threads = threads;
    keep_freed_memory_for_reuse();
    const CpuExecutor exec(graph, eo);
    s = time_runs(wall_ms([&] { exec.run_monolithic(); }), p, &runs);
  }
  c.measured_p10_ms = s.p10_ms;
  c.measured_p50_ms = s.p50_ms;
  c.measured_p90_ms = s.p90_ms;
  c.repetitions = runs.front();  // the timed runs made
  return c;
}

void check_fits_in_memory(const std::vector<Graph>& graphs) {
  const double available = static_cast<double>(meminfo_bytes("MemAvailable"));
  if (available <= 0) return;
  for (const Graph& g : graphs) {
    std::int64_t largest = 0;
    for (const Layer& l : g.layers()) largest = std::max(largest, l.out.elements());
    // fp32 weights, plus input, output and two work buffers of the largest activation.
    const double need = 4.0 * (static_cast<double>(g.total_params()) + 4.0 * static_cast<double>(largest));
    if (need > available)
      throw Error("model " + g.name() + " " + to_string(g.input_shape()) + " needs about " +
                  std::to_string(static_cast<long long>(need / 1048576)) + " MB but only " +
                  std::to_string(static_cast<long long>(available / 1048576)) + " MB are available");
  }
}

}  // namespace edgeplan
