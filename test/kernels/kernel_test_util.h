// Seeded parameters for hand-built graphs (the lowering's tests do without libtorch).
#pragma once
#include <cstdint>
#include <vector>

#include "edgeplan/model/graph.h"

namespace edgeplan::test {

// Uniform values in [lo, hi) from a 64-bit LCG: the same numbers on every machine.
inline std::vector<float> lcg_values(std::size_t n, std::uint64_t& state, float lo, float hi) {
  std::vector<float> v(n);
  for (float& x : v) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    x = lo + (hi - lo) * static_cast<float>((state >> 40) & 0xFFFFFF) / 16777216.0f;
  }
  return v;
}

inline ModelWeights seeded_weights(const Graph& g, std::uint64_t seed) {
  ModelWeights w;
  std::uint64_t s = seed;
  for (int l = 0; l < g.size(); ++l) {
    const Layer& L = g.layer(l);
    LayerParams p;
    const std::size_t cin = L.inputs.empty() || L.inputs[0] < -1 ? 0 : static_cast<std::size_t>(g.tensor_shape(L.inputs[0]).c);
    const std::size_t kk = static_cast<std::size_t>(L.win_h.kernel * L.win_w.kernel);
    const std::size_t out = static_cast<std::size_t>(L.out.c);
    switch (L.kind) {
      case LayerKind::Conv: p.weight = lcg_values(out * cin / static_cast<std::size_t>(L.groups) * kk, s, -0.5f, 0.5f); break;
      case LayerKind::ConvTranspose: p.weight = lcg_values(cin * out / static_cast<std::size_t>(L.groups) * kk, s, -0.5f, 0.5f); break;
      case LayerKind::Linear:
        p.weight = lcg_values(out * static_cast<std::size_t>(g.tensor_shape(L.inputs[0]).elements()), s, -0.2f, 0.2f);
        break;
      case LayerKind::BatchNorm:
        p.gamma = lcg_values(out, s, 0.5f, 1.5f);
        p.beta = lcg_values(out, s, -0.5f, 0.5f);
        p.mean = lcg_values(out, s, -0.5f, 0.5f);
        p.var = lcg_values(out, s, 0.5f, 2.0f);
        break;
      case LayerKind::Affine:
        p.gamma = lcg_values(out, s, 0.5f, 1.5f);
        p.beta = lcg_values(out, s, -0.5f, 0.5f);
        break;
      default: break;
    }
    if (L.bias) p.bias = lcg_values(out, s, -0.5f, 0.5f);
    w.layers.push_back(p);
  }
  return w;
}

}  // namespace edgeplan::test
