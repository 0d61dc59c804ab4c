// The `opt` planner: DP over volume boundaries with equal-finish-time row splits, then
// first-improvement local search evaluated by the simulator.
#include "edgeplan/strategy/opt_planner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "edgeplan/strategy/lcpss.h"
#include "edgeplan/strategy/planner_spec.h"
#include "edgeplan/strategy/planner_util.h"

namespace edgeplan {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A plan under construction: per volume, its layers and (device index, rows) stripes.
struct Stripe {
  int device;
  int rows;
};
struct Draft {
  std::vector<LayerRange> volumes;
  std::vector<std::vector<Stripe>> stripes;
  int tail_device = 0;
};

Plan to_plan(const PlanningContext& ctx, const Draft& d) {
  Plan p;
  set_plan_model(p, ctx.graph);
  p.devices = ctx.device_ids;
  for (std::size_t v = 0; v < d.volumes.size(); ++v) {
    Volume vol;
    vol.layers = d.volumes[v];
    const int w = ctx.graph.layer(vol.anchor()).out.w;
    int start = 0;
    for (const Stripe& s : d.stripes[v]) {
      if (s.rows <= 0) continue;
      vol.parts.push_back(Part{ctx.device_ids[static_cast<std::size_t>(s.device)], Region{{start, start + s.rows}, {0, w}}});
      start += s.rows;
    }
    p.volumes.push_back(std::move(vol));
  }
  if (ctx.graph.body_end() < ctx.graph.size())
    p.tail = Tail{LayerRange{ctx.graph.body_end(), ctx.graph.size()}, ctx.device_ids[static_cast<std::size_t>(d.tail_device)]};
  return p;
}

// The draft of a plan made of full-width row stripes in top-to-bottom order; nullopt for
// tile plans.
std::optional<Draft> draft_of(const PlanningContext& ctx, const Plan& p) {
  Draft d;
  for (const Volume& v : p.volumes) {
    const int w = ctx.graph.layer(v.anchor()).out.w;
    std::vector<Stripe> st;
    int next = 0;
    for (const Part& part : v.parts) {
      if (part.region.cols != Interval{0, w} || part.region.rows.begin != next) return std::nullopt;
      const auto it = std::find(ctx.device_ids.begin(), ctx.device_ids.end(), part.device);
      st.push_back(Stripe{static_cast<int>(it - ctx.device_ids.begin()), part.region.rows.size()});
      next = part.region.rows.end;
    }
    d.volumes.push_back(v.layers);
    d.stripes.push_back(st);
  }
  d.tail_device = 0;
  if (p.tail) d.tail_device = static_cast<int>(std::find(ctx.device_ids.begin(), ctx.device_ids.end(), p.tail->device) - ctx.device_ids.begin());
  return d;
}

// Per candidate volume: compute time of r anchor rows on each device, and the bytes of
// input those rows need, at sampled r (a stripe in the middle: halos on both sides).
struct VolumeEstimate {
  int height = 0;
  std::vector<int> r;                       // sampled row counts, increasing, last = height
  std::vector<std::vector<double>> ms;      // [device][sample]
  std::vector<double> in_bytes;             // [sample] input the rows need
  std::vector<double> halo_bytes;           // [sample] of which outside the same rows of the input
  bool first = false;                       // reads the image (its input starts on one device)
};

VolumeEstimate estimate_volume(const PlanningContext& ctx, LayerRange range, int samples) {
  const Graph& g = ctx.graph;
  VolumeEstimate e;
  e.first = range.first == 0;
  const Shape anchor = g.layer(range.last - 1).out;
  e.height = anchor.h;
  for (int i = 1; i <= samples; ++i) {
    const int r = std::max(1, static_cast<int>(std::lround(static_cast<double>(anchor.h) * i / samples)));
    if (e.r.empty() || r > e.r.back()) e.r.push_back(r);
  }
  e.ms.assign(static_cast<std::size_t>(ctx.device_count()), {});
  const std::vector<int> live = g.live_outputs(range);
  for (int r : e.r) {
    const int start = (anchor.h - r) / 2;
    const Region want{{start, start + r}, {0, anchor.w}};
    const VolumeRegions vr = detail::part_regions(g, range, want, live);
    const double bytes = detail::part_input_bytes(g, vr, ctx.elements);
    double own = 0;  // of which the same rows of the input (already on the device for later volumes)
    for (const auto& [t, reg] : vr.inputs) {
      const Shape& s = g.tensor_shape(t);
      const Region mine = scale_region(want, anchor, s);
      own += ctx.elements.of(t) * intersect(mine.rows, reg.rows).size() * intersect(mine.cols, reg.cols).size() * s.c;
    }
    e.in_bytes.push_back(bytes);
    e.halo_bytes.push_back(std::max(0.0, bytes - own));
    for (int d = 0; d < ctx.device_count(); ++d) e.ms[static_cast<std::size_t>(d)].push_back(detail::part_compute_ms(ctx, d, range, vr));
  }
  return e;
}

// Time for device d to receive the input of r rows and compute them. The first volume
// receives its whole input from `src` (where the image is); later volumes are assumed to
// find the same rows of their input already on the device and receive only the halo.
double stripe_time(const PlanningContext& ctx, const VolumeEstimate& e, int d, int src, int r) {
  if (r <= 0) return 0;
  auto at = [&](const std::vector<double>& v) { return detail::at_rows(e.r, v, r); };
  double t = at(e.ms[static_cast<std::size_t>(d)]);
  if (e.first) {
    if (d != src) t += ctx.network.min_transfer_ms(src, d, at(e.in_bytes));
  } else {
    const double halo = at(e.halo_bytes);
    const int peer = d == src ? (src + 1) % ctx.device_count() : src;
    if (halo > 0 && peer != d) t += ctx.network.min_transfer_ms(peer, d, halo);
  }
  return t;
}

// Rows per device so that every device finishes at about the same time (bisection on the
// makespan against each device's time for r rows, made monotone: a stripe of r rows
// never counts as faster than a smaller one); devices that cannot help get 0 rows.
std::vector<Stripe> equal_finish_split(const PlanningContext& ctx, const VolumeEstimate& e, int src, double* makespan) {
  const int n = ctx.device_count();
  std::vector<std::vector<double>> t(static_cast<std::size_t>(n), std::vector<double>(static_cast<std::size_t>(e.height + 1), 0.0));
  for (int d = 0; d < n; ++d)
    for (int r = 1; r <= e.height; ++r)
      t[static_cast<std::size_t>(d)][static_cast<std::size_t>(r)] =
          std::max(t[static_cast<std::size_t>(d)][static_cast<std::size_t>(r - 1)], stripe_time(ctx, e, d, src, r));
  auto rows_within = [&](int d, double T) {
    const auto& v = t[static_cast<std::size_t>(d)];
    return static_cast<int>(std::upper_bound(v.begin() + 1, v.end(), T) - v.begin()) - 1;
  };
  double lo = 0, hi = kInf;
  int fastest = 0;
  for (int d = 0; d < n; ++d)
    if (t[static_cast<std::size_t>(d)].back() < hi) {
      hi = t[static_cast<std::size_t>(d)].back();
      fastest = d;
    }
  for (int it = 0; it < 50; ++it) {
    const double mid = 0.5 * (lo + hi);
    int total = 0;
    for (int d = 0; d < n; ++d) total += rows_within(d, mid);
    if (total >= e.height) hi = mid;
    else lo = mid;
  }
  // The source first (its stripe needs no transfer in), then the others in index order;
  // rows left over by rounding go to the fastest device.
  std::vector<int> order;
  if (src < n) order.push_back(src);  // a source that does not compute has no stripe
  for (int d = 0; d < n; ++d)
    if (d != src) order.push_back(d);
  std::vector<int> rows(static_cast<std::size_t>(n), 0);
  int left = e.height;
  for (int d : order) {
    rows[static_cast<std::size_t>(d)] = std::min(left, rows_within(d, hi));
    left -= rows[static_cast<std::size_t>(d)];
  }
  rows[static_cast<std::size_t>(fastest)] += left;
  std::vector<Stripe> out;
  for (int d : order)
    if (rows[static_cast<std::size_t>(d)] > 0) out.push_back(Stripe{d, rows[static_cast<std::size_t>(d)]});
  if (makespan) *makespan = hi;
  return out;
}

// The computing device nearest the result: the output device if it computes, else the home device.
int result_device(const PlanningContext& ctx) {
  return ctx.output_device < ctx.device_count() ? ctx.output_device : ctx.home_device;
}

// Volumes with the given layer ranges, each split by equal finish times.
Draft equal_finish_draft(const PlanningContext& ctx, const std::vector<LayerRange>& ranges, int row_samples, int tail_device) {
  Draft d;
  for (const LayerRange& r : ranges) {
    d.volumes.push_back(r);
    d.stripes.push_back(equal_finish_split(ctx, estimate_volume(ctx, r, row_samples), ctx.input_device, nullptr));
  }
  d.tail_device = tail_device;
  return d;
}

// Cut points with 0 and the body's end added: where volumes may begin and end.
std::vector<int> volume_points(const Graph& g) {
  std::vector<int> points = single_tensor_cuts(g);
  points.insert(points.begin(), 0);
  points.push_back(g.body_end());
  return points;
}

// 1. DP over cut points: best[j] = min_i best[i] + makespan of volume [points[i], points[j]),
// each volume split by equal finish times; the tail on the output device (or the home device).
std::vector<Draft> dp_drafts(const PlanningContext& ctx, const std::vector<int>& points, const OptOptions& o) {
  const int np = static_cast<int>(points.size());
  // Makespan of every candidate volume [points[i], points[j]), estimated once.
  std::vector<double> span(static_cast<std::size_t>(np * np), kInf);
  for (int j = 1; j < np; ++j)
    for (int i = std::max(0, j - o.max_volume_span); i < j; ++i) {
      const VolumeEstimate e =
          estimate_volume(ctx, LayerRange{points[static_cast<std::size_t>(i)], points[static_cast<std::size_t>(j)]}, o.row_samples);
      equal_finish_split(ctx, e, ctx.input_device, &span[static_cast<std::size_t>(i * np + j)]);
    }
  // best[k][j]: the least sum of makespans covering [0, points[j]) with at most k volumes
  // (k = 0: any number). The unlimited draft first, then at most 2, 3 and 4 volumes: other
  // basins for the search (plans of few long volumes win where halos are cheap).
  std::vector<Draft> out;
  for (int limit : {0, 2, 3, 4}) {
    const int kmax = limit ? limit : np;
    std::vector<std::vector<double>> best(static_cast<std::size_t>(kmax + 1), std::vector<double>(static_cast<std::size_t>(np), kInf));
    std::vector<std::vector<int>> from(static_cast<std::size_t>(kmax + 1), std::vector<int>(static_cast<std::size_t>(np), -1));
    best[0][0] = 0;
    for (int k = 1; k <= kmax; ++k)
      for (int j = 1; j < np; ++j)
        for (int i = std::max(0, j - o.max_volume_span); i < j; ++i) {
          const double v = best[static_cast<std::size_t>(k - 1)][static_cast<std::size_t>(i)] + span[static_cast<std::size_t>(i * np + j)];
          if (v < best[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)]) {
            best[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)] = v;
            from[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)] = i;
          }
        }
    int k_best = 1;
    for (int k = 1; k <= kmax; ++k)
      if (best[static_cast<std::size_t>(k)][static_cast<std::size_t>(np - 1)] < best[static_cast<std::size_t>(k_best)][static_cast<std::size_t>(np - 1)]) k_best = k;
    if (best[static_cast<std::size_t>(k_best)][static_cast<std::size_t>(np - 1)] == kInf) continue;
    std::vector<LayerRange> ranges;
    for (int j = np - 1, k = k_best; j > 0; j = from[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)], --k)
      ranges.insert(ranges.begin(), LayerRange{points[static_cast<std::size_t>(from[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)])],
                                               points[static_cast<std::size_t>(j)]});
    out.push_back(equal_finish_draft(ctx, ranges, o.row_samples, result_device(ctx)));
    if (ranges.size() <= 1) break;  // fewer volumes cannot differ
  }
  return out;
}

