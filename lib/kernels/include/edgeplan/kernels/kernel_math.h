// The arithmetic of one output cell of every kernel the lowering emits, shared word for word
// by the CUDA kernels (nvcc) and the host interpreter (g++): what the CPU tests prove exact
// against the reference executor is the index math the GPU runs. Convolutions and fully
// connected layers are the exception (cuDNN / cuBLAS on the GPU, direct loops here).
// Plain structs and inline functions only: this header is compiled by nvcc too.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#include <cuda_fp16.h>
#define EP_HD __host__ __device__ __forceinline__
#else
#define EP_HD inline
#endif

namespace edgeplan::kern {

// A [c][h][w] block of the arena: cell (c, r, q) is at offset + c*cs + r*hs + q (elements).
// Packed when hs == w and cs == h*w (what cuDNN and cuBLAS are given).
struct View {
  std::int64_t offset = 0;
  int c = 0, h = 0, w = 0;
  std::int64_t cs = 0, hs = 0;
};
EP_HD std::int64_t at(const View& v, int c, int r, int q) { return v.offset + c * v.cs + r * v.hs + q; }
// A packed [c][h][w] block starting at element 0 (offset it to place it).
EP_HD View packed_view(int c, int h, int w) { return View{0, c, h, w, std::int64_t{h} * w, w}; }
EP_HD std::int64_t cells(const View& v) { return std::int64_t{v.c} * v.h * v.w; }
// Activations are stored as T (float, or __half on the GPU in fp16 mode); arithmetic is float.
EP_HD float load(float x) { return x; }
#if defined(__CUDACC__)
__device__ __forceinline__ float load(__half x) { return __half2float(x); }
#endif

EP_HD bool packed(const View& v) { return v.hs == v.w && v.cs == std::int64_t{v.h} * v.w; }

// One axis of a sliding window. For a convolution these are the pads cuDNN applies to the
// packed input it is given (symmetric); for the region kernels (pools, transposed
// convolution) the layer's own window in coordinates of the whole map.
struct Win {
  int kernel = 1, stride = 1, pad = 0, pad_end = 0, dilation = 1;
};

enum Act : int { kNone = 0, kReLU, kReLU6, kLeaky, kSigmoid, kHardSigmoid, kHardSwish, kClip };

// Everything one kernel launch reads: views into the arena, offsets into the weights.
struct Args {
  View in0, in1, out;
  Win wh, ww;
  int in_r0 = 0, in_c0 = 0;    // position of in0's first cell in its whole map
  int in_h = 0, in_w = 0;      // extent of in0's whole map
  int out_r0 = 0, out_c0 = 0;  // position of out's first cell in its whole map
  int groups = 1;              // Conv, ConvTranspose, ChannelShuffle
  int act = kNone;             // epilogue of Conv / Linear, the op of Unary
  float alpha = 0, beta = 0;   // the activation's parameters (leaky slope, clip bounds, hard-sigmoid)
  float fill = 0;              // Gather: the value of cells outside the map
  int flag = 0;                // AvgPool: count_include_pad; Add / Mul: accumulate into out
  std::int64_t w_off = -1, b_off = -1;  // weights / bias (or scale / shift) in the weight array
};

EP_HD float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

// PyTorch's definitions (torch.nn.functional), so the CPU reference agrees.
EP_HD float activate(float x, int act, float a, float b) {
  switch (act) {
    case kReLU: return x > 0.0f ? x : 0.0f;
    case kReLU6: return clampf(x, 0.0f, 6.0f);
    case kLeaky: return x > 0.0f ? x : x * a;
    case kSigmoid: return 1.0f / (1.0f + expf(-x));
    case kHardSigmoid: return clampf(x * a + b, 0.0f, 1.0f);
    case kHardSwish: return x * clampf(x + 3.0f, 0.0f, 6.0f) / 6.0f;
    case kClip: return clampf(x, a, b);
    default: return x;
  }
}

// Decodes a flat index over out's cells into (c, r, q).
EP_HD void decode(const View& v, std::int64_t i, int& c, int& r, int& q) {
  q = static_cast<int>(i % v.w);
  r = static_cast<int>((i / v.w) % v.h);
  c = static_cast<int>(i / (std::int64_t{v.w} * v.h));
}

// Gather: out is a window of the map (from (out_r0, out_c0)); cells inside the map come
// from in0 (which holds them from (in_r0, in_c0)), the rest is `fill` (the true border).
template <class T>
EP_HD float gather_cell(const Args& a, const T* m, int c, int r, int q) {
  const int R = a.out_r0 + r, Q = a.out_c0 + q;
  if (R < 0 || R >= a.in_h || Q < 0 || Q >= a.in_w) return a.fill;
  return load(m[at(a.in0, c, R - a.in_r0, Q - a.in_c0)]);
}

// Max / average pooling of one output cell, padding only where the window leaves the map.
template <class T>
EP_HD float pool_cell(const Args& a, const T* m, bool max, int c, int r, int q) {
  const int r0 = (a.out_r0 + r) * a.wh.stride - a.wh.pad, q0 = (a.out_c0 + q) * a.ww.stride - a.ww.pad;
  float acc = max ? -INFINITY : 0.0f;
  for (int i = 0; i < a.wh.kernel; ++i) {
    const int R = r0 + i * a.wh.dilation;
    if (R < 0 || R >= a.in_h) continue;
    for (int j = 0; j < a.ww.kernel; ++j) {
      const int Q = q0 + j * a.ww.dilation;
      if (Q < 0 || Q >= a.in_w) continue;
      const float x = load(m[at(a.in0, c, R - a.in_r0, Q - a.in_c0)]);
      acc = max ? (x > acc || x != x ? x : acc) : acc + x;
    }
  }
  if (max) return acc;
  // PyTorch's divisor per axis: the window clipped to map + end padding, or to the map alone.
  const int er = (r0 + a.wh.kernel < a.in_h + a.wh.pad_end) ? r0 + a.wh.kernel : a.in_h + a.wh.pad_end;
  const int ec = (q0 + a.ww.kernel < a.in_w + a.ww.pad_end) ? q0 + a.ww.kernel : a.in_w + a.ww.pad_end;
  const int dr = a.flag ? er - r0 : (er < a.in_h ? er : a.in_h) - (r0 > 0 ? r0 : 0);
  const int dc = a.flag ? ec - q0 : (ec < a.in_w ? ec : a.in_w) - (q0 > 0 ? q0 : 0);
  return acc / static_cast<float>(dr * dc);
}

// Transposed convolution, gather form: the input cells whose taps land on this output cell.
// Weights [in][out/groups][kh][kw] (PyTorch / ONNX); outputs no input reaches hold the bias.
template <class T>
EP_HD float conv_transpose_cell(const Args& a, const T* m, const float* w, int o, int r, int q) {
  const int cin = a.in0.c, cout = a.out.c, ipg = cin / a.groups, opg = cout / a.groups;
  const int g = o / opg, ol = o % opg;
  const int ur = a.out_r0 + r + a.wh.pad, uq = a.out_c0 + q + a.ww.pad;  // uncropped position
  float acc = a.b_off >= 0 ? w[a.b_off + o] : 0.0f;
  for (int ci = g * ipg; ci < (g + 1) * ipg; ++ci)
    for (int i = 0; i < a.wh.kernel; ++i) {
      const int tr = ur - i * a.wh.dilation;
      if (tr < 0 || tr % a.wh.stride != 0) continue;
      const int R = tr / a.wh.stride - a.in_r0;
      if (R < 0 || R >= a.in0.h) continue;
      for (int j = 0; j < a.ww.kernel; ++j) {
        const int tq = uq - j * a.ww.dilation;
        if (tq < 0 || tq % a.ww.stride != 0) continue;
        const int Q = tq / a.ww.stride - a.in_c0;
        if (Q < 0 || Q >= a.in0.w) continue;
        acc += load(m[at(a.in0, ci, R, Q)]) * w[a.w_off + ((std::int64_t{ci} * opg + ol) * a.wh.kernel + i) * a.ww.kernel + j];
      }
    }
  return acc;
}

// Nearest-neighbour upsampling by wh.stride / ww.stride.
template <class T>
EP_HD float upsample_cell(const Args& a, const T* m, int c, int r, int q) {
  return load(m[at(a.in0, c, (a.out_r0 + r) / a.wh.stride - a.in_r0, (a.out_c0 + q) / a.ww.stride - a.in_c0)]);
}

// Space-to-depth (PyTorch's pixel_unshuffle): out channel c*s*s + i*s + j is in channel c at (i, j).
template <class T>
EP_HD float reorg_cell(const Args& a, const T* m, int oc, int r, int q) {
  const int s = a.wh.stride, c = oc / (s * s), i = (oc / s) % s, j = oc % s;
  return load(m[at(a.in0, c, (a.out_r0 + r) * s + i - a.in_r0, (a.out_c0 + q) * s + j - a.in_c0)]);
}

// ShuffleNet's shuffle: channels seen as groups x C/groups, transposed.
template <class T>
EP_HD float shuffle_cell(const Args& a, const T* m, int oc, int r, int q) {
  const int per = a.in0.c / a.groups;
  return load(m[at(a.in0, (oc % a.groups) * per + oc / a.groups, r, q)]);
}

// Adaptive average pooling of the whole map (PyTorch's bins: floor start, ceil end).
template <class T>
EP_HD float adaptive_cell(const Args& a, const T* m, int c, int r, int q) {
  const int H = a.in0.h, W = a.in0.w, oh = a.out.h, ow = a.out.w;
  const int r0 = (r * H) / oh, r1 = ((r + 1) * H + oh - 1) / oh;
  const int q0 = (q * W) / ow, q1 = ((q + 1) * W + ow - 1) / ow;
  float acc = 0.0f;
  for (int i = r0; i < r1; ++i)
    for (int j = q0; j < q1; ++j) acc += load(m[at(a.in0, c, i, j)]);
  return acc / static_cast<float>((r1 - r0) * (q1 - q0));
}

// Element-wise kinds: operands of one cell (a 1 x 1 operand is a per-channel vector, broadcast).
template <class T>
EP_HD float operand(const View& v, const T* m, int c, int r, int q) {
  return load(m[at(v, c, v.h == 1 ? 0 : r, v.w == 1 ? 0 : q)]);
}
template <class T>
EP_HD float unary_cell(const Args& a, const T* m, int c, int r, int q) {
  return activate(load(m[at(a.in0, c, r, q)]), a.act, a.alpha, a.beta);
}
template <class T>
EP_HD float affine_cell(const Args& a, const T* m, const float* w, int c, int r, int q) {
  return load(m[at(a.in0, c, r, q)]) * w[a.w_off + c] + w[a.b_off + c];
}
template <class T>
EP_HD float add_cell(const Args& a, const T* m, int c, int r, int q) {
  return load(m[at(a.in0, c, r, q)]) + load(m[at(a.in1, c, r, q)]);
}
template <class T>
EP_HD float mul_cell(const Args& a, const T* m, int c, int r, int q) {
  return operand(a.in0, m, c, r, q) * operand(a.in1, m, c, r, q);
}
template <class T>
EP_HD float copy_cell(const Args& a, const T* m, int c, int r, int q) { return load(m[at(a.in0, c, r, q)]); }

// Convolution epilogue: bias (folded batch norm included) and activation.
EP_HD float conv_epilogue(const Args& a, const float* w, int o, float acc) {
  return activate(a.b_off >= 0 ? acc + w[a.b_off + o] : acc, a.act, a.alpha, a.beta);
}

}  // namespace edgeplan::kern
