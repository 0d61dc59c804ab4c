// The thin CUDA executor: kernel plans (lib/kernels) run with cuDNN convolutions, cuBLAS fully
// connected layers and edgeplan's own element kernels; no libtorch. This header is CUDA-free:
// callers build the same either way, and a build without the backend (EDGEPLAN_CUDA=OFF, e.g.
// where the toolkit or cuDNN is missing) answers every call with a one-line error.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "edgeplan/kernels/kernel_flow.h"

namespace edgeplan {

// What the backend can use here. Never throws.
struct CudaInfo {
  bool built = false;      // compiled with EDGEPLAN_CUDA
  bool available = false;  // built and at least one GPU answers
  std::string reason;      // why not available, one line
  int devices = 0;
  std::string name;        // GPU 0
  int compute_capability = 0;  // e.g. 90
  std::int64_t memory_bytes = 0;
  int driver_version = 0, runtime_version = 0;  // CUDA's encoding, e.g. 13000
  std::int64_t cudnn_version = 0;               // e.g. 91900
  int cublas_version = 0;
  std::string describe() const;  // "NVIDIA H200, sm_90, 139.8 GiB, driver 13.0, CUDA 13.0, cuDNN 9.19.0, cuBLAS 13.0.0"
};
CudaInfo cuda_info();
// Throws Error (one line) unless cuda_info().available.
void require_cuda();

struct CudaRunOptions {
  int repeat = 20;               // timed runs
  int warmup = 3;                // untimed runs first (the first also checks every call)
  bool find_algorithms = false;  // cudnnFind (measures every algorithm) instead of heuristics
};

struct CudaRunResult {
  std::vector<double> latency_ms;   // per timed run: image on the GPU -> output on the GPU (CUDA events)
  std::vector<double> transfer_ms;  // per timed run: summed time of the message copies (they may overlap compute)
  std::vector<float> output;        // the model output of the last run (C*H*W)
  int streams = 0;                  // one per plan device
  int kernels = 0, convolutions = 0;
  std::int64_t arena_bytes = 0, workspace_bytes = 0, weight_bytes = 0;
  std::vector<std::string> algorithms;  // per convolution: the cuDNN algorithm chosen
};

// Runs a lowered dataflow on GPU 0: every plan device a stream, every message a device-to-
// device copy between the tasks' arenas, weights uploaded and algorithms chosen once, one
// arena and one workspace per stream allocated before the first run. Throws Error (one line).
CudaRunResult cuda_run_flow(const Dataflow& flow, const KernelFlow& kernels, const std::vector<float>& image,
                            const CudaRunOptions& options = {});

// Prepares one task (a single layer's region for the profiler, or a whole model as one
// task: cuDNN without a plan) and returns a function that runs it once and returns its time
// in ms (CUDA events). Timers share one stream and handles. Throws Error (one line).
std::function<double()> cuda_task_timer(const KernelPlan& plan, bool find_algorithms = false);

}  // namespace edgeplan
