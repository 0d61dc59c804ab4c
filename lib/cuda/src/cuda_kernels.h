// Launchers of the element kernels (cuda_kernels.cu): one thread per output cell, each
// calling the cell function of kernel_math.h that the host interpreter calls too. `half`:
// the arenas hold IEEE half (fp16 mode), else float; parameters are always float here.
#pragma once
#include <cuda_runtime_api.h>

#include "edgeplan/kernels/kernel_plan.h"

namespace edgeplan::cuda {

// Launches `kind` (every kind but Conv and Linear, which are cuDNN / cuBLAS) on `stream`.
cudaError_t launch_cells(KernelKind kind, const kern::Args& args, void* arena, const float* weights, bool half, cudaStream_t stream);
// Bias and activation over a convolution's or fully connected layer's output, in place.
cudaError_t launch_epilogue(const kern::Args& args, void* arena, const float* weights, bool half, cudaStream_t stream);
// Copies the cells of `from` (in `src`) to `to` (in `dst`): a message between two tasks' arenas.
cudaError_t launch_copy(const void* src, const kern::View& from, void* dst, const kern::View& to, bool half, cudaStream_t stream);
// Converts n floats to half (weights and the image at load, never in a timed run).
cudaError_t launch_to_half(const float* from, void* to, std::int64_t n, cudaStream_t stream);
// Converts n halves to float (the output, after the timed runs).
cudaError_t launch_to_float(const void* from, float* to, std::int64_t n, cudaStream_t stream);

}  // namespace edgeplan::cuda
