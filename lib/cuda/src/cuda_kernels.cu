// The element kernels: a grid over the output cells, the arithmetic in kernel_math.h.
#include "cuda_kernels.h"

namespace edgeplan::cuda {

namespace {

constexpr int kThreads = 256;

// No __restrict__: element-wise kernels may write the buffer they read (in place).
template <KernelKind K>
__global__ void cells(kern::Args a, float* m, const float* w, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int c, r, q;
  kern::decode(a.out, i, c, r, q);
  float v;
  if constexpr (K == KernelKind::Gather) v = kern::gather_cell(a, m, c, r, q);
  else if constexpr (K == KernelKind::ConvTranspose) v = kern::conv_transpose_cell(a, m, w, c, r, q);
  else if constexpr (K == KernelKind::MaxPool) v = kern::pool_cell(a, m, true, c, r, q);
  else if constexpr (K == KernelKind::AvgPool) v = kern::pool_cell(a, m, false, c, r, q);
  else if constexpr (K == KernelKind::AdaptiveAvgPool) v = kern::adaptive_cell(a, m, c, r, q);
  else if constexpr (K == KernelKind::Unary) v = kern::unary_cell(a, m, c, r, q);
  else if constexpr (K == KernelKind::Affine) v = kern::affine_cell(a, m, w, c, r, q);
  else if constexpr (K == KernelKind::Add) v = kern::add_cell(a, m, c, r, q);
  else if constexpr (K == KernelKind::Mul) v = kern::mul_cell(a, m, c, r, q);
  else if constexpr (K == KernelKind::Copy) v = kern::copy_cell(a, m, c, r, q);
  else if constexpr (K == KernelKind::Upsample) v = kern::upsample_cell(a, m, c, r, q);
  else if constexpr (K == KernelKind::Reorg) v = kern::reorg_cell(a, m, c, r, q);
  else v = kern::shuffle_cell(a, m, c, r, q);
  m[kern::at(a.out, c, r, q)] = v;
}

__global__ void epilogue(kern::Args a, float* m, const float* w, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int c, r, q;
  kern::decode(a.out, i, c, r, q);
  float& y = m[kern::at(a.out, c, r, q)];
  y = kern::conv_epilogue(a, w, c, y);
}

__global__ void copy(const float* src, kern::View from, float* dst, kern::View to, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int c, r, q;
  kern::decode(to, i, c, r, q);
  dst[kern::at(to, c, r, q)] = src[kern::at(from, c, r, q)];
}

unsigned blocks(std::int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

template <KernelKind K>
cudaError_t launch(const kern::Args& a, float* m, const float* w, cudaStream_t s) {
  const std::int64_t n = kern::cells(a.out);
  if (n == 0) return cudaSuccess;
  cells<K><<<blocks(n), kThreads, 0, s>>>(a, m, w, n);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_cells(KernelKind kind, const kern::Args& a, float* m, const float* w, cudaStream_t s) {
  switch (kind) {
    case KernelKind::Gather: return launch<KernelKind::Gather>(a, m, w, s);
    case KernelKind::ConvTranspose: return launch<KernelKind::ConvTranspose>(a, m, w, s);
    case KernelKind::MaxPool: return launch<KernelKind::MaxPool>(a, m, w, s);
    case KernelKind::AvgPool: return launch<KernelKind::AvgPool>(a, m, w, s);
    case KernelKind::AdaptiveAvgPool: return launch<KernelKind::AdaptiveAvgPool>(a, m, w, s);
    case KernelKind::Unary: return launch<KernelKind::Unary>(a, m, w, s);
    case KernelKind::Affine: return launch<KernelKind::Affine>(a, m, w, s);
    case KernelKind::Add: return launch<KernelKind::Add>(a, m, w, s);
    case KernelKind::Mul: return launch<KernelKind::Mul>(a, m, w, s);
    case KernelKind::Copy: return launch<KernelKind::Copy>(a, m, w, s);
    case KernelKind::Upsample: return launch<KernelKind::Upsample>(a, m, w, s);
    case KernelKind::Reorg: return launch<KernelKind::Reorg>(a, m, w, s);
    case KernelKind::Shuffle: return launch<KernelKind::Shuffle>(a, m, w, s);
    case KernelKind::Conv:
    case KernelKind::Linear: break;
  }
  return cudaErrorInvalidValue;
}

cudaError_t launch_epilogue(const kern::Args& a, float* m, const float* w, cudaStream_t s) {
  const std::int64_t n = kern::cells(a.out);
  if (n == 0 || (a.b_off < 0 && a.act == kern::kNone)) return cudaSuccess;
  epilogue<<<blocks(n), kThreads, 0, s>>>(a, m, w, n);
  return cudaGetLastError();
}

cudaError_t launch_copy(const float* src, const kern::View& from, float* dst, const kern::View& to, cudaStream_t s) {
  const std::int64_t n = kern::cells(to);
  if (n == 0) return cudaSuccess;
  copy<<<blocks(n), kThreads, 0, s>>>(src, from, dst, to, n);
  return cudaGetLastError();
}

}  // namespace edgeplan::cuda
