// Measures latency-vs-rows curves of every distinct layer of some models on this machine.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "edgeplan/costmodel/device_profile.h"
#include "edgeplan/costmodel/layer_sweep.h"
#include "edgeplan/model/graph.h"
#include "edgeplan/model/region.h"

namespace edgeplan {

struct ProfilerOptions {
  std::string device = "cpu";  // names the profile; libtorch measures on the CPU unless `executor` is set
  std::string name;            // profile name; default "<device>-<threads>t"
  int threads = 1;             // libtorch intra-op threads, fixed for the whole run
  bool quick = false;          // coarse sweep: fewer row counts and repetitions
  double cpu_quota = 0;        // recorded in the provenance: the caller runs under this CPU quota (cores)
  LayerExecutor executor;      // another executor timing one layer (the CUDA backend's); empty: libtorch on the CPU
  std::string executor_name;   // the provenance's "executor" (with `executor`)
  std::string accelerator;     // the provenance's "gpu": name and library versions (with `executor`)
  // Called after each layer signature: (done, total, work done, total work, signature).
  std::function<void(int, int, double, double, const std::string&)> progress;
};

// Throws Error with one line unless the device is "cpu" (GPUs go through an executor).
void check_profiler_device(const std::string& device);

// Throws Error (one line) for a model whose monolithic fp32 run (weights and the largest
// activations) would not fit in this machine's available memory; does nothing when
// /proc/meminfo cannot be read.
void check_fits_in_memory(const std::vector<Graph>& graphs);

// For every distinct layer signature of the graphs: the latency (p10/p50/p90 over
// repetitions, after warm-up) of computing k output rows from the halo'd input slice a
// device would receive, for k from 1 to the layer's height, sampled adaptively
// (curve_sampler.h). Non-spatial (tail) layers run whole. Provenance records the machine,
// CPU, threads, libtorch and BLAS, date and repetition policy; the fallback model is
// fitted to the measurements for layers the profile does not cover.
DeviceProfile profile_layers(const std::vector<Graph>& graphs, const ProfilerOptions& options);

// Predicted (sum of the profile's curves at full height) against measured monolithic
// latency of a model on this machine with the same threads.
struct ProfileCheck {
  std::string model;
  Shape input;
  double predicted_ms = 0;
  double measured_p10_ms = 0, measured_p50_ms = 0, measured_p90_ms = 0;
  int repetitions = 0;
  int fallback_layers = 0;  // layers the profile has no curve for
  double error() const { return measured_p50_ms > 0 ? predicted_ms / measured_p50_ms - 1.0 : 0.0; }
};
// `run_once_ms` times one monolithic run on another executor (the GPU); empty: libtorch on the CPU.
ProfileCheck check_profile(const DeviceProfile& profile, const Graph& graph, int threads, int repetitions = 7,
                           const std::function<double()>& run_once_ms = {});

}  // namespace edgeplan