// 2. opt's own starting points, in this order: the DP draft; volumes ending where the
// feature map shrinks (after each downsampling), split by equal finish times, with every
// tail device; every device alone.
std::vector<Draft> own_starts(const PlanningContext& ctx, const std::vector<int>& points, const std::vector<Draft>& dp,
                              const OptOptions& o) {
  const Graph& g = ctx.graph;
  std::vector<Draft> starts = dp;
  std::vector<LayerRange> ranges;
  int prev = 0;
  for (std::size_t j = 1; j < points.size(); ++j) {
    const int p = points[j];
    // Volumes end right after a downsampling layer: the smallest map to hand on.
    const Layer& last = g.layer(p - 1);
    const bool shrinks = p == g.body_end() || last.out.h < g.tensor_shape(last.inputs[0]).h;
    if (!shrinks) continue;
    ranges.push_back(LayerRange{prev, p});
    prev = p;
  }
  Draft by_scale = equal_finish_draft(ctx, ranges, o.row_samples, 0);
  for (int t = 0; t < ctx.device_count(); ++t) {
    by_scale.tail_device = t;
    starts.push_back(by_scale);
  }

  for (int d = 0; d < ctx.device_count(); ++d) {
    Draft alone;
    alone.volumes = {LayerRange{0, g.body_end()}};
    alone.stripes = {{Stripe{d, g.layer(g.body_end() - 1).out.h}}};
    alone.tail_device = d;
    starts.push_back(alone);
  }
  return starts;
}

