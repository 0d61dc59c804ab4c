// Kernel plans: task regions, buffer placement, batch-norm folding, seeded weights, descriptions.
#include "edgeplan/kernels/kernel_plan.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "edgeplan/model/error.h"

namespace edgeplan {

const char* to_string(KernelKind kind) {
  switch (kind) {
    case KernelKind::Gather: return "gather";
    case KernelKind::Conv: return "conv";
    case KernelKind::ConvTranspose: return "conv_transpose";
    case KernelKind::MaxPool: return "maxpool";
    case KernelKind::AvgPool: return "avgpool";
    case KernelKind::AdaptiveAvgPool: return "adaptive_avgpool";
    case KernelKind::Linear: return "linear";
    case KernelKind::Unary: return "unary";
    case KernelKind::Affine: return "affine";
    case KernelKind::Add: return "add";
    case KernelKind::Mul: return "mul";
    case KernelKind::Copy: return "copy";
    case KernelKind::Upsample: return "upsample";
    case KernelKind::Reorg: return "reorg";
    case KernelKind::Shuffle: return "shuffle";
  }
  return "unknown";
}

TaskRegions part_regions(const Graph& graph, LayerRange layers, const std::map<int, Region>& owned) {
  const VolumeRegions vr = required_regions(graph, layers, owned);
  return TaskRegions{layers, vr.layer_out, vr.inputs, owned};
}

TaskRegions whole_regions(const Graph& graph, LayerRange layers) {
  TaskRegions t{layers, {}, {}, {}};
  for (int l = layers.first; l < layers.last; ++l) t.layer_out.push_back(full_region(graph.layer(l).out));
  for (int x : graph.external_inputs(layers)) t.inputs[x] = full_region(graph.tensor_shape(x));
  t.outputs[layers.last - 1] = full_region(graph.layer(layers.last - 1).out);
  return t;
}

TaskRegions layer_regions(const Graph& graph, int layer, const Region& out) {
  const Layer& l = graph.layer(layer);
  TaskRegions t{LayerRange{layer, layer + 1}, {out}, {}, {{layer, out}}};
  for (int x : l.inputs) {
    const Shape& s = graph.tensor_shape(x);
    t.inputs[x] = l.is_spatial() ? input_region(l, out, s) : full_region(s);
  }
  return t;
}

std::vector<float> lcg_uniform(std::size_t n, std::uint64_t& state, float lo, float hi) {
  std::vector<float> v(n);
  for (float& x : v) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    x = lo + (hi - lo) * static_cast<float>((state >> 40) & 0xFFFFFF) / 16777216.0f;
  }
  return v;
}

ModelWeights seeded_model_weights(const Graph& g, std::uint64_t seed) {
  ModelWeights w;
  std::uint64_t s = seed;
  for (int l = 0; l < g.size(); ++l) {
    const Layer& L = g.layer(l);
    LayerParams p;
    const std::size_t cin = L.inputs.empty() ? 0 : static_cast<std::size_t>(g.tensor_shape(L.inputs[0]).c);
    const std::size_t kk = static_cast<std::size_t>(L.win_h.kernel) * static_cast<std::size_t>(L.win_w.kernel);
    const std::size_t out = static_cast<std::size_t>(L.out.c);
    const std::size_t groups = static_cast<std::size_t>(std::max(1, L.groups));
    auto he = [&](std::size_t n, std::size_t fan_in) {
      const float b = std::sqrt(6.0f / static_cast<float>(std::max<std::size_t>(1, fan_in)));
      return lcg_uniform(n, s, -b, b);
    };
    switch (L.kind) {
      case LayerKind::Conv: p.weight = he(out * cin / groups * kk, cin / groups * kk); break;
      case LayerKind::ConvTranspose: p.weight = he(cin * out / groups * kk, cin / groups * kk); break;
      case LayerKind::Linear: {
        const auto n = static_cast<std::size_t>(g.tensor_shape(L.inputs[0]).elements());
        p.weight = he(out * n, n);
        break;
      }
      case LayerKind::BatchNorm:
        p.gamma = lcg_uniform(out, s, 0.5f, 1.5f);
        p.beta = lcg_uniform(out, s, -0.1f, 0.1f);
        p.mean = lcg_uniform(out, s, -0.1f, 0.1f);
        p.var = lcg_uniform(out, s, 0.5f, 1.5f);
        break;
      case LayerKind::Affine:
        p.gamma = lcg_uniform(out, s, 0.5f, 1.5f);
        p.beta = lcg_uniform(out, s, -0.1f, 0.1f);
        break;
      default: break;
    }
    if (L.bias) p.bias = lcg_uniform(out, s, -0.1f, 0.1f);
    w.layers.push_back(std::move(p));
  }
  return w;
}

