// Per-layer latency measurement with libtorch: row sweeps, repetitions, provenance, fallback fit.
#include "edgeplan/runtime/layer_profiler.h"


#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "edgeplan/costmodel/curve_sampler.h"
#include "edgeplan/compute/allocator.h"
#include "edgeplan/compute/percentile.h"
#include "edgeplan/compute/machine.h"
#include "edgeplan/compute/threads.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "layer_ops.h"
#include "layer_weights.h"

namespace edgeplan {

namespace {

using Clock = std::chrono::steady_clock;

struct RepetitionPolicy {
  int min_reps, max_reps;
  double max_seconds;      // per measured point, once min_reps is reached... or 2 runs for huge layers
  double target_spread;    // stop once (p90 - p10) / p50 is at most this
};

RepetitionPolicy policy(bool quick) { return quick ? RepetitionPolicy{2, 5, 0.3, 0.15} : RepetitionPolicy{3, 11, 1.0, 0.10}; }

// Median and p10 / p90 of repeated runs after one warm-up run: robust to the occasional
// outlier (a preempted run moves p90, not the median).
// `runs_made` gets the number of timed runs (warm-up excluded) for the provenance.
LatencySample time_runs(const std::function<double()>& once, const RepetitionPolicy& p, std::vector<int>* runs_made) {
  once();  // warm-up: allocation, caches, oneDNN primitive creation
  std::vector<double> ms;
  const auto start = Clock::now();
  for (;;) {
    ms.push_back(once());
    const int n = static_cast<int>(ms.size());
    if (n >= p.max_reps) break;
    const double spent = std::chrono::duration<double>(Clock::now() - start).count();
    if (n >= 2 && spent > p.max_seconds * 3) break;  // very slow layers: two runs are all we can afford
    if (n >= p.min_reps) {
      const double med = percentile(ms, 0.5);
      if (med <= 0 || (percentile(ms, 0.9) - percentile(ms, 0.1)) / med <= p.target_spread || spent > p.max_seconds) break;
    }
  }
  if (runs_made) runs_made->push_back(static_cast<int>(ms.size()));
  return LatencySample{0, percentile(ms, 0.1), percentile(ms, 0.5), percentile(ms, 0.9)};
}

// What the runs really were: the fewest, median and most timed runs per measured point.
nlohmann::json repetitions_made(std::vector<int> runs) {
  if (runs.empty()) return nlohmann::json::object();
  std::sort(runs.begin(), runs.end());
  long long total = 0;
  for (int r : runs) total += r;
  return {{"points", runs.size()}, {"min", runs.front()}, {"median", runs[runs.size() / 2]}, {"max", runs.back()}, {"total", total}};
}

// One wall-clock timed run of a CPU computation.
std::function<double()> wall_ms(std::function<void()> run) {
  return [run = std::move(run)] {
    const auto t0 = Clock::now();
    run();
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
}


std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Fits the fallback model to the measured samples, for layers the profile has no curve of:
// peak = the best convolution rate at full height, each class's efficiency = its best rate
// over that, memory bandwidth = the median element-wise rate at full height, overhead =
// half the fastest run of the class. Coarse by design: measured curves take precedence.
FallbackModel fit_fallback(const std::vector<std::pair<const Graph*, int>>& layers,
                           const std::vector<std::vector<LatencySample>>& samples) {
  FallbackModel f;
  f.beta = 0.3;
  f.saturation_mmacs = 1.0;
  constexpr int kClasses = static_cast<int>(CostClass::Count);
  double rate[kClasses] = {};
  double overhead[kClasses];
  std::fill(std::begin(overhead), std::end(overhead), 1e9);
  std::vector<double> bandwidths;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Graph& g = *layers[i].first;
    const int l = layers[i].second;
    const auto cls = static_cast<int>(cost_class(g.layer(l)));
    const LatencySample& full = samples[i].back();
    overhead[cls] = std::min(overhead[cls], samples[i].front().p50_ms);
    if (full.p50_ms <= 0) continue;
    const LayerWork w = fallback_work(g, l, full.rows);
    rate[cls] = std::max(rate[cls], w.work / full.p50_ms * 1e3 / 1e9);  // G per s
    if (cls == static_cast<int>(CostClass::Eltwise)) bandwidths.push_back(w.bytes / full.p50_ms * 1e3 / 1e9);
  }
  f.peak_gmacs = std::max(rate[static_cast<int>(CostClass::Conv)], 1e-3);
  f.memory_bandwidth_gbs = bandwidths.empty() ? 1.0 : std::max(0.1, percentile(bandwidths, 0.5));
  for (int c = 0; c < kClasses; ++c) {
    f.kinds[c].efficiency = rate[c] > 0 ? std::min(1.0, std::max(1e-3, rate[c] / f.peak_gmacs)) : 0.1;
    f.kinds[c].overhead_ms = overhead[c] < 1e9 ? 0.5 * overhead[c] : 0.0;
  }
  return f;
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
  const RepetitionPolicy rep = policy(o.quick);
  SamplerOptions sampler;
  if (o.quick) {
    sampler.initial_points = 5;
    sampler.max_points = 12;
    sampler.rel_tolerance = 0.1;
  }

  // Distinct signatures, first occurrence wins.
  std::vector<std::pair<const Graph*, int>> todo;
  std::vector<std::string> signatures;
  std::set<std::string> seen;
  double total_work = 0;
  for (const Graph& g : graphs)
    for (int l = 0; l < g.size(); ++l) {
      const std::string sig = layer_signature(g, l);
      if (!seen.insert(sig).second) continue;
      todo.push_back({&g, l});
      signatures.push_back(sig);
      total_work += static_cast<double>(std::max<std::int64_t>(g.macs(l), g.layer(l).out.elements()));
    }

  DeviceProfile profile;
  std::vector<std::vector<LatencySample>> all_samples;
  double work_done = 0;
  std::vector<int> runs_made;  // timed runs per measured point, as they happened
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const Graph& g = *todo[i].first;
    const int l = todo[i].second;
    const Layer& layer = g.layer(l);
    const detail::LayerWeights w = gpu ? detail::LayerWeights{} : detail::make_layer_weights(g, l, 1);
    std::vector<Shape> shapes;
    for (int t : layer.inputs) shapes.push_back(g.tensor_shape(t));

    auto measure = [&](int k) -> LatencySample {
      if (gpu) {  // the executor makes its own inputs and weights
        const int start = layer.is_spatial() ? (layer.out.h - k) / 2 : 0;
        const Region out{Interval{start, start + k}, Interval{0, layer.out.w}};
        return time_runs(o.executor(g, l, out), rep, &runs_made);
      }
      if (!layer.is_spatial()) {
        std::vector<torch::Tensor> in;
        for (const Shape& s : shapes) in.push_back(detail::seeded_uniform(7, {1, s.c, s.h, s.w}, -1, 1));
        return time_runs(wall_ms([&] { detail::run_layer_full(layer, w, in); }), rep, &runs_made);
      }
      // k rows in the middle of the map: a part with halos on both sides, as most parts are.
      const int start = (layer.out.h - k) / 2;
      const Region out{Interval{start, start + k}, Interval{0, layer.out.w}};
      std::vector<detail::Slice> in;
      for (std::size_t j = 0; j < shapes.size(); ++j) {
        const Shape& s = shapes[j];
        const Region need = input_region(layer, out, s);
        in.push_back(detail::Slice{
            detail::seeded_uniform(7 + j, {1, s.c, need.rows.size(), need.cols.size()}, -1, 1), need});
      }
      return time_runs(wall_ms([&] { detail::run_layer_region(layer, w, in, shapes, out); }), rep, &runs_made);
    };
    std::vector<LatencySample> samples =
        layer.is_spatial() ? sample_curve(layer.out.h, measure, sampler) : std::vector<LatencySample>{measure(layer.out.h)};
    if (!layer.is_spatial()) samples[0].rows = layer.out.h;
    std::vector<double> rows, p10, p50, p90;
    for (const LatencySample& s : samples) {
      rows.push_back(s.rows);
      p10.push_back(s.p10_ms);
      p50.push_back(s.p50_ms);
      p90.push_back(s.p90_ms);
    }
    profile.curves[signatures[i]] = LatencyCurve(rows, p50);
    profile.p10[signatures[i]] = LatencyCurve(rows, p10);
    profile.p90[signatures[i]] = LatencyCurve(rows, p90);
    all_samples.push_back(std::move(samples));
    work_done += static_cast<double>(std::max<std::int64_t>(g.macs(l), layer.out.elements()));
    if (o.progress) o.progress(static_cast<int>(i + 1), static_cast<int>(todo.size()), work_done, total_work, signatures[i]);
  }

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
  profile.fallback = fit_fallback(todo, all_samples);
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
