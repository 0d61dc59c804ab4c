// Seeded numbers for the lowering's tests (no libtorch).
#pragma once
#include <cstdint>
#include <vector>

#include "edgeplan/kernels/kernel_plan.h"

namespace edgeplan::test {

inline std::vector<float> lcg_values(std::size_t n, std::uint64_t& state, float lo, float hi) { return lcg_uniform(n, state, lo, hi); }
inline Layer manual(const std::string& name, LayerKind kind, int input) {
  Layer l;
  l.name = name;
  l.kind = kind;
  l.inputs = {input};
  return l;
}

// Every layer kind the lowering knows, with asymmetric and ceil-mode windows, in one body.
inline Graph all_kinds() {
  Graph g("kinds", Shape{3, 16, 16});
  int x = g.conv("c0", kModelInput, 8, 3, 1, 1);
  x = g.relu6("r6", g.batch_norm("bn", x));
  Layer asym = manual("asym", LayerKind::Conv, x);
  asym.win_h = asym.win_w = Window{3, 2, 0, 1, 1, 0};  // no padding before, one after
  asym.out_channels = 8;
  asym.bias = true;
  x = g.leaky_relu("leaky", g.add(asym), 0.1f);
  x = g.upsample("up", g.max_pool("mp", x, 3, 2, 1, /*ceil=*/true), 2);  // 8x5x5 -> 8x10x10
  const int ap = g.avg_pool("ap", x, 3, 1, 1, false, /*count_include_pad=*/false);
  Layer sig = manual("sig", LayerKind::Sigmoid, ap);
  Layer mul = manual("mul", LayerKind::Mul, ap);
  mul.inputs = {ap, g.add(sig)};
  Layer hs = manual("hs", LayerKind::HardSwish, g.add(mul));
  x = g.add(hs);
  Layer slice = manual("slice", LayerKind::ChannelSlice, x);
  slice.channel_begin = 2;
  slice.out_channels = 4;
  const int s = g.add(slice);
  const int p = g.conv("pw", x, 4, 1);
  const int sum = g.add_tensors("sum", {s, p, s});
  Layer shuffle = manual("shuffle", LayerKind::ChannelShuffle, g.concat("cat", {sum, p}));
  shuffle.groups = 2;
  x = g.reorg("reorg", g.add(shuffle), 2);  // 32x5x5
  Layer affine = manual("affine", LayerKind::Affine, x);
  Layer hsig = manual("hsig", LayerKind::HardSigmoid, g.add(affine));
  hsig.alpha = 0.2f;
  hsig.beta = 0.5f;
  Layer clip = manual("clip", LayerKind::Clip, g.conv("dw", g.add(hsig), 32, 3, 1, 2, 32, true, 2));
  clip.alpha = 0.1f;
  clip.beta = 0.6f;
  x = g.conv_transpose("up2", g.add(clip), 8, Window{3, 2, 1, 1, 1, 1}, Window{3, 2, 1, 1, 1, 1});  // 8x10x10
  x = g.linear("fc", g.flatten("flat", g.global_avg_pool("gap", x)), 10);
  g.relu("out", x);
  return g;
}

// A squeeze-and-excitation block (ONNX imports make these): global pooling inside the model,
// a per-channel vector broadcast by Mul.
inline Graph squeeze_excite() {
  Graph g("se", Shape{3, 12, 12});
  const int x = g.relu("r", g.conv("c0", kModelInput, 8, 3, 1, 1));
  Layer sig = manual("sig", LayerKind::Sigmoid, g.conv("fc2", g.relu("r2", g.conv("fc1", g.global_avg_pool("squeeze", x), 4, 1)), 8, 1));
  Layer mul = manual("excite", LayerKind::Mul, x);
  mul.inputs = {x, g.add(sig)};
  const int y = g.conv("c1", g.add(mul), 6, 3, 2, 1);
  g.linear("fc", g.flatten("flat", g.global_avg_pool("gap", y)), 5);
  return g;
}

inline ModelWeights seeded_weights(const Graph& g, std::uint64_t seed) { return seeded_model_weights(g, seed); }

}  // namespace edgeplan::test
