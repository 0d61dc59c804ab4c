// Seeded numbers for the lowering's tests (no libtorch).
#pragma once
#include <cstdint>
#include <vector>

#include "edgeplan/kernels/kernel_plan.h"

namespace edgeplan::test {

inline std::vector<float> lcg_values(std::size_t n, std::uint64_t& state, float lo, float hi) { return lcg_uniform(n, state, lo, hi); }
inline ModelWeights seeded_weights(const Graph& g, std::uint64_t seed) { return seeded_model_weights(g, seed); }

}  // namespace edgeplan::test