void fold_batch_norm(std::vector<float>& weight, std::vector<float>& bias, int out_channels, const LayerParams& bn, float eps) {
  const std::size_t n = static_cast<std::size_t>(out_channels);
  if (bn.gamma.size() != n || bn.beta.size() != n || bn.mean.size() != n || bn.var.size() != n || weight.size() % n != 0)
    throw ModelError("batch norm parameters do not match the " + std::to_string(out_channels) + " channels of the convolution");
  if (bias.empty()) bias.assign(n, 0.0f);
  const std::size_t per = weight.size() / n;
  for (std::size_t o = 0; o < n; ++o) {
    const double s = static_cast<double>(bn.gamma[o]) / std::sqrt(static_cast<double>(bn.var[o]) + static_cast<double>(eps));
    for (std::size_t i = 0; i < per; ++i) weight[o * per + i] = static_cast<float>(weight[o * per + i] * s);
    bias[o] = static_cast<float>((static_cast<double>(bias[o]) - bn.mean[o]) * s + bn.beta[o]);
  }
}

std::size_t shared_workspace_bytes(const std::vector<std::size_t>& per_kernel, std::size_t align) {
  std::size_t most = 0;
  for (std::size_t b : per_kernel) most = std::max(most, b);
  return (most + align - 1) / align * align;
}

float round_to_half(float x) { return static_cast<float>(static_cast<_Float16>(x)); }

std::int64_t place_buffers(std::vector<KernelBuffer>& buffers, int align) {
  auto round_up = [align](std::int64_t x) { return (x + align - 1) / align * align; };
  std::vector<std::size_t> order(buffers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return buffers[a].elements > buffers[b].elements; });
  std::vector<std::size_t> placed;
  std::int64_t arena = 0;
  for (std::size_t i : order) {
    KernelBuffer& b = buffers[i];
    // Memory taken by placed buffers alive at the same time, lowest first: take the first gap.
    std::vector<std::pair<std::int64_t, std::int64_t>> taken;
    for (std::size_t j : placed)
      if (b.first <= buffers[j].last && buffers[j].first <= b.last)
        taken.emplace_back(buffers[j].offset, buffers[j].offset + round_up(buffers[j].elements));
    std::sort(taken.begin(), taken.end());
    std::int64_t offset = 0;
    for (const auto& [lo, hi] : taken) {
      if (offset + round_up(b.elements) <= lo) break;
      offset = std::max(offset, hi);
    }
    b.offset = offset;
    arena = std::max(arena, offset + round_up(b.elements));
    placed.push_back(i);
  }
  return arena;
}

kern::View sub_view(const kern::View& v, const Region& held, const Region& want) {
  if (!held.rows.contains(want.rows) || !held.cols.contains(want.cols))
    throw std::logic_error("rows " + to_string(want.rows) + " cols " + to_string(want.cols) + " are not among rows " +
                           to_string(held.rows) + " cols " + to_string(held.cols));
  kern::View s = v;
  if (!want.empty()) s.offset += (want.rows.begin - held.rows.begin) * v.hs + (want.cols.begin - held.cols.begin);
  s.h = want.rows.size();
  s.w = want.cols.size();
  return s;
}

