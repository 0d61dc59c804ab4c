// The `opt` planner: DP over volume boundaries with equal-finish-time row splits, then
// first-improvement local search evaluated by the simulator.
#include "edgeplan/strategy/opt_planner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "edgeplan/strategy/lcpss.h"

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
  p.model = ctx.graph.name();
  p.input = ctx.graph.input_shape();
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
    std::map<int, Region> req;
    for (int t : live) req[t] = scale_region(want, anchor, g.tensor_shape(t));
    const VolumeRegions vr = required_regions(g, range, req);
    double bytes = 0, own = 0;
    for (const auto& [t, reg] : vr.inputs) {
      const Shape& s = g.tensor_shape(t);
      bytes += 4.0 * reg.rows.size() * reg.cols.size() * s.c;
      const Region mine = scale_region(want, anchor, s);
      own += 4.0 * intersect(mine.rows, reg.rows).size() * intersect(mine.cols, reg.cols).size() * s.c;
    }
    e.in_bytes.push_back(bytes);
    e.halo_bytes.push_back(std::max(0.0, bytes - own));
    for (int d = 0; d < ctx.device_count(); ++d) {
      double ms = 0;
      for (int l = range.first; l < range.last; ++l) {
        const Region& o = vr.out(l);
        if (!o.empty()) ms += ctx.cost.layer_ms(d, l, static_cast<double>(o.rows.size()) * o.cols.size() / g.layer(l).out.w);
      }
      e.ms[static_cast<std::size_t>(d)].push_back(ms);
    }
  }
  return e;
}

// Time for device d to receive the input of r rows and compute them. The first volume
// receives its whole input from `src` (where the image is); later volumes are assumed to
// find the same rows of their input already on the device and receive only the halo.
double stripe_time(const PlanningContext& ctx, const VolumeEstimate& e, int d, int src, int r) {
  if (r <= 0) return 0;
  // Linear interpolation between samples (r below the first sample scales linearly).
  std::size_t k = 0;
  while (k + 1 < e.r.size() && e.r[k] < r) ++k;
  auto at = [&](const std::vector<double>& v) {
    if (r >= e.r[k]) return v[k];
    if (k == 0) return v[0] * r / e.r[0];
    const double f = static_cast<double>(r - e.r[k - 1]) / (e.r[k] - e.r[k - 1]);
    return v[k - 1] + f * (v[k] - v[k - 1]);
  };
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
  order.push_back(src);
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

}  // namespace

std::vector<int> single_tensor_cuts(const Graph& graph) {
  std::vector<int> last_use(static_cast<std::size_t>(graph.size() + 1), -1);
  for (int i = 0; i < graph.size(); ++i)
    for (int t : graph.layer(i).inputs) last_use[static_cast<std::size_t>(t + 1)] = std::max(last_use[static_cast<std::size_t>(t + 1)], i);
  std::vector<int> cuts;
  for (int p = 1; p < graph.body_end(); ++p) {
    int crossing = 0;
    for (int t = -1; t < p; ++t)
      if (last_use[static_cast<std::size_t>(t + 1)] >= p) ++crossing;
    if (crossing == 1) cuts.push_back(p);
  }
  return cuts;
}

std::string OptPlanner::settings_json() const {
  return "{\"max_evaluations\": " + std::to_string(options_.max_evaluations) +
         ", \"max_volume_span\": " + std::to_string(options_.max_volume_span) +
         ", \"row_samples\": " + std::to_string(options_.row_samples) + ", \"restarts\": " + std::to_string(options_.restarts) +
         ", \"restart_evaluations\": " + std::to_string(options_.restart_evaluations) +
         ", \"lcpss_samples\": " + std::to_string(options_.lcpss_samples) +
         ", \"given_starts\": " + std::to_string(options_.starts.size()) + "}";
}

