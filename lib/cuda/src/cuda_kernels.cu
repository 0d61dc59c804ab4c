// The element kernels: a grid over the output cells, the arithmetic in kernel_math.h, the
// activations stored as T (float, or __half in fp16 mode).
#include <cuda_fp16.h>

#include "cuda_kernels.h"

namespace edgeplan::cuda {

namespace {

constexpr int kThreads = 256;

template <class T>
__device__ __forceinline__ T store_as(float v);
template <>
__device__ __forceinline__ float store_as<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half store_as<__half>(float v) {
  return __float2half_rn(v);
}

// No __restrict__: element-wise kernels may write the buffer they read (in place).
template <KernelKind K, class T>
__global__ void cells(kern::Args a, T* m, const float* w, std::int64_t n) {
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
  m[kern::at(a.out, c, r, q)] = store_as<T>(v);
}

template <class T>
__global__ void epilogue(kern::Args a, T* m, const float* w, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int c, r, q;
  kern::decode(a.out, i, c, r, q);
  T& y = m[kern::at(a.out, c, r, q)];
  y = store_as<T>(kern::conv_epilogue(a, w, c, kern::load(y)));
}

template <class T>
__global__ void copy(const T* src, kern::View from, T* dst, kern::View to, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int c, r, q;
  kern::decode(to, i, c, r, q);
  dst[kern::at(to, c, r, q)] = src[kern::at(from, c, r, q)];
}

__global__ void to_half(const float* from, __half* to, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) to[i] = __float2half_rn(from[i]);
}

__global__ void to_float(const __half* from, float* to, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) to[i] = __half2float(from[i]);
}

unsigned blocks(std::int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

template <KernelKind K>
cudaError_t launch(const kern::Args& a, void* m, const float* w, bool half, cudaStream_t s) {
  const std::int64_t n = kern::cells(a.out);
  if (n == 0) return cudaSuccess;
  if (half) cells<K, __half><<<blocks(n), kThreads, 0, s>>>(a, static_cast<__half*>(m), w, n);
  else cells<K, float><<<blocks(n), kThreads, 0, s>>>(a, static_cast<float*>(m), w, n);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_cells(KernelKind kind, const kern::Args& a, void* m, const float* w, bool half, cudaStream_t s) {
  switch (kind) {
    case KernelKind::Gather: return launch<KernelKind::Gather>(a, m, w, half, s);
    case KernelKind::ConvTranspose: return launch<KernelKind::ConvTranspose>(a, m, w, half, s);
    case KernelKind::MaxPool: return launch<KernelKind::MaxPool>(a, m, w, half, s);
    case KernelKind::AvgPool: return launch<KernelKind::AvgPool>(a, m, w, half, s);
    case KernelKind::AdaptiveAvgPool: return launch<KernelKind::AdaptiveAvgPool>(a, m, w, half, s);
    case KernelKind::Unary: return launch<KernelKind::Unary>(a, m, w, half, s);
    case KernelKind::Affine: return launch<KernelKind::Affine>(a, m, w, half, s);
    case KernelKind::Add: return launch<KernelKind::Add>(a, m, w, half, s);
    case KernelKind::Mul: return launch<KernelKind::Mul>(a, m, w, half, s);
    case KernelKind::Copy: return launch<KernelKind::Copy>(a, m, w, half, s);
    case KernelKind::Upsample: return launch<KernelKind::Upsample>(a, m, w, half, s);
    case KernelKind::Reorg: return launch<KernelKind::Reorg>(a, m, w, half, s);
    case KernelKind::Shuffle: return launch<KernelKind::Shuffle>(a, m, w, half, s);
    case KernelKind::Conv:
    case KernelKind::Linear: break;
  }
  return cudaErrorInvalidValue;
}

cudaError_t launch_epilogue(const kern::Args& a, void* m, const float* w, bool half, cudaStream_t s) {
  const std::int64_t n = kern::cells(a.out);
  if (n == 0 || (a.b_off < 0 && a.act == kern::kNone)) return cudaSuccess;
  if (half) epilogue<__half><<<blocks(n), kThreads, 0, s>>>(a, static_cast<__half*>(m), w, n);
  else epilogue<float><<<blocks(n), kThreads, 0, s>>>(a, static_cast<float*>(m), w, n);
  return cudaGetLastError();
}

cudaError_t launch_copy(const void* src, const kern::View& from, void* dst, const kern::View& to, bool half, cudaStream_t s) {
  const std::int64_t n = kern::cells(to);
  if (n == 0) return cudaSuccess;
  if (half) copy<__half><<<blocks(n), kThreads, 0, s>>>(static_cast<const __half*>(src), from, static_cast<__half*>(dst), to, n);
  else copy<float><<<blocks(n), kThreads, 0, s>>>(static_cast<const float*>(src), from, static_cast<float*>(dst), to, n);
  return cudaGetLastError();
}

cudaError_t launch_to_half(const float* from, void* to, std::int64_t n, cudaStream_t s) {
  if (n == 0) return cudaSuccess;
  to_half<<<blocks(n), kThreads, 0, s>>>(from, static_cast<__half*>(to), n);
  return cudaGetLastError();
}

cudaError_t launch_to_float(const void* from, float* to, std::int64_t n, cudaStream_t s) {
  if (n == 0) return cudaSuccess;
  to_float<<<blocks(n), kThreads, 0, s>>>(static_cast<const __half*>(from), to, n);
  return cudaGetLastError();
}

}  // namespace edgeplan::cuda