// Volumes ending where the feature map shrinks, the first m of them merged into one (m = 2,
// 3, ..): long early volumes keep the large maps' rows on their devices (no exchange) while
// the small late maps split apart. DistrEdge's agent found plans of this shape that our other
// starts miss (NC-xavier); each gets a search of its own.
std::vector<Draft> merged_scale_drafts(const PlanningContext& ctx, const OptOptions& o) {
  const std::vector<LayerRange> ranges = detail::scale_blocks(ctx.graph);
  std::vector<Draft> out;
  for (std::size_t m = 2; m < ranges.size(); ++m) {
    std::vector<LayerRange> merged = {LayerRange{0, ranges[m - 1].last}};
    merged.insert(merged.end(), ranges.begin() + static_cast<long>(m), ranges.end());
    out.push_back(equal_finish_draft(ctx, merged, o.row_samples, result_device(ctx)));
  }
  return out;
}

// DistrEdge's LC-PSS volumes (few, long ones that balance data against recomputation),
// split by equal finish times: one more restart (plans of that shape beat every other
// start on some of DistrEdge's groups).
Draft lcpss_draft(const PlanningContext& ctx, const OptOptions& o) {
  LcpssOptions lo;
  lo.devices = ctx.device_count();
  lo.samples = o.lcpss_samples;
  const std::vector<int> b = lcpss_partition(ctx.graph, lo);
  std::vector<LayerRange> ranges;
  for (std::size_t i = 0; i + 1 < b.size(); ++i) ranges.push_back(LayerRange{b[i], b[i + 1]});
  return equal_finish_draft(ctx, ranges, o.row_samples, result_device(ctx));
}

