// How far a result is from its reference: one measure for every exactness check.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace edgeplan {

// Largest |a - b| divided by the largest |b| (a per-element ratio is meaningless where the
// reference is near zero); infinity when the sizes differ.
inline double max_relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return std::numeric_limits<double>::infinity();
  double diff = 0, ref = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(got[i] - want[i])));
    ref = std::max(ref, static_cast<double>(std::fabs(want[i])));
  }
  return ref > 0 ? diff / ref : diff;
}

}  // namespace edgeplan
