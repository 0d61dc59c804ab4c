// Launchers of the element kernels (cuda_kernels.cu): one thread per output cell, each
// calling the cell function of kernel_math.h that the host interpreter calls too.
#pragma once
#include <cuda_runtime_api.h>

#include "edgeplan/kernels/kernel_plan.h"

namespace edgeplan::cuda {

// Launches `kind` (every kind but Conv and Linear, which are cuDNN / cuBLAS) on `stream`:
// `arena` holds the views, `weights` the kernel's parameters.
cudaError_t launch_cells(KernelKind kind, const kern::Args& args, float* arena, const float* weights, cudaStream_t stream);
// Bias and activation over a convolution's or fully connected layer's output, in place.
cudaError_t launch_epilogue(const kern::Args& args, float* arena, const float* weights, cudaStream_t stream);
// Copies the cells of `from` (in `src`) to `to` (in `dst`): a message between two tasks' arenas.
cudaError_t launch_copy(const float* src, const kern::View& from, float* dst, const kern::View& to, cudaStream_t stream);

}  // namespace edgeplan::cuda