// Stripe k leaves its volume; its rows go to the stripe above (or below).
void remove_stripe(std::vector<Stripe>& s, std::size_t k, bool to_above) {
  s[to_above ? k - 1 : k + 1].rows += s[k].rows;
  s.erase(s.begin() + static_cast<long>(k));
}

// What the search minimizes: the simulated latency, or the caller's objective.
double judge(const PlanningContext& ctx, const OptOptions& o, const Plan& p) { return o.objective ? o.objective(p) : ctx.sim.latency_ms(p); }

// 3. First-improvement local search on the simulator: move the tail; move rows between
// neighbouring stripes, coarse to fine; give an idle device half of the largest stripe;
// merge a volume with the next; split a volume at a cut point; drop a device everywhere.
// Evaluations are counted over the whole planning run, and a search stops at an absolute
// evaluation cap, so the result is deterministic.
class LocalSearch {
 public:
  LocalSearch(const PlanningContext& ctx, const std::vector<int>& points, const OptOptions& o)
      : ctx_(ctx), points_(points), o_(o) {}

  double cost(const Draft& d) {
    ++evals_;
    return judge(ctx_, o_, to_plan(ctx_, d));
  }
  void count_evaluation() { ++evals_; }
  int evals() const { return evals_; }

  // Searches from `start` (at `start_ms`) until no move improves or `cap` evaluations (in
  // all) are spent; returns the local optimum and its latency.
  std::pair<Draft, double> run(const Draft& start, double start_ms, int cap) {
    cur_ = start;
    cur_ms_ = start_ms;
    cap_ = cap;
    bool improved = true;
    while (improved && evals_ < cap_) improved = move_tail() || any_volume_move() || drop_a_device() || split_and_share();
    return {cur_, cur_ms_};
  }

