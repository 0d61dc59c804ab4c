// LC-PSS: greedy partition-point selection scored by transmitted data and operations.
#include "edgeplan/strategy/lcpss.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "edgeplan/model/region.h"
#include "edgeplan/strategy/planner_util.h"

namespace edgeplan {

namespace {

// One random split decision: n - 1 sorted fractions in [0, 1], applied to every volume as
// row boundaries round(H * a_i) (empty parts allowed, as in OSDS). Using the same decision
// for every volume of a segmentation compares segmentations under the same device shares.
std::vector<double> random_shares(std::mt19937_64& rng, int n) {
  std::vector<double> a;
  for (int i = 0; i + 1 < n; ++i) a.push_back(static_cast<double>(rng() >> 11) / 9007199254740992.0);
  std::sort(a.begin(), a.end());
  return a;
}

std::vector<int> cuts_of(const std::vector<double>& shares, int h) {
  std::vector<int> cuts = {0};
  for (double a : shares) cuts.push_back(static_cast<int>(std::lround(a * h)));
  cuts.push_back(h);
  return cuts;
}

// One "byte" per element: the score counts elements.
const ElementSizes kCountElements{ElementType::I8, ElementType::I8};

}  // namespace

double lcpss_score(const Graph& g, const std::vector<int>& b, const LcpssOptions& o) {
  double t_ref = 0, o_ref = static_cast<double>(g.total_macs());
  // Data is weighed relative to t_ref, so the element size cancels: both count elements.
  for (const LayerRange& u : detail::layer_units(g)) t_ref += static_cast<double>(g.layer(u.last - 1).out.elements());
  std::mt19937_64 rng(o.seed);
  double total = 0;
  for (int s = 0; s < o.samples; ++s) {
    double data = 0, ops = 0;  // elements sent, MACs computed
    const std::vector<double> shares = random_shares(rng, o.devices);
    std::vector<int> prev_cuts;
    for (std::size_t v = 0; v + 1 < b.size(); ++v) {
      const LayerRange range{b[v], b[v + 1]};
      const Shape anchor = g.layer(range.last - 1).out;
      const std::vector<int> cuts = cuts_of(shares, anchor.h);
      const std::vector<int> live = g.live_outputs(range);
      for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
        if (cuts[k + 1] <= cuts[k]) continue;
        const Region want{{cuts[k], cuts[k + 1]}, {0, anchor.w}};
        const VolumeRegions vr = detail::part_regions(g, range, want, live);
        data = detail::part_input_bytes(g, vr, kCountElements, data);
        // Rows the same device produced in the previous volume are already there: not transmitted.
        if (v > 0)
          for (const auto& [t, reg] : vr.inputs) {
            const Interval mine = intersect(reg.rows, Interval{prev_cuts[k], prev_cuts[k + 1]});
            data -= static_cast<double>(mine.size()) * reg.cols.size() * g.tensor_shape(t).c;
          }
        for (int l = range.first; l < range.last; ++l) {
          const Region& r = vr.out(l);
          const Shape& out = g.layer(l).out;
          if (!r.empty()) ops += static_cast<double>(g.macs(l)) * r.rows.size() * r.cols.size() / (static_cast<double>(out.h) * out.w);
        }
      }
      prev_cuts = cuts;
    }
    total += o.alpha * data / t_ref + (1 - o.alpha) * ops / o_ref;
  }
  return total / o.samples;
}

std::vector<int> lcpss_partition(const Graph& g, const LcpssOptions& o) {
  if (!(o.alpha >= 0 && o.alpha <= 1)) throw Error("LC-PSS alpha must be in [0, 1]");
  if (o.samples < 1) throw Error("LC-PSS needs at least one sample");
  if (o.devices < 1) throw Error("LC-PSS needs at least one device");
  std::vector<int> candidates;
  for (const LayerRange& u : detail::layer_units(g))
    if (u.first > 0) candidates.push_back(u.first);
  std::vector<int> b = {0, g.body_end()};
  double score = lcpss_score(g, b, o);
  for (;;) {
    int best_point = -1;
    double best = score;
    for (int p : candidates) {
      if (std::find(b.begin(), b.end(), p) != b.end()) continue;
      std::vector<int> trial = b;
      trial.insert(std::upper_bound(trial.begin(), trial.end(), p), p);
      const double s = lcpss_score(g, trial, o);
      if (s < best - 1e-12) {
        best = s;
        best_point = p;
      }
    }
    if (best_point < 0) return b;
    b.insert(std::upper_bound(b.begin(), b.end(), best_point), best_point);
    score = best;
  }
}

}  // namespace edgeplan
