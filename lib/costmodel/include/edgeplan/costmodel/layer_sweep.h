// Latency-vs-rows sweeps of every distinct layer of some models, on whatever executes one
// layer (libtorch on the CPU, the CUDA executor): repetitions, the adaptive row sampler, and
// the curves and fallback fit a measured profile is made of. Executor-free, libtorch-free.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "edgeplan/costmodel/curve_sampler.h"
#include "edgeplan/costmodel/device_profile.h"
#include "edgeplan/model/graph.h"
#include "edgeplan/model/region.h"

namespace edgeplan {

struct RepetitionPolicy {
  int min_reps = 3, max_reps = 11;
  double max_seconds = 1.0;    // per measured point, once min_reps is reached (very slow layers: 2 runs)
  double target_spread = 0.1;  // stop once (p90 - p10) / p50 is at most this
};
RepetitionPolicy repetition_policy(bool quick);

// Median and p10 / p90 of repeated runs of `once_ms` (one run, its time in ms) after one
// warm-up run: robust to the occasional outlier. `runs_made` gets the timed runs.
LatencySample time_runs(const std::function<double()>& once_ms, const RepetitionPolicy& policy, std::vector<int>* runs_made);

// Prepares `out` (a region of layer `layer`'s output, computed from the input cells it
// needs) and returns a function that runs it once and returns its time in ms.
using LayerExecutor = std::function<std::function<double()>(const Graph& graph, int layer, const Region& out)>;

struct SweepOptions {
  bool quick = false;  // coarse: fewer row counts and repetitions
  // After each signature: (done, total, work done, total work, signature).
  std::function<void(int, int, double, double, const std::string&)> progress;
};

struct LayerSweep {
  std::vector<std::pair<const Graph*, int>> layers;  // first occurrence of each signature
  std::vector<std::string> signatures;
  std::vector<std::vector<LatencySample>> samples;   // per signature, sorted by rows
  std::vector<int> runs_made;                        // timed runs per measured point
  RepetitionPolicy policy;
};

// For every distinct layer signature of the graphs: k output rows of a middle stripe, full
// width (a part with halos on both sides, as most parts are), k sampled adaptively; tail
// layers run whole.
LayerSweep sweep_layers(const std::vector<Graph>& graphs, const LayerExecutor& executor, const SweepOptions& options = {});

// The sweep's curves (p50, with p10 / p90) and the fallback model fitted to them.
void add_sweep_to_profile(DeviceProfile& profile, const LayerSweep& sweep);

// Fewest, median and most timed runs per point, and their total (the provenance records them).
struct RunsSummary {
  std::size_t points = 0;
  int min = 0, median = 0, max = 0;
  long long total = 0;
};
RunsSummary summarize_runs(std::vector<int> runs);

}  // namespace edgeplan
