// The backend in a build without CUDA (EDGEPLAN_CUDA=OFF): every call says so in one line.
#include "edgeplan/cuda/cuda_backend.h"
#include "edgeplan/model/error.h"

namespace edgeplan {

CudaInfo cuda_info() {
  CudaInfo info;
  info.reason = "this edgeplan was built without the CUDA backend (EDGEPLAN_CUDA=OFF: no CUDA toolkit with cuDNN and cuBLAS found)";
  return info;
}

CudaRunResult cuda_run_flow(const Dataflow&, const KernelFlow&, const std::vector<float>&, const CudaRunOptions&) {
  require_cuda();
  return {};
}

std::function<double()> cuda_task_timer(const KernelPlan&, bool) {
  require_cuda();
  return {};
}

}  // namespace edgeplan