 private:
  bool try_draft(const Draft& d) {
    if (evals_ >= cap_) return false;
    const double ms = cost(d);
    if (ms + 1e-12 < cur_ms_) {
      cur_ms_ = ms;
      cur_ = d;
      return true;
    }
    return false;
  }
  // Structural moves change where data ends up, so each is tried with every tail device
  // (one move alone may only pay off together with moving the tail).
  bool try_with_tails(Draft d) {
    if (ctx_.graph.body_end() >= ctx_.graph.size()) return try_draft(d);
    bool any = false;
    for (int t = 0; t < ctx_.device_count(); ++t) {
      d.tail_device = t;
      any = try_draft(d) || any;
    }
    return any;
  }
  bool move_tail() {
    for (int t = 0; t < ctx_.device_count(); ++t)
      if (t != cur_.tail_device && ctx_.graph.body_end() < ctx_.graph.size()) {
        Draft d = cur_;
        d.tail_device = t;
        if (try_draft(d)) return true;
      }
    return false;
  }
  bool any_volume_move() {
    for (std::size_t v = 0; v < cur_.volumes.size(); ++v)
      if (move_rows(v) || add_device(v) || merge_next(v) || split_at_cut(v) || shift_boundary(v)) return true;
    return move_rows_jointly() || add_thin_stripe() || drop_from_volume();
  }
  // A device leaves one volume: its stripe goes to the stripe above or below (a device's
  // rows can only shrink one step at a time otherwise, and each step alone may not pay).
  bool drop_from_volume() {
    for (std::size_t v = 0; v < cur_.volumes.size(); ++v)
      for (std::size_t k = 0; k < cur_.stripes[v].size() && cur_.stripes[v].size() > 1; ++k)
        for (int side : {-1, 1}) {
          if ((side < 0 && k == 0) || (side > 0 && k + 1 == cur_.stripes[v].size())) continue;
          Draft d = cur_;
          remove_stripe(d.stripes[v], k, side < 0);
          if (try_with_tails(d)) return true;
        }
    return false;
  }
  // Shifts the boundary between stripes k and k+1 of volume v by `dir * step` rows;
  // false if a stripe would go negative. Empty stripes are removed.
  static bool shift(std::vector<Stripe>& s, std::size_t k, int delta) {
    if (k + 1 >= s.size()) return false;
    s[k].rows += delta;
    s[k + 1].rows -= delta;
    if (s[k].rows < 0 || s[k + 1].rows < 0) return false;
    if (s[k].rows == 0) s.erase(s.begin() + static_cast<long>(k));
    else if (s[k + 1].rows == 0) s.erase(s.begin() + static_cast<long>(k) + 1);
    return true;
  }
  // The same boundary moved in two neighbouring volumes at once, and in every volume at
  // once, by the same fraction of each volume's height: a change that pays only when the
  // rows a device owns stay aligned across volumes (no halo growth) is never seen by
  // single-volume moves.
  bool move_rows_jointly() {
    const std::size_t nv = cur_.volumes.size();
    if (nv < 2) return false;
    auto height = [&](std::size_t v) { return ctx_.graph.layer(cur_.volumes[v].last - 1).out.h; };
    int hmax = 0;
    for (std::size_t v = 0; v < nv; ++v) hmax = std::max(hmax, height(v));
    for (int step = std::max(1, hmax / 8); step >= 1; step /= 2)
      for (std::size_t k = 0; k + 1 < static_cast<std::size_t>(ctx_.device_count()); ++k)
        for (int dir : {-1, 1})
          for (std::size_t first = 0; first + 1 < nv; ++first)
            for (std::size_t last : {first + 1, nv - 1}) {
              if (last != first + 1 && first != 0) continue;  // pairs, and all volumes once
              Draft d = cur_;
              bool ok = true;
              for (std::size_t v = first; v <= last && ok; ++v) {
                const int delta = dir * std::max(1, static_cast<int>(std::lround(static_cast<double>(step) * height(v) / hmax)));
                ok = shift(d.stripes[v], k, delta);
              }
              if (ok && try_draft(d)) return true;
              if (nv == 2) break;  // the pair is all volumes
            }
    return false;
  }
  // A device absent from a volume enters with a thin stripe (1, 2, 4, .. rows) at either
  // end of it, taken from the stripe there: half of the largest stripe is often too much
  // for a slow device, and a few rows may already pay.
  bool add_thin_stripe() {
    for (std::size_t v = 0; v < cur_.volumes.size(); ++v)
      for (int dev = 0; dev < ctx_.device_count(); ++dev) {
        const auto& st = cur_.stripes[v];
        if (std::any_of(st.begin(), st.end(), [&](const Stripe& s) { return s.device == dev; })) continue;
        for (bool at_end : {false, true}) {
          const int neighbour = at_end ? st.back().rows : st.front().rows;
          for (int r = 1; r <= neighbour / 2; r *= 2) {
            Draft d = cur_;
            auto& s = d.stripes[v];
            if (at_end) {
              s.back().rows -= r;
              s.push_back(Stripe{dev, r});
            } else {
              s.front().rows -= r;
              s.insert(s.begin(), Stripe{dev, r});
            }
            if (try_with_tails(d)) return true;
          }
        }
      }
    return false;
  }
  // Move rows between neighbouring stripes, coarse to fine.
  bool move_rows(std::size_t v) {
    const int h = ctx_.graph.layer(cur_.volumes[v].last - 1).out.h;
    for (int step = std::max(1, h / 8); step >= 1; step /= 2)
      for (std::size_t k = 0; k + 1 < cur_.stripes[v].size(); ++k)
        for (int dir : {-1, 1}) {
          Draft d = cur_;
          if (shift(d.stripes[v], k, dir * step) && try_draft(d)) return true;
        }
    return false;
  }
  // Give an idle device half of the largest stripe.
  bool add_device(std::size_t v) {
    for (int dev = 0; dev < ctx_.device_count(); ++dev) {
      const auto& st = cur_.stripes[v];
      if (std::any_of(st.begin(), st.end(), [&](const Stripe& s) { return s.device == dev; })) continue;
      Draft d = cur_;
      auto& s = d.stripes[v];
      auto big = std::max_element(s.begin(), s.end(), [](const Stripe& a, const Stripe& b) { return a.rows < b.rows; });
      if (big->rows < 2) continue;
      const int half = big->rows / 2;
      big->rows -= half;
      s.insert(big + 1, Stripe{dev, half});
      if (try_with_tails(d)) return true;
    }
    return false;
  }
  // Move the boundary between volume v and the next to a neighbouring cut point (up to
  // three away), each volume keeping its stripes' devices and shares.
  bool shift_boundary(std::size_t v) {
    if (v + 1 >= cur_.volumes.size()) return false;
    const Graph& g = ctx_.graph;
    const int at = cur_.volumes[v].last;
    const auto it = std::find(points_.begin(), points_.end(), at);
    if (it == points_.end()) return false;
    const long k = it - points_.begin();
    for (long step : {-1L, 1L, -2L, 2L, -3L, 3L}) {
      const long j = k + step;
      if (j < 0 || j >= static_cast<long>(points_.size())) continue;
      const int p = points_[static_cast<std::size_t>(j)];
      if (p <= cur_.volumes[v].first || p >= cur_.volumes[v + 1].last) continue;
      Draft d = cur_;
      d.volumes[v].last = p;
      d.volumes[v + 1].first = p;
      d.stripes[v] = scaled_stripes(cur_.stripes[v], g.layer(at - 1).out.h, g.layer(p - 1).out.h);
      d.stripes[v + 1] = scaled_stripes(cur_.stripes[v + 1], g.layer(cur_.volumes[v + 1].last - 1).out.h,
                                        g.layer(d.volumes[v + 1].last - 1).out.h);
      if (try_draft(d)) return true;
    }
    return false;
  }
  // Merge with the next volume (re-split by equal finish times).
  bool merge_next(std::size_t v) {
    if (v + 1 >= cur_.volumes.size()) return false;
    Draft d = cur_;
    const LayerRange merged{cur_.volumes[v].first, cur_.volumes[v + 1].last};
    d.volumes[v] = merged;
    d.volumes.erase(d.volumes.begin() + static_cast<long>(v) + 1);
    d.stripes.erase(d.stripes.begin() + static_cast<long>(v) + 1);
    d.stripes[v] = equal_finish_split(ctx_, estimate_volume(ctx_, merged, o_.row_samples), ctx_.input_device, nullptr);
    return try_with_tails(d);
  }
  // Split at an interior cut point, both halves keeping the stripes' device order.
  bool split_at_cut(std::size_t v) {
    for (int p : points_) {
      if (p <= cur_.volumes[v].first || p >= cur_.volumes[v].last) continue;
      if (try_with_tails(split_volume(cur_, v, p))) return true;
    }
    return false;
  }
  // A new boundary together with a new split: cut a volume at a cut point and give a device
  // absent from one of the halves 1/8, 1/4 or 1/2 of its rows at either end. Neither
  // change alone may pay (a boundary without a split changes nothing; a split of the long
  // volume costs halos everywhere). At most 24 cut points per volume, evenly spread.
  bool split_and_share() {
    const Graph& g = ctx_.graph;
    for (std::size_t v = 0; v < cur_.volumes.size(); ++v) {
      std::vector<int> inside;
      for (int p : points_)
        if (p > cur_.volumes[v].first && p < cur_.volumes[v].last) inside.push_back(p);
      const std::size_t stride = (inside.size() + 23) / 24;
      for (std::size_t i = 0; i < inside.size(); i += std::max<std::size_t>(1, stride)) {
        const int p = inside[i];
        const Draft base = split_volume(cur_, v, p);
        for (std::size_t half : {v, v + 1})
          for (int dev = 0; dev < ctx_.device_count(); ++dev) {
            const auto& st = base.stripes[half];
            if (std::any_of(st.begin(), st.end(), [&](const Stripe& s) { return s.device == dev; })) continue;
            const int h = g.layer(base.volumes[half].last - 1).out.h;
            for (int denom : {8, 4, 2})
              for (bool at_end : {false, true}) {
                const int r = h / denom;
                Draft d = base;
                auto& s = d.stripes[half];
                Stripe& from = at_end ? s.back() : s.front();
                if (r < 1 || from.rows <= r) continue;
                from.rows -= r;
                if (at_end) s.push_back(Stripe{dev, r});
                else s.insert(s.begin(), Stripe{dev, r});
                if (try_draft(d)) return true;
              }
          }
      }
    }
    return false;
  }
  // Volume v of d cut at cut point p into [first, p) and [p, last); the first half gets the
  // stripes rescaled to its height (same devices, same order), the second keeps them.
  Draft split_volume(const Draft& d, std::size_t v, int p) const {
    const Graph& g = ctx_.graph;
    Draft out = d;
    const LayerRange a{d.volumes[v].first, p}, b{p, d.volumes[v].last};
    out.volumes[v] = b;
    out.volumes.insert(out.volumes.begin() + static_cast<long>(v), a);
    out.stripes.insert(out.stripes.begin() + static_cast<long>(v),
                       scaled_stripes(d.stripes[v], g.layer(b.last - 1).out.h, g.layer(p - 1).out.h));
    return out;
  }
  // Stripes of a volume of height h rescaled to height ha, keeping the device order.
  static std::vector<Stripe> scaled_stripes(const std::vector<Stripe>& st, int h, int ha) {
    std::vector<Stripe> sa;
    int given = 0;
    for (std::size_t k = 0; k < st.size(); ++k) {
      const int r = k + 1 == st.size() ? ha - given : static_cast<int>(std::lround(static_cast<double>(st[k].rows) * ha / h));
      const int rr = std::max(0, std::min(r, ha - given));
      if (rr > 0) sa.push_back(Stripe{st[k].device, rr});
      given += rr;
    }
    if (given < ha) sa.back().rows += ha - given;
    return sa;
  }
  // Last resort: drop a device from every volume (its rows to the stripe above, or
  // below): a device behind a slow link can cost more in transfers than its rows save.
  bool drop_a_device() {
    for (int dev = 0; dev < ctx_.device_count(); ++dev) {
      Draft d = cur_;
      bool present = false;
      for (auto& st : d.stripes)
        for (std::size_t k = 0; k < st.size(); ++k)
          if (st[k].device == dev && st.size() > 1) {
            present = true;
            remove_stripe(st, k, k > 0);
            break;
          }
      if (present && try_with_tails(d)) return true;
    }
    return false;
  }

