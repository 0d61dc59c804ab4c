// Executor overhead: measure plans task by task, count their features with the simulator's
// own rules, fit per-part, per-layer and per-MB costs.
#include "edgeplan/runtime/executor_overhead.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "edgeplan/costmodel/layer_cost_model.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/runtime/flow_runner.h"

namespace edgeplan {

namespace {

// Reports one feature of each part as its "overhead", with free layers: the simulator then
// sums that feature over the plan exactly as it will charge the fitted overhead.
class FeatureProbe : public LayerCostModel {
 public:
  FeatureProbe(int devices, int feature) : devices_(devices), feature_(feature) {}
  int device_count() const override { return devices_; }
  double layer_ms(int, int, double) const override { return 0.0; }
  double part_overhead_ms(int, int layers, double bytes) const override {
    return feature_ == 0 ? 1.0 : feature_ == 1 ? layers : bytes;
  }

 private:
  int devices_, feature_;
};

double total_compute(const SimResult& r) {
  double s = 0;
  for (const DeviceUsage& u : r.devices) s += u.compute_ms;
  return s;
}

}  // namespace

double predicted_ms(const OverheadSample& s, const ExecutorOverhead& o) {
  return s.layer_scale * s.layers_ms + o.per_part_ms * s.parts + o.per_layer_ms * s.layers + o.ms_per_mb * s.bytes / 1e6;
}

OverheadSample measure_plan_overhead(const Graph& graph, const Plan& plan, const DeviceProfile& profile, int threads,
                                     int repetitions, const std::string& label) {
  validate_plan(plan, graph);
  OverheadSample s;
  s.label = label;
  const int n = static_cast<int>(plan.devices.size());
  SimulatorConfig cfg;
  cfg.device_ids = plan.devices;
  const NetworkModel net = NetworkModel::switched(std::vector<double>(static_cast<std::size_t>(n), 1e9), 0, 0);
  DeviceProfile bare = profile;
  bare.executor = ExecutorOverhead{};
  const ProfileCostModel layers(graph, std::vector<const DeviceProfile*>(static_cast<std::size_t>(n), &bare));
  s.layers_ms = total_compute(Simulator(graph, layers, net, cfg).simulate(plan));
  double* features[] = {&s.parts, &s.layers, &s.bytes};
  for (int f = 0; f < 3; ++f) *features[f] = total_compute(Simulator(graph, FeatureProbe(n, f), net, cfg).simulate(plan));

  ExecutorOptions eo;
  eo.threads = threads;
  PartRunner runner(graph, eo);
  const Dataflow flow = compile_dataflow(graph, plan, plan.devices, 0, 0);
  FlowRunner(flow, runner).prepare_device(0);
  for (int d = 1; d < n; ++d) FlowRunner(flow, runner).prepare_device(d);
  run_locally(flow, runner);  // warm-up
  std::vector<double> t;
  for (int r = 0; r < repetitions; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    run_locally(flow, runner);
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  s.measured_ms = t[t.size() / 2];
  return s;
}

ExecutorOverhead fit_executor_overhead(const std::vector<OverheadSample>& samples) {
  if (samples.size() < 3) throw Error("fitting the executor overhead needs at least 3 measured plans");
  // Every subset of the three unknowns, solved by least squares; keep the best fit whose
  // coefficients are all non-negative (an exact NNLS for three unknowns).
  auto x_of = [](const OverheadSample& s, int k) { return k == 0 ? s.parts : k == 1 ? s.layers : s.bytes / 1e6; };
  double best_err = INFINITY;
  double best[3] = {0, 0, 0};
  for (int mask = 0; mask < 8; ++mask) {
    std::vector<int> vars;
    for (int k = 0; k < 3; ++k)
      if (mask & (1 << k)) vars.push_back(k);
    const std::size_t m = vars.size();
    double coef[3] = {0, 0, 0};
    if (m > 0) {
      // Normal equations A^T A c = A^T y, solved by Gaussian elimination with pivoting.
      double a[3][4] = {};
      for (const OverheadSample& s : samples) {
        const double y = s.measured_ms - s.layer_scale * s.layers_ms;
        for (std::size_t i = 0; i < m; ++i) {
          for (std::size_t k = 0; k < m; ++k) a[i][k] += x_of(s, vars[i]) * x_of(s, vars[k]);
          a[i][m] += x_of(s, vars[i]) * y;
        }
      }
      bool singular = false;
      for (std::size_t i = 0; i < m && !singular; ++i) {
        std::size_t piv = i;
        for (std::size_t r = i + 1; r < m; ++r)
          if (std::fabs(a[r][i]) > std::fabs(a[piv][i])) piv = r;
        if (std::fabs(a[piv][i]) < 1e-12) {
          singular = true;
          break;
        }
        for (std::size_t k = 0; k <= m; ++k) std::swap(a[i][k], a[piv][k]);
        for (std::size_t r = 0; r < m; ++r)
          if (r != i) {
            const double f = a[r][i] / a[i][i];
            for (std::size_t k = 0; k <= m; ++k) a[r][k] -= f * a[i][k];
          }
      }
      if (singular) continue;
      bool negative = false;
      for (std::size_t i = 0; i < m; ++i) {
        coef[vars[i]] = a[i][m] / a[i][i];
        negative = negative || coef[vars[i]] < 0;
      }
      if (negative) continue;
    }
    const ExecutorOverhead candidate{coef[0], coef[1], coef[2], "", true};
    double err = 0;
    for (const OverheadSample& s : samples) err += std::pow(s.measured_ms - predicted_ms(s, candidate), 2);
    if (err < best_err) {
      best_err = err;
      std::copy(coef, coef + 3, best);
    }
  }
  ExecutorOverhead o;
  o.per_part_ms = best[0];
  o.per_layer_ms = best[1];
  o.ms_per_mb = best[2];
  o.present = true;
  return o;
}

}  // namespace edgeplan
