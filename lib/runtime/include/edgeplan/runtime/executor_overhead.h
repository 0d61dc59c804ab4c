// Measuring what the replay's executor costs beyond the layer curves of a profile: plans run
// task by task in one process (as one device runs its parts), timed against the profile's
// prediction for the same tasks, and a fit of the difference (ExecutorOverhead).
#pragma once
#include <string>
#include <vector>

#include "edgeplan/costmodel/device_profile.h"
#include "edgeplan/plan/plan.h"

namespace edgeplan {

struct OverheadSample {
  std::string label;
  double measured_ms = 0;  // median wall time of all tasks, run one after another
  double layers_ms = 0;    // the profile's prediction of the same layers (no overhead)
  // The model's own bias of the curves, measured/predicted of its whole body as one part:
  // the fit explains what splitting adds, not the curves' error on that model (which
  // `profile --check` reports).
  double layer_scale = 1;
  // Features as the simulator counts them (part_overhead_ms's arguments, summed over tasks).
  double parts = 0, layers = 0, bytes = 0;
};

// What a fitted overhead predicts for a sample: its scaled layer time plus the overhead of
// its parts, layers and bytes.
double predicted_ms(const OverheadSample& s, const ExecutorOverhead& o);

// Runs every task of `plan` in this process `repetitions` times after one warm-up.
OverheadSample measure_plan_overhead(const Graph& graph, const Plan& plan, const DeviceProfile& profile, int threads,
                                     int repetitions, const std::string& label);

// Non-negative least squares of (measured - layer_scale * layers) on (parts, layers, MB); throws Error
// when there are fewer samples than unknowns.
ExecutorOverhead fit_executor_overhead(const std::vector<OverheadSample>& samples);

}  // namespace edgeplan