  const PlanningContext& ctx_;
  const std::vector<int>& points_;
  const OptOptions& o_;
  Draft cur_;
  double cur_ms_ = kInf;
  int evals_ = 0, cap_ = 0;
};

// 4. Tiles where better: per volume, pair neighbouring stripes into one row band split by
// columns in the same proportion (squarer parts, shorter halo borders); keep what helps.
Plan tile_pairs(const PlanningContext& ctx, const OptOptions& o, Plan tiled, double tiled_ms) {
  const Graph& g = ctx.graph;
  for (std::size_t v = 0; v < tiled.volumes.size(); ++v) {
    const std::vector<Part> stripes = tiled.volumes[v].parts;
    if (stripes.size() < 2) continue;
    const int w = g.layer(tiled.volumes[v].anchor()).out.w;
    std::vector<Part> tiles;
    for (std::size_t k = 0; k < stripes.size(); k += 2) {
      if (k + 1 == stripes.size() || w < 2) {
        tiles.push_back(stripes[k]);
        continue;
      }
      const Part& a = stripes[k];
      const Part& b = stripes[k + 1];
      const Interval band{a.region.rows.begin, b.region.rows.end};
      const int split = std::max(1, std::min(w - 1, static_cast<int>(std::lround(static_cast<double>(w) * a.region.rows.size() /
                                                                                   band.size()))));
      tiles.push_back(Part{a.device, Region{band, {0, split}}});
      tiles.push_back(Part{b.device, Region{band, {split, w}}});
    }
    Plan trial = tiled;
    trial.volumes[v].parts = tiles;
    const double ms = judge(ctx, o, trial);
    if (ms + 1e-12 < tiled_ms) {
      tiled_ms = ms;
      tiled = std::move(trial);
    }
  }
  return tiled;
}

}  // namespace

