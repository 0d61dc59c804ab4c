// The sweep: signatures in order of first occurrence, each layer's curve by the row sampler.
#include "edgeplan/costmodel/layer_sweep.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "edgeplan/compute/percentile.h"
#include "edgeplan/costmodel/layer_cost_model.h"

namespace edgeplan {

namespace {

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

RepetitionPolicy repetition_policy(bool quick) { return quick ? RepetitionPolicy{2, 5, 0.3, 0.15} : RepetitionPolicy{3, 11, 1.0, 0.10}; }

LatencySample time_runs(const std::function<double()>& once, const RepetitionPolicy& p, std::vector<int>* runs_made) {
  using Clock = std::chrono::steady_clock;
  once();  // warm-up: allocation, caches, primitive and algorithm choices
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

LayerSweep sweep_layers(const std::vector<Graph>& graphs, const LayerExecutor& executor, const SweepOptions& o) {
  LayerSweep s;
  s.policy = repetition_policy(o.quick);
  SamplerOptions sampler;
  if (o.quick) {
    sampler.initial_points = 5;
    sampler.max_points = 12;
    sampler.rel_tolerance = 0.1;
  }
  std::set<std::string> seen;
  double total_work = 0;
  for (const Graph& g : graphs)
    for (int l = 0; l < g.size(); ++l) {
      const std::string sig = layer_signature(g, l);
      if (!seen.insert(sig).second) continue;
      s.layers.push_back({&g, l});
      s.signatures.push_back(sig);
      total_work += static_cast<double>(std::max<std::int64_t>(g.macs(l), g.layer(l).out.elements()));
    }
  double work_done = 0;
  for (std::size_t i = 0; i < s.layers.size(); ++i) {
    const Graph& g = *s.layers[i].first;
    const int l = s.layers[i].second;
    const Layer& layer = g.layer(l);
    auto measure = [&](int k) -> LatencySample {
      const int start = layer.is_spatial() ? (layer.out.h - k) / 2 : 0;  // a middle stripe: halos on both sides
      const Region out{Interval{start, start + k}, Interval{0, layer.out.w}};
      return time_runs(executor(g, l, out), s.policy, &s.runs_made);
    };
    std::vector<LatencySample> samples =
        layer.is_spatial() ? sample_curve(layer.out.h, measure, sampler) : std::vector<LatencySample>{measure(layer.out.h)};
    if (!layer.is_spatial()) samples[0].rows = layer.out.h;
    s.samples.push_back(std::move(samples));
    work_done += static_cast<double>(std::max<std::int64_t>(g.macs(l), layer.out.elements()));
    if (o.progress) o.progress(static_cast<int>(i + 1), static_cast<int>(s.layers.size()), work_done, total_work, s.signatures[i]);
  }
  return s;
}

void add_sweep_to_profile(DeviceProfile& profile, const LayerSweep& s) {
  for (std::size_t i = 0; i < s.signatures.size(); ++i) {
    std::vector<double> rows, p10, p50, p90;
    for (const LatencySample& x : s.samples[i]) {
      rows.push_back(x.rows);
      p10.push_back(x.p10_ms);
      p50.push_back(x.p50_ms);
      p90.push_back(x.p90_ms);
    }
    profile.curves[s.signatures[i]] = LatencyCurve(rows, p50);
    profile.p10[s.signatures[i]] = LatencyCurve(rows, p10);
    profile.p90[s.signatures[i]] = LatencyCurve(rows, p90);
  }
  profile.fallback = fit_fallback(s.layers, s.samples);
}

RunsSummary summarize_runs(std::vector<int> runs) {
  RunsSummary r;
  if (runs.empty()) return r;
  std::sort(runs.begin(), runs.end());
  r.points = runs.size();
  r.min = runs.front();
  r.median = runs[runs.size() / 2];
  r.max = runs.back();
  for (int x : runs) r.total += x;
  return r;
}

}  // namespace edgeplan