namespace {

bool element_wise(KernelKind k) {
  return k == KernelKind::Unary || k == KernelKind::Affine || k == KernelKind::Add || k == KernelKind::Mul || k == KernelKind::Copy;
}

// The first and one-past-last elements a view touches (empty views touch nothing).
std::pair<std::int64_t, std::int64_t> extent(const kern::View& v) {
  if (kern::cells(v) == 0) return {0, 0};
  return {v.offset, v.offset + (v.c - 1) * v.cs + (v.h - 1) * v.hs + v.w};
}

}  // namespace

void check_kernel_plan(const KernelPlan& p) {
  const auto weights = static_cast<std::int64_t>(p.weights.size());
  for (std::size_t i = 0; i < p.kernels.size(); ++i) {
    const Kernel& k = p.kernels[i];
    const kern::Args& a = k.args;
    auto fail = [&](const std::string& what) { throw std::logic_error("kernel " + std::to_string(i) + " (" + p.describe(static_cast<int>(i)) + "): " + what); };
    auto inside = [&](const kern::View& v, const char* name) {
      const auto [lo, hi] = extent(v);
      if (kern::cells(v) > 0 && (lo < 0 || hi > p.arena_elements || v.cs < 0 || v.hs < v.w)) fail(std::string(name) + " leaves the arena");
    };
    inside(a.out, "out");
    if (k.in0 >= 0) inside(a.in0, "in0");
    if (k.in1 >= 0) inside(a.in1, "in1");
    auto params = [&](std::int64_t off, std::int64_t n, const char* what) {
      if (off < 0 || off + n > weights) fail(std::string(what) + " leave the weights");
    };
    const std::int64_t out_c = a.out.c;
    switch (k.kind) {
      case KernelKind::Conv:
        if (!kern::packed(a.in0) || !kern::packed(a.out)) fail("cuDNN needs packed views");
        if (a.w_off % 64 != 0) fail("filter not aligned");
        params(a.w_off, out_c * (a.in0.c / a.groups) * a.wh.kernel * a.ww.kernel, "filters");
        break;
      case KernelKind::Linear:
        if (!kern::packed(a.in0) || !kern::packed(a.out)) fail("cuBLAS needs packed vectors");
        params(a.w_off, out_c * kern::cells(a.in0), "weights");
        break;
      case KernelKind::ConvTranspose:
        params(a.w_off, std::int64_t{a.in0.c} * (out_c / a.groups) * a.wh.kernel * a.ww.kernel, "filters");
        break;
      case KernelKind::Affine:
        params(a.w_off, out_c, "scales");
        break;
      default: break;
    }
    if (a.b_off >= 0) params(a.b_off, out_c, "biases");
    if (!element_wise(k.kind)) {  // it reads other cells than the one it writes: no overlap allowed
      const auto [olo, ohi] = extent(a.out);
      for (const auto* in : {&a.in0, &a.in1}) {
        const auto [ilo, ihi] = extent(*in);
        if (ilo < ihi && olo < ohi && ilo < ohi && olo < ihi) fail("writes memory it reads");
      }
    }
  }
}

std::string KernelPlan::describe(int i) const {
  const Kernel& k = kernels.at(static_cast<std::size_t>(i));
  std::string s = to_string(k.kind);
  if (k.kind == KernelKind::Conv || k.kind == KernelKind::MaxPool || k.kind == KernelKind::AvgPool || k.kind == KernelKind::ConvTranspose)
    s += " " + std::to_string(k.args.wh.kernel) + "x" + std::to_string(k.args.ww.kernel) + "/" + std::to_string(k.args.wh.stride);
  if (k.kind == KernelKind::Conv) s += " pad " + std::to_string(k.args.wh.pad) + "," + std::to_string(k.args.ww.pad);
  s += k.fused;
  s += " -> " + std::to_string(k.args.out.c) + "x" + std::to_string(k.args.out.h) + "x" + std::to_string(k.args.out.w);
  return s;
}

std::vector<std::string> KernelPlan::describe() const {
  std::vector<std::string> all;
  for (std::size_t i = 0; i < kernels.size(); ++i) all.push_back(describe(static_cast<int>(i)));
  return all;
}

}  // namespace edgeplan