std::unique_ptr<Planner> OptPlanner::from_spec(const std::string& spec, std::vector<std::shared_ptr<const Planner>> start_planners,
                                               std::vector<Plan> starts) {
  OptOptions o;
  o.starts = std::move(starts);
  o.start_planners = std::move(start_planners);
  SpecSettings set(spec);
  set.each("max_evaluations, restarts, restart_evaluations", [&](const std::string& key) {
    if (key == "max_evaluations") o.max_evaluations = static_cast<int>(set.whole(0, 1e9));
    else if (key == "restarts") o.restarts = static_cast<int>(set.whole(0, 1000));
    else if (key == "restart_evaluations") o.restart_evaluations = static_cast<int>(set.whole(0, 1e9));
    else return false;
    return true;
  });
  return std::make_unique<OptPlanner>(o);
}

std::string OptPlanner::settings_json() const {
  std::string from;
  for (const auto& p : options_.start_planners) from += (from.empty() ? "\"" : ", \"") + p->name() + "\"";
  return "{\"max_evaluations\": " + std::to_string(options_.max_evaluations) +
         ", \"max_volume_span\": " + std::to_string(options_.max_volume_span) +
         ", \"row_samples\": " + std::to_string(options_.row_samples) + ", \"restarts\": " + std::to_string(options_.restarts) +
         ", \"restart_evaluations\": " + std::to_string(options_.restart_evaluations) +
         ", \"lcpss_samples\": " + std::to_string(options_.lcpss_samples) +
         ", \"kick_evaluations\": " + std::to_string(options_.kick_evaluations) +
         ", \"kick_search_evaluations\": " + std::to_string(options_.kick_search_evaluations) +
         ", \"given_starts\": " + std::to_string(options_.starts.size()) + ", \"start_planners\": [" + from + "]}";
}

