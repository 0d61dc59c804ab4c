// What every build of the backend says about itself (with or without CUDA).
#include <cstdio>

#include "edgeplan/cuda/cuda_backend.h"
#include "edgeplan/model/error.h"

namespace edgeplan {

namespace {

// CUDA writes versions as 1000 * major + 10 * minor; cuDNN and cuBLAS here as 10000 * major + 100 * minor + patch.
std::string cuda_version(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }
std::string three_part(std::int64_t v) {
  return std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." + std::to_string(v % 100);
}

}  // namespace

std::string CudaInfo::describe() const {
  if (!built) return reason;
  const std::string versions = "driver " + cuda_version(driver_version) + ", CUDA runtime " + cuda_version(runtime_version) +
                               ", cuDNN " + three_part(cudnn_version) + ", cuBLAS " + three_part(cublas_version);
  if (!available) return reason + "; " + versions;
  char mem[32];
  std::snprintf(mem, sizeof mem, "%.1f GiB", static_cast<double>(memory_bytes) / (1 << 30));
  return name + ", sm_" + std::to_string(compute_capability) + ", " + mem + ", " + versions;
}

void require_cuda() {
  const CudaInfo info = cuda_info();
  if (!info.available) throw Error("CUDA backend: " + info.reason);
}

}  // namespace edgeplan
