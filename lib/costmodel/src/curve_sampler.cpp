// Adaptive refinement of latency curves by bisection of the worst-interpolated interval.
#include "edgeplan/costmodel/curve_sampler.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace edgeplan {

std::vector<LatencySample> sample_curve(int max_rows, const std::function<LatencySample(int rows)>& measure,
                                        const SamplerOptions& o) {
  std::map<int, LatencySample> done;
  auto at = [&](int r) -> const LatencySample& {
    auto it = done.find(r);
    if (it == done.end()) {
      LatencySample s = measure(r);
      s.rows = r;
      it = done.emplace(r, s).first;
    }
    return it->second;
  };
  if (max_rows <= 0) return {};
  const int first = std::max(2, std::min(o.initial_points, max_rows));
  for (int i = 0; i < first; ++i) at(1 + static_cast<int>(static_cast<long long>(max_rows - 1) * i / (first - 1)));
  // Each round: measure the midpoint of every interval not yet known to be straight, then
  // keep bisecting the ones whose midpoint misses the chord.
  std::vector<std::pair<int, int>> open;
  for (auto it = done.begin(); std::next(it) != done.end(); ++it) open.push_back({it->first, std::next(it)->first});
  while (!open.empty() && static_cast<int>(done.size()) < o.max_points) {
    // Largest intervals first, so the budget goes where little is known.
    std::sort(open.begin(), open.end(), [](auto a, auto b) { return a.second - a.first > b.second - b.first; });
    std::vector<std::pair<int, int>> next;
    for (const auto& [a, b] : open) {
      if (b - a < 2) continue;
      if (static_cast<int>(done.size()) >= o.max_points) break;
      const int m = a + (b - a) / 2;
      const LatencySample& sa = at(a);
      const LatencySample& sb = at(b);
      const LatencySample& sm = at(m);
      const double chord = sa.p50_ms + (sb.p50_ms - sa.p50_ms) * (m - a) / static_cast<double>(b - a);
      const double noise = 0.5 * std::max({sa.p90_ms - sa.p10_ms, sb.p90_ms - sb.p10_ms, sm.p90_ms - sm.p10_ms});
      const double tol = std::max({o.rel_tolerance * std::abs(sm.p50_ms), o.abs_tolerance_ms, noise});
      if (std::abs(sm.p50_ms - chord) > tol) {
        next.push_back({a, m});
        next.push_back({m, b});
      }
    }
    open.swap(next);
  }
  std::vector<LatencySample> out;
  for (const auto& [r, s] : done) out.push_back(s);
  return out;
}

}  // namespace edgeplan