Plan OptPlanner::plan(const PlanningContext& ctx) const {
  const std::vector<int> points = volume_points(ctx.graph);
  LocalSearch search(ctx, points, options_);
  const std::vector<Draft> dp = dp_drafts(ctx, points, options_);
  std::vector<std::pair<double, Draft>> scored;
  for (const Draft& d : own_starts(ctx, points, dp, options_)) scored.emplace_back(search.cost(d), d);
  // Whole plans as starts (the start planners', the caller's): row-stripe plans join
  // `scored` (and `also` when given); tile plans cannot be refined and are kept if best.
  Plan best_tiles;
  double best_tiles_ms = kInf;
  auto add_plan_start = [&](const Plan& p, std::vector<std::pair<double, Draft>>* also) {
    const double ms = judge(ctx, options_, p);
    search.count_evaluation();
    if (std::optional<Draft> d = draft_of(ctx, p)) {
      scored.emplace_back(ms, *d);
      if (also) also->push_back(scored.back());
    } else if (ms < best_tiles_ms) {
      best_tiles_ms = ms;
      best_tiles = p;
    }
  };
  for (const auto& planner : options_.start_planners)
    if (planner->applies(ctx)) add_plan_start(planner->plan(ctx), nullptr);  // d3 needs tiers
  std::vector<std::pair<double, Draft>> from_caller;  // searched from whether or not they are best
  for (const Plan& p : options_.starts) add_plan_start(p, &from_caller);

  // Local search from the best start; then from the next split starts, LC-PSS's volumes and
  // the caller's plans while their budgets last: a single-device start is a local optimum
  // for these moves whenever a split pays only after a volume boundary and rows move
  // together (DistrEdge's agent found such plans 27-32% faster on two of its groups; see
  // docs/planners.md).
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  auto [best_draft, best_ms] = search.run(scored.front().second, scored.front().first, options_.max_evaluations);
  std::vector<std::pair<double, Draft>> again;
  for (std::size_t i = 1; i < scored.size() && static_cast<int>(again.size()) < options_.restarts; ++i) {
    bool split = false;
    for (const auto& st : scored[i].second.stripes) split = split || st.size() > 1;
    if (split) again.push_back(scored[i]);  // another device alone: the same local optimum as the first
  }
  if (options_.restarts > 0) {
    const Draft lc = lcpss_draft(ctx, options_);
    again.emplace_back(search.cost(lc), lc);
    for (const Draft& d : merged_scale_drafts(ctx, options_)) again.emplace_back(search.cost(d), d);
  }
  again.insert(again.end(), from_caller.begin(), from_caller.end());
  for (const auto& [start_ms, d] : again) {
    const auto [found, found_ms] = search.run(d, start_ms, search.evals() + options_.restart_evaluations);
    if (found_ms + 1e-12 < best_ms) {
      best_draft = found;
      best_ms = found_ms;
    }
  }
  // Kicks (iterated local search): from the best plan, each device leaves each volume in
  // turn and a short search follows; a better optimum replaces the best. Plans the agent
  // finds differ from ours in which device takes which end of several volumes at once.
  const int kick_cap = search.evals() + options_.kick_evaluations;
  for (bool improved = true; improved && search.evals() < kick_cap;) {
    improved = false;
    for (std::size_t v = 0; v < best_draft.volumes.size() && !improved && search.evals() < kick_cap; ++v)
      for (std::size_t k = 0; k < best_draft.stripes[v].size() && best_draft.stripes[v].size() > 1 && !improved; ++k) {
        Draft d = best_draft;
        remove_stripe(d.stripes[v], k, k > 0);
        const double start_ms = search.cost(d);
        const auto [found, found_ms] = search.run(d, start_ms, std::min(kick_cap, search.evals() + options_.kick_search_evaluations));
        if (found_ms + 1e-12 < best_ms) {
          best_draft = found;
          best_ms = found_ms;
          improved = true;
        }
      }
  }
  if (best_tiles_ms < best_ms) return best_tiles;
  return tile_pairs(ctx, options_, to_plan(ctx, best_draft), best_ms);
}

}  // namespace edgeplan