Plan OptPlanner::plan(const PlanningContext& ctx) const {
  const Graph& g = ctx.graph;
  const Simulator& sim = ctx.sim;
  const int n = ctx.device_count();
  std::vector<int> points = single_tensor_cuts(g);
  points.insert(points.begin(), 0);
  points.push_back(g.body_end());
  const int np = static_cast<int>(points.size());

  // 1. DP over cut points: best[j] = min_i best[i] + makespan of volume [points[i], points[j]).
  std::vector<double> best(static_cast<std::size_t>(np), kInf);
  std::vector<int> from(static_cast<std::size_t>(np), -1);
  best[0] = 0;
  for (int j = 1; j < np; ++j)
    for (int i = std::max(0, j - options_.max_volume_span); i < j; ++i) {
      if (best[static_cast<std::size_t>(i)] == kInf) continue;
      const VolumeEstimate e = estimate_volume(ctx, LayerRange{points[static_cast<std::size_t>(i)], points[static_cast<std::size_t>(j)]},
                                               options_.row_samples);
      double ms = 0;
      equal_finish_split(ctx, e, ctx.input_device, &ms);
      if (best[static_cast<std::size_t>(i)] + ms < best[static_cast<std::size_t>(j)]) {
        best[static_cast<std::size_t>(j)] = best[static_cast<std::size_t>(i)] + ms;
        from[static_cast<std::size_t>(j)] = i;
      }
    }
  std::vector<LayerRange> dp_ranges;
  for (int j = np - 1; j > 0; j = from[static_cast<std::size_t>(j)])
    dp_ranges.insert(dp_ranges.begin(),
                     LayerRange{points[static_cast<std::size_t>(from[static_cast<std::size_t>(j)])], points[static_cast<std::size_t>(j)]});
  const Draft dp = equal_finish_draft(ctx, dp_ranges, options_.row_samples, ctx.output_device);

  // 2. Starting points: the DP draft; volumes ending where the feature map shrinks
  // (after each downsampling), split by equal finish times; and every device alone.
  std::vector<Draft> starts = {dp};
  {
    std::vector<LayerRange> ranges;
    int prev = 0;
    for (int j = 1; j < np; ++j) {
      const int p = points[static_cast<std::size_t>(j)];
      // Volumes end right after a downsampling layer: the smallest map to hand on.
      const Layer& last = g.layer(p - 1);
      const bool shrinks = p == g.body_end() || last.out.h < g.tensor_shape(last.inputs[0]).h;
      if (!shrinks) continue;
      ranges.push_back(LayerRange{prev, p});
      prev = p;
    }
    Draft by_scale = equal_finish_draft(ctx, ranges, options_.row_samples, 0);
    for (int t = 0; t < n; ++t) {
      by_scale.tail_device = t;
      starts.push_back(by_scale);
    }
  }
  // DistrEdge's LC-PSS volumes (few, long ones that balance data against recomputation),
  // split by equal finish times: always searched from as one more restart (plans of that
  // shape beat every other start on some of DistrEdge's groups).
  Draft lc;
  if (options_.restarts > 0) {
    LcpssOptions lo;
    lo.devices = n;
    lo.samples = options_.lcpss_samples;
    const std::vector<int> b = lcpss_partition(g, lo);
    std::vector<LayerRange> ranges;
    for (std::size_t i = 0; i + 1 < b.size(); ++i) ranges.push_back(LayerRange{b[i], b[i + 1]});
    lc = equal_finish_draft(ctx, ranges, options_.row_samples, ctx.output_device);
  }
  for (int d = 0; d < n; ++d) {
    Draft alone;
    alone.volumes = {LayerRange{0, g.body_end()}};
    alone.stripes = {{Stripe{d, g.layer(g.body_end() - 1).out.h}}};
    alone.tail_device = d;
    starts.push_back(alone);
  }
  int evals = 0;
  auto cost = [&](const Draft& d) {
    ++evals;
    return sim.latency_ms(to_plan(ctx, d));
  };
  std::vector<std::pair<double, Draft>> scored;
  for (const Draft& d : starts) scored.emplace_back(cost(d), d);
  // The published baselines' row-stripe plans are starting points too, so `opt` is never
  // worse than any of them (their tile plans cannot be refined here and are kept whole).
  Plan best_tiles;
  double best_tiles_ms = kInf;
  // A whole plan as a start: row-stripe plans join `scored` (and `also` when given); tile
  // plans cannot be refined here and are kept whole if best.
  auto add_plan_start = [&](const Plan& p, std::vector<std::pair<double, Draft>>* also) {
    const double ms = sim.latency_ms(p);
    ++evals;
    if (std::optional<Draft> d = draft_of(ctx, p)) {
      scored.emplace_back(ms, *d);
      if (also) also->push_back(scored.back());
    } else if (ms < best_tiles_ms) {
      best_tiles_ms = ms;
      best_tiles = p;
    }
  };
  for (const std::string& name : planner_names())
    if (name != "opt" && name != "distredge") add_plan_start(make_planner(name)->plan(ctx), nullptr);  // published heuristics only
  // Plans the caller gives: searched from (below) whether or not they are the best start.
  std::vector<std::pair<double, Draft>> from_caller;
  for (const Plan& p : options_.starts) add_plan_start(p, &from_caller);

  // 3. Local search on the simulator: move stripe boundaries, drop or add devices, merge or
  // split volumes at cut points, move the tail; take the first improvement, repeat. It
  // runs from the best start first, then from the other split starts while the budget
  // lasts: a single-device start is a local optimum for these moves whenever a split pays
  // only after a volume boundary and rows move together (DistrEdge's agent found such
  // plans 27-32% faster on two of its groups; see docs/planners.md).
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Draft cur = scored.front().second;
  double cur_ms = scored.front().first;
  int eval_cap = options_.max_evaluations;  // lowered for each restart
  auto try_draft = [&](const Draft& d) {
    if (evals >= eval_cap) return false;
    const double ms = cost(d);
    if (ms + 1e-12 < cur_ms) {
      cur_ms = ms;
      cur = d;
      return true;
    }
    return false;
  };
  // Structural moves change where data ends up, so each is tried with every tail device
  // (one move alone may only pay off together with moving the tail).
  auto try_with_tails = [&](Draft d) {
    if (g.body_end() >= g.size()) return try_draft(d);
    bool any = false;
    for (int t = 0; t < n; ++t) {
      d.tail_device = t;
      any = try_draft(d) || any;
    }
    return any;
  };
  auto search = [&]() {
    bool improved = true;
    while (improved && evals < eval_cap) {
      improved = false;
      for (int t = 0; t < n && !improved; ++t)
        if (t != cur.tail_device && g.body_end() < g.size()) {
          Draft d = cur;
          d.tail_device = t;
          improved = try_draft(d);
        }
      for (std::size_t v = 0; v < cur.volumes.size() && !improved; ++v) {
        const int h = g.layer(cur.volumes[v].last - 1).out.h;
        const auto& st = cur.stripes[v];
        // Move rows between neighbouring stripes, coarse to fine.
        for (int step = std::max(1, h / 8); step >= 1 && !improved; step /= 2)
          for (std::size_t k = 0; k + 1 < st.size() && !improved; ++k)
            for (int dir : {-1, 1}) {
              Draft d = cur;
              auto& s = d.stripes[v];
              s[k].rows += dir * step;
              s[k + 1].rows -= dir * step;
              if (s[k].rows < 0 || s[k + 1].rows < 0) continue;
              if (s[k].rows == 0) s.erase(s.begin() + static_cast<long>(k));
              else if (s[k + 1].rows == 0) s.erase(s.begin() + static_cast<long>(k) + 1);
              if ((improved = try_draft(d))) break;
            }
        // Give an idle device half of the largest stripe.
        for (int dev = 0; dev < n && !improved; ++dev) {
          if (std::any_of(st.begin(), st.end(), [&](const Stripe& s) { return s.device == dev; })) continue;
          Draft d = cur;
          auto& s = d.stripes[v];
          auto big = std::max_element(s.begin(), s.end(), [](const Stripe& a, const Stripe& b) { return a.rows < b.rows; });
          if (big->rows < 2) continue;
          const int half = big->rows / 2;
          big->rows -= half;
          s.insert(big + 1, Stripe{dev, half});
          improved = try_with_tails(d);
        }
        // Merge with the next volume (re-split by equal finish times).
        if (!improved && v + 1 < cur.volumes.size()) {
          Draft d = cur;
          const LayerRange merged{cur.volumes[v].first, cur.volumes[v + 1].last};
          d.volumes[v] = merged;
          d.volumes.erase(d.volumes.begin() + static_cast<long>(v) + 1);
          d.stripes.erase(d.stripes.begin() + static_cast<long>(v) + 1);
          d.stripes[v] = equal_finish_split(ctx, estimate_volume(ctx, merged, options_.row_samples), ctx.input_device, nullptr);
          improved = try_with_tails(d);
        }
        // Split at an interior cut point, both halves keeping the stripes' device order.
        for (int p : points) {
          if (improved || p <= cur.volumes[v].first || p >= cur.volumes[v].last) continue;
          Draft d = cur;
          const LayerRange a{cur.volumes[v].first, p}, b{p, cur.volumes[v].last};
          const int ha = g.layer(p - 1).out.h;
          std::vector<Stripe> sa;
          int given = 0;
          for (std::size_t k = 0; k < st.size(); ++k) {
            const int r = k + 1 == st.size() ? ha - given : static_cast<int>(std::lround(static_cast<double>(st[k].rows) * ha / h));
            const int rr = std::max(0, std::min(r, ha - given));
            if (rr > 0) sa.push_back(Stripe{st[k].device, rr});
            given += rr;
          }
          if (given < ha) sa.back().rows += ha - given;
          d.volumes[v] = b;
          d.volumes.insert(d.volumes.begin() + static_cast<long>(v), a);
          d.stripes.insert(d.stripes.begin() + static_cast<long>(v), sa);
          improved = try_with_tails(d);
        }
      }
      // Last resort: drop a device from every volume (its rows to the stripe above, or
      // below): a device behind a slow link can cost more in transfers than its rows save.
      for (int dev = 0; dev < n && !improved; ++dev) {
        Draft d = cur;
        bool present = false;
        for (auto& st : d.stripes)
          for (std::size_t k = 0; k < st.size(); ++k)
            if (st[k].device == dev && st.size() > 1) {
              present = true;
              st[k > 0 ? k - 1 : k + 1].rows += st[k].rows;
              st.erase(st.begin() + static_cast<long>(k));
              break;
            }
        if (present) improved = try_with_tails(d);
      }
    }
  };
  search();
  Draft best_draft = cur;
  double best_ms = cur_ms;
  std::vector<std::pair<double, Draft>> again;
  for (std::size_t i = 1; i < scored.size() && static_cast<int>(again.size()) < options_.restarts; ++i) {
    bool split = false;
    for (const auto& st : scored[i].second.stripes) split = split || st.size() > 1;
    if (split) again.push_back(scored[i]);  // another device alone: the same local optimum as the first
  }
  if (options_.restarts > 0) again.emplace_back(cost(lc), lc);
  again.insert(again.end(), from_caller.begin(), from_caller.end());
  for (const auto& [start_ms, d] : again) {
    eval_cap = evals + options_.restart_evaluations;
    cur = d;
    cur_ms = start_ms;
    search();
    if (cur_ms + 1e-12 < best_ms) {
      best_draft = cur;
      best_ms = cur_ms;
    }
  }
  cur = best_draft;
  cur_ms = best_ms;
  if (best_tiles_ms < cur_ms) return best_tiles;
  // 4. Tiles where better: per volume, pair neighbouring stripes into one row band split by
  // columns in the same proportion (squarer parts, shorter halo borders); keep what helps.
  Plan tiled = to_plan(ctx, cur);
  double tiled_ms = cur_ms;
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
    ++evals;
    const double ms = sim.latency_ms(trial);
    if (ms + 1e-12 < tiled_ms) {
      tiled_ms = ms;
      tiled = std::move(trial);
    }
  }
  return tiled;
}

}  // namespace edgeplan
