// `edgeplan replay --backend cuda` (cmd_replay_cuda.cpp).
#pragma once
#include <string>

namespace edgeplan::cli {

// fp32 with TF32 off: cuDNN's FFT and Winograd algorithms round differently from the CPU's
// direct sums; 1e-3 of the output's range bounds them (docs/cuda.md).
constexpr double kCudaTolerance = 1e-3;
// fp16 storage alone (the host's emulation) moves the zoo's outputs by up to 5.7e-3 of their
// range (mobilenet_v2); 2e-2 leaves room for the GPU's own rounding (docs/cuda.md).
constexpr double kCudaToleranceF16 = 2e-2;

struct CudaReplayArgs {
  std::string plan, output;
  int repeat = 50, warmup = 5;
  bool find = false;
  std::string precision = "fp32";  // or fp16
};

int replay_on_cuda(const CudaReplayArgs& a);

}  // namespace edgeplan::cli
