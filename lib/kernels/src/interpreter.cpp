// The host interpreter: every kernel kind cell by cell (kernel_math.h), convolutions direct.
#include "edgeplan/kernels/interpreter.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace edgeplan {

namespace {

using kern::Args;

// Direct convolution with the symmetric pads cuDNN would apply; weights [out][in/g][kh][kw].
float conv_cell(const Args& a, const float* m, const float* w, int o, int r, int q) {
  const int ipg = a.in0.c / a.groups, opg = a.out.c / a.groups, g = o / opg;
  float acc = 0.0f;
  for (int ci = 0; ci < ipg; ++ci)
    for (int i = 0; i < a.wh.kernel; ++i) {
      const int R = r * a.wh.stride - a.wh.pad + i * a.wh.dilation;
      if (R < 0 || R >= a.in0.h) continue;
      for (int j = 0; j < a.ww.kernel; ++j) {
        const int Q = q * a.ww.stride - a.ww.pad + j * a.ww.dilation;
        if (Q < 0 || Q >= a.in0.w) continue;
        acc += m[kern::at(a.in0, g * ipg + ci, R, Q)] * w[a.w_off + ((std::int64_t{o} * ipg + ci) * a.wh.kernel + i) * a.ww.kernel + j];
      }
    }
  return kern::conv_epilogue(a, w, o, acc);
}

float linear_cell(const Args& a, const float* m, const float* w, int o) {
  const std::int64_t n = kern::cells(a.in0);
  float acc = 0.0f;
  for (std::int64_t i = 0; i < n; ++i) acc += w[a.w_off + o * n + i] * m[a.in0.offset + i];
  return kern::conv_epilogue(a, w, o, acc);
}

float cell(const Kernel& k, const float* m, const float* w, int c, int r, int q) {
  const Args& a = k.args;
  switch (k.kind) {
    case KernelKind::Gather: return kern::gather_cell(a, m, c, r, q);
    case KernelKind::Conv: return conv_cell(a, m, w, c, r, q);
    case KernelKind::ConvTranspose: return kern::conv_transpose_cell(a, m, w, c, r, q);
    case KernelKind::MaxPool: return kern::pool_cell(a, m, true, c, r, q);
    case KernelKind::AvgPool: return kern::pool_cell(a, m, false, c, r, q);
    case KernelKind::AdaptiveAvgPool: return kern::adaptive_cell(a, m, c, r, q);
    case KernelKind::Linear: return linear_cell(a, m, w, c);
    case KernelKind::Unary: return kern::unary_cell(a, m, c, r, q);
    case KernelKind::Affine: return kern::affine_cell(a, m, w, c, r, q);
    case KernelKind::Add: return kern::add_cell(a, m, c, r, q);
    case KernelKind::Mul: return kern::mul_cell(a, m, c, r, q);
    case KernelKind::Copy: return kern::copy_cell(a, m, c, r, q);
    case KernelKind::Upsample: return kern::upsample_cell(a, m, c, r, q);
    case KernelKind::Reorg: return kern::reorg_cell(a, m, c, r, q);
    case KernelKind::Shuffle: return kern::shuffle_cell(a, m, c, r, q);
  }
  throw std::logic_error("unknown kernel kind");
}

}  // namespace

void interpret(const KernelPlan& plan, float* arena, int threads) {
  const float* w = plan.weights.data();
  const bool half = plan.precision == ElementType::F16;  // each stored cell rounded as the GPU stores it
  for (const Kernel& k : plan.kernels) {
    const kern::View& o = k.args.out;
    // Element-wise kernels may run in place (out == in0): each cell reads only itself, so
    // cells in any order (and on any thread) are safe; other kinds write a buffer they do not read.
    auto range = [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        int c = 0, r = 0, q = 0;
        kern::decode(o, i, c, r, q);
        const float v = cell(k, arena, w, c, r, q);
        arena[kern::at(o, c, r, q)] = half ? round_to_half(v) : v;
      }
    };
    const std::int64_t n = kern::cells(o);
    const std::int64_t t = std::min<std::int64_t>(std::max(1, threads), std::max<std::int64_t>(1, n / 4096));
    if (t <= 1) {
      range(0, n);
      continue;
    }
    std::vector<std::thread> pool;
    for (std::int64_t j = 0; j < t; ++j) pool.emplace_back(range, n * j / t, n * (j + 1) / t);
    for (std::thread& th : pool) th.join();
  }
}

void copy_view(const float* src, const kern::View& from, float* dst, const kern::View& to) {
  if (from.c != to.c || from.h != to.h || from.w != to.w) throw std::logic_error("copy between views of different extents");
  for (int c = 0; c < to.c; ++c)
    for (int r = 0; r < to.h; ++r)
      for (int q = 0; q < to.w; ++q) dst[kern::at(to, c, r, q)] = src[kern::at(from, c, r, q)];
}

std::vector<float> read_view(const float* base, const kern::View& v) {
  std::vector<float> out(static_cast<std::size_t>(kern::cells(v)));
  copy_view(base, v, out.data(), kern::packed_view(v.c, v.h, v.w));
  return out;
}

void write_view(float* base, const kern::View& v, const std::vector<float>& values) {
  if (static_cast<std::int64_t>(values.size()) != kern::cells(v)) throw std::logic_error("values do not fill the view");
  copy_view(values.data(), kern::packed_view(v.c, v.h, v.w), base, v);
}

}  // namespace edgeplan
