// D3 on a tiered network: HPA's two cuts, VSM's edge tiles, the cloud part whole.
#include "edgeplan/strategy/d3_planner.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>

#include "edgeplan/strategy/planner_spec.h"
#include "edgeplan/strategy/planner_util.h"

namespace edgeplan {

using detail::add_row_volume;
using detail::empty_plan;
using detail::range_ms;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMaxRedundancy = 0.10;  // VSM fuses layers while recomputed halos stay under this share of MACs

std::vector<Interval> even_intervals(int n, const std::vector<double>& weights) {
  const std::vector<int> sizes = detail::proportional_rows(n, weights);
  std::vector<Interval> out;
  int start = 0;
  for (int s : sizes) {
    if (s <= 0) continue;
    out.push_back(Interval{start, start + s});
    start += s;
  }
  return out;
}

// The tiles of one edge volume: rows x cols (clamped to the anchor), row or column bands
// sized by the nodes' speeds when the grid is one-dimensional, equal otherwise; tile k goes
// to the k-th fastest edge node.
std::vector<Part> edge_tiles(const PlanningContext& ctx, const D3Tiers& tiers, LayerRange range, int rows, int cols) {
  const Shape out = ctx.graph.layer(range.last - 1).out;
  const int r = std::min(rows, out.h), c = std::min(cols, out.w);
  auto weights = [&](int n, bool by_speed) {
    std::vector<double> w(static_cast<std::size_t>(n), 1.0);
    if (by_speed)
      for (int i = 0; i < n; ++i) w[static_cast<std::size_t>(i)] = tiers.edge_speed[static_cast<std::size_t>(i)];
    return w;
  };
  const std::vector<Interval> ri = even_intervals(out.h, weights(r, c == 1));
  const std::vector<Interval> ci = even_intervals(out.w, weights(c, r == 1));
  std::vector<Part> parts;
  std::size_t k = 0;
  for (const Interval& a : ri)
    for (const Interval& b : ci)
      parts.push_back(Part{ctx.device_ids[static_cast<std::size_t>(tiers.edges[k++])], Region{a, b}});
  return parts;
}

// Recomputed work of a fused range cut into `parts`: their MACs over the range's, minus 1.
double redundancy(const Graph& g, LayerRange range, const std::vector<Part>& parts) {
  const std::vector<int> live = g.live_outputs(range);
  double whole = 0, sum = 0;
  for (int l = range.first; l < range.last; ++l) whole += static_cast<double>(g.macs(l));
  for (const Part& p : parts) {
    const VolumeRegions reg = detail::part_regions(g, range, p.region, live);
    for (int l = range.first; l < range.last; ++l) {
      const Region& o = reg.out(l);
      const Shape s = g.layer(l).out;
      if (!o.empty()) sum += static_cast<double>(g.macs(l)) * o.rows.size() * o.cols.size() / (static_cast<double>(s.h) * s.w);
    }
  }
  return whole > 0 ? sum / whole - 1 : 0;
}

// The tiers where the network has them; nullopt where d3 does not apply.
std::optional<D3Tiers> tiers_if_any(const PlanningContext& ctx) {
  try {
    return d3_tiers(ctx);
  } catch (const Error&) {
    return std::nullopt;
  }
}

int point_index(const std::vector<int>& points, int layer) {
  const auto it = std::lower_bound(points.begin(), points.end(), layer);
  return it != points.end() && *it == layer ? static_cast<int>(it - points.begin()) : -1;
}

}  // namespace

D3Tiers d3_tiers(const PlanningContext& ctx) {
  const NetworkModel& net = ctx.network;
  if (net.topology() != Topology::Tiered)
    throw Error(std::string("d3 plans a tiered network (device / edge / cloud tiers); this one is ") + to_string(net.topology()));
  const int top = net.tier_count() - 1;
  const int home = net.tier_of(ctx.input_device);
  if (home >= top) throw Error("d3: the input device is in the last tier; nothing is above it to offload to");
  D3Tiers t;
  if (ctx.input_device < ctx.device_count()) t.device = ctx.input_device;
  std::vector<double> whole;  // each computing device's time for the whole model (ms)
  for (int d = 0; d < ctx.device_count(); ++d) whole.push_back(range_ms(ctx, d, LayerRange{0, ctx.graph.size()}));
  auto ms = [&](int d) { return whole[static_cast<std::size_t>(d)]; };
  for (int d = 0; d < ctx.device_count(); ++d) {
    const int tier = net.tier_of(d);
    if (tier > home && tier < top) t.edges.push_back(d);
    if (tier == top && (t.cloud < 0 || ms(d) < ms(t.cloud))) t.cloud = d;
  }
  std::stable_sort(t.edges.begin(), t.edges.end(), [&](int a, int b) { return ms(a) < ms(b); });
  for (int e : t.edges) t.edge_speed.push_back(1.0 / ms(e));
  if (t.edges.empty() && t.cloud < 0) throw Error("d3: no device above the input device's tier computes");
  return t;
}

std::vector<int> d3_cut_points(const Graph& g) {
  std::set<int> p{0, g.body_end(), g.size()};
  for (int c : single_tensor_cuts(g)) p.insert(c);
  return {p.begin(), p.end()};
}

D3Estimate::D3Estimate(const PlanningContext& ctx, const D3Tiers& tiers) : ctx_(ctx), tiers_(tiers), points_(d3_cut_points(ctx.graph)) {
  const Graph& g = ctx.graph;
  const int n = g.size();
  device_ms_.assign(static_cast<std::size_t>(n) + 1, 0.0);
  edge_ms_ = cloud_ms_ = device_ms_;
  for (int l = 0; l < n; ++l) {
    const double rows = g.layer(l).out.h;
    const auto i = static_cast<std::size_t>(l);
    device_ms_[i + 1] = device_ms_[i] + (tiers.device >= 0 ? ctx.cost.layer_ms(tiers.device, l, rows) : kInf);
    cloud_ms_[i + 1] = cloud_ms_[i] + (tiers.cloud >= 0 ? ctx.cost.layer_ms(tiers.cloud, l, rows) : kInf);
    double e = kInf;
    if (!tiers.edges.empty()) {
      if (l >= g.body_end()) {
        e = ctx.cost.layer_ms(tiers.edges.front(), l, rows);  // the tail runs whole on one node
      } else {
        double rate = 0;  // layers per ms, all nodes together
        for (int d : tiers.edges) rate += 1.0 / ctx.cost.layer_ms(d, l, rows);
        e = 1.0 / rate;
      }
    }
    edge_ms_[i + 1] = edge_ms_[i] + e;
  }
  for (int c : points_) {
    double bytes = 0;
    if (c == 0) {
      bytes = ctx.elements.input_bytes() * static_cast<double>(g.input_shape().elements());
    } else if (c == n) {
      bytes = ctx.elements.activation_bytes() * static_cast<double>(g.layer(n - 1).out.elements());
    } else {
      for (int t : g.live_outputs(LayerRange{0, c})) bytes += ctx.elements.activation_bytes() * static_cast<double>(g.tensor_shape(t).elements());
    }
    bytes_.push_back(bytes);
  }
}

double D3Estimate::part_ms(const std::vector<double>& prefix, int a, int b) const {
  if (a >= b) return 0;
  return prefix[static_cast<std::size_t>(b)] - prefix[static_cast<std::size_t>(a)];
}

double D3Estimate::send_ms(int from, int to, double bytes) const {
  return from == to ? 0.0 : ctx_.network.min_transfer_ms(from, to, bytes);
}

double D3Estimate::ms(int i1, int i2) const {
  const int c1 = points_[static_cast<std::size_t>(i1)], c2 = points_[static_cast<std::size_t>(i2)];
  if (c1 > c2) return kInf;
  double t = part_ms(device_ms_, 0, c1);
  int at = c1 > 0 ? tiers_.device : ctx_.input_device;
  if (c2 > c1) {
    const int e = tiers_.edges.empty() ? -1 : tiers_.edges.front();
    if (e < 0) return kInf;
    t += send_ms(at, e, bytes_[static_cast<std::size_t>(i1)]) + edge_scale_ * part_ms(edge_ms_, c1, c2);
    at = e;
  }
  if (c2 < ctx_.graph.size()) {
    if (tiers_.cloud < 0) return kInf;
    t += send_ms(at, tiers_.cloud, bytes_[static_cast<std::size_t>(i2)]) + part_ms(cloud_ms_, c2, ctx_.graph.size());
    at = tiers_.cloud;
  }
  return t + send_ms(at, ctx_.output_device, bytes_.back());
}

double D3Estimate::edge_ms(int i1, int i2) const {
  return part_ms(edge_ms_, points_[static_cast<std::size_t>(i1)], points_[static_cast<std::size_t>(i2)]);
}

HpaCuts hpa_adjust(const D3Estimate& est, int i1, int i2, int first, int max_passes) {
  const int n = static_cast<int>(est.points().size());
  HpaCuts h{i1, i2, 0};
  auto best_c1 = [&] {
    int best = h.c1;
    for (int i = 0; i <= h.c2; ++i)
      if (est.ms(i, h.c2) < est.ms(best, h.c2)) best = i;
    return best;
  };
  auto best_c2 = [&] {
    int best = h.c2;
    for (int i = h.c1; i < n; ++i)
      if (est.ms(h.c1, i) < est.ms(h.c1, best)) best = i;
    return best;
  };
  int which = first;
  int unchanged = 0;
  while (h.passes < max_passes && unchanged < 2) {
    const int before = which == 1 ? h.c1 : h.c2;
    const int after = which == 1 ? best_c1() : best_c2();
    (which == 1 ? h.c1 : h.c2) = after;
    unchanged = after == before ? unchanged + 1 : 0;
    ++h.passes;
    which = 3 - which;
  }
  return h;
}

HpaCuts hpa_cuts(const D3Estimate& est, int max_passes) {
  // First pass: the device's cut with the rest on one tier above, the edge or the cloud
  // (two-tier cuts, Neurosurgeon-style); then the passes of hpa_adjust from there.
  const int n = static_cast<int>(est.points().size());
  int c1 = 0, c2 = 0;
  for (int i = 0; i < n; ++i)
    for (int rest : {n - 1, i})
      if (est.ms(i, rest) < est.ms(c1, c2)) c1 = i, c2 = rest;
  HpaCuts h = hpa_adjust(est, c1, c2, 2, max_passes - 1);
  h.passes += 1;
  return h;
}

D3Split hpa_measured(const PlanningContext& ctx, const D3Tiers& tiers, D3Estimate& est, int rounds, double* ms, int from_c1,
                     int from_c2, int first) {
  const std::vector<int>& pts = est.points();
  D3Split best;
  double best_ms = kInf;
  std::set<std::pair<int, int>> seen;
  for (int round = 0; round < rounds; ++round) {
    const HpaCuts h = from_c1 >= 0 ? hpa_adjust(est, from_c1, from_c2, first) : hpa_cuts(est);
    if (!seen.insert({h.c1, h.c2}).second) break;
    double t = 0;
    const D3Split s = vsm_grid(ctx, tiers, pts[static_cast<std::size_t>(h.c1)], pts[static_cast<std::size_t>(h.c2)], &t);
    if (t < best_ms) best_ms = t, best = s;
    const double edge = est.edge_ms(h.c1, h.c2);
    if (!(edge > 0)) break;  // no edge part: nothing to correct
    const double rest = est.ms(h.c1, h.c2) - est.edge_scale() * edge;
    est.set_edge_scale(std::max(1.0, (t - rest) / edge));
    from_c1 = h.c1, from_c2 = h.c2;
  }
  if (ms) *ms = best_ms;
  return best;
}

Plan d3_plan(const PlanningContext& ctx, const D3Tiers& tiers, const D3Split& s) {
  const Graph& g = ctx.graph;
  const int body = g.body_end(), size = g.size();
  if (s.c1 < 0 || s.c1 > s.c2 || s.c2 > size) throw Error("d3: cuts out of order");
  if (s.c1 > 0 && tiers.device < 0) throw Error("d3: the input device does not compute; the device part must be empty");
  if (s.c2 > s.c1 && tiers.edges.empty()) throw Error("d3: no edge node computes; the edge part must be empty");
  if (s.c2 < size && tiers.cloud < 0) throw Error("d3: no cloud device computes; the cloud part must be empty");
  const int tail = s.c1 >= size ? tiers.device : s.c2 >= size ? tiers.edges.front() : tiers.cloud;
  Plan p = empty_plan(ctx, tail);
  if (std::min(s.c1, body) > 0) add_row_volume(ctx, p, LayerRange{0, std::min(s.c1, body)}, {tiers.device}, {g.layer(std::min(s.c1, body) - 1).out.h});
  const int edge_end = std::min(s.c2, body);
  if (s.c1 < edge_end) {
    const int nodes = std::min<int>(s.grid_rows * s.grid_cols, static_cast<int>(tiers.edges.size()));
    const int rows = std::max(1, std::min(s.grid_rows, nodes)), cols = std::max(1, nodes / rows);
    std::vector<int> cuts;
    for (int c : single_tensor_cuts(g))
      if (c > s.c1 && c < edge_end) cuts.push_back(c);
    cuts.push_back(edge_end);
    int start = s.c1;
    std::size_t k = 0;
    while (start < edge_end) {
      // Extend the fused volume cut by cut while its tiles recompute little.
      LayerRange range{start, cuts[k++]};
      std::vector<Part> parts = edge_tiles(ctx, tiers, range, rows, cols);
      while (k < cuts.size()) {
        const LayerRange longer{start, cuts[k]};
        std::vector<Part> more = edge_tiles(ctx, tiers, longer, rows, cols);
        if (redundancy(g, longer, more) > kMaxRedundancy) break;
        range = longer;
        parts = std::move(more);
        ++k;
      }
      p.volumes.push_back(Volume{range, std::move(parts)});
      start = range.last;
    }
  }
  if (s.c2 < body) add_row_volume(ctx, p, LayerRange{std::max(s.c2, 0), body}, {tiers.cloud}, {g.layer(body - 1).out.h});
  return p;
}

D3Split vsm_grid(const PlanningContext& ctx, const D3Tiers& tiers, int c1, int c2, double* ms) {
  const Graph& g = ctx.graph;
  const int edge_end = std::min(c2, g.body_end());
  D3Split best{c1, c2, 1, 1};
  double best_ms = ctx.sim.latency_ms(d3_plan(ctx, tiers, best));
  if (c1 < edge_end) {
    int h = g.layer(edge_end - 1).out.h, w = g.layer(edge_end - 1).out.w;
    for (int c : single_tensor_cuts(g))
      if (c > c1 && c < edge_end) h = std::min(h, g.layer(c - 1).out.h), w = std::min(w, g.layer(c - 1).out.w);
    const int nodes = static_cast<int>(tiers.edges.size());
    for (int r = 1; r <= std::min(nodes, h); ++r)
      for (int c = 1; r * c <= nodes && c <= w; ++c) {
        if (r == 1 && c == 1) continue;
        const D3Split s{c1, c2, r, c};
        const double t = ctx.sim.latency_ms(d3_plan(ctx, tiers, s));
        if (t < best_ms) best_ms = t, best = s;
      }
  }
  if (ms) *ms = best_ms;
  return best;
}

D3Split d3_exhaustive(const PlanningContext& ctx, const D3Tiers& tiers, double* ms, int* evaluations) {
  const D3Estimate est(ctx, tiers);
  const std::vector<int>& pts = est.points();
  D3Split best;
  double best_ms = kInf;
  int evals = 0;
  for (std::size_t a = 0; a < pts.size(); ++a)
    for (std::size_t b = a; b < pts.size(); ++b) {
      if (!(est.ms(static_cast<int>(a), static_cast<int>(b)) < kInf)) continue;  // a part without devices
      double t = 0;
      const D3Split s = vsm_grid(ctx, tiers, pts[a], pts[b], &t);
      ++evals;
      if (t < best_ms) best_ms = t, best = s;
    }
  if (ms) *ms = best_ms;
  if (evaluations) *evaluations = evals;
  return best;
}

D3Split d3_split_of(const PlanningContext& ctx, const D3Tiers& tiers, const Plan& plan) {
  const Graph& g = ctx.graph;
  const NetworkModel& net = ctx.network;
  const int home = net.tier_of(ctx.input_device), top = net.tier_count() - 1;
  auto level = [&](const std::string& id) {
    const auto it = std::find(ctx.device_ids.begin(), ctx.device_ids.end(), id);
    if (it == ctx.device_ids.end()) throw Error("the plan uses device '" + id + "', which the scenario does not have");
    const int d = static_cast<int>(it - ctx.device_ids.begin());
    const int t = net.tier_of(d);
    if (t == home) {
      if (d != tiers.device) throw Error("the plan computes on '" + id + "', a device-tier node other than the input device");
      return 0;
    }
    if (t < home) throw Error("the plan computes on '" + id + "', below the input device's tier");
    return t == top ? 2 : 1;
  };
  D3Split s{0, 0, 1, 1};
  int last_level = 0;
  bool grid_read = false;
  for (const Volume& v : plan.volumes) {
    const int lv = level(v.parts.front().device);
    for (const Part& p : v.parts)
      if (level(p.device) != lv) throw Error("volume at layer " + std::to_string(v.layers.first) + " spans tiers");
    if (lv < last_level) throw Error("volume at layer " + std::to_string(v.layers.first) + " goes back down a tier");
    if (lv != 1 && v.parts.size() != 1) throw Error("volume at layer " + std::to_string(v.layers.first) + " splits a device or cloud part");
    if (lv == 1 && !grid_read) {
      std::set<int> rows, cols;
      for (const Part& p : v.parts) rows.insert(p.region.rows.begin), cols.insert(p.region.cols.begin);
      s.grid_rows = static_cast<int>(rows.size());
      s.grid_cols = static_cast<int>(cols.size());
      grid_read = true;
    }
    if (lv == 0) s.c1 = v.layers.last;
    if (lv <= 1) s.c2 = v.layers.last;
    last_level = lv;
  }
  if (plan.tail) {
    const int lv = level(plan.tail->device);
    if (lv < last_level) throw Error("the tail runs below the last volume's tier");
    if (lv == 0) s.c1 = s.c2 = g.size();
    if (lv == 1) s.c2 = g.size();
  }
  const std::vector<int> pts = d3_cut_points(g);
  if (point_index(pts, s.c1) < 0 || point_index(pts, s.c2) < 0) throw Error("its cuts are not single-tensor cut points");
  return s;
}

bool D3Planner::applies(const PlanningContext& ctx) const { return tiers_if_any(ctx).has_value(); }

Plan D3Planner::plan(const PlanningContext& ctx) const {
  const D3Tiers tiers = d3_tiers(ctx);
  if (exhaustive_) return d3_plan(ctx, tiers, d3_exhaustive(ctx, tiers));
  D3Estimate est(ctx, tiers);
  return d3_plan(ctx, tiers, hpa_measured(ctx, tiers, est));
}

std::string D3Planner::settings_json() const {
  return std::string("{\"search\": \"") + (exhaustive_ ? "exhaustive" : "hpa") + "\", \"max_redundancy\": 0.1}";
}

std::unique_ptr<Planner> D3Planner::from_spec(const std::string& spec) {
  bool exhaustive = false;
  SpecSettings settings(spec);
  settings.each("search", [&](const std::string& key) {
    if (key != "search") return false;
    if (settings.text() != "hpa" && settings.text() != "exhaustive")
      throw Error("planner '" + spec + "': search is hpa or exhaustive, not '" + settings.text() + "'");
    exhaustive = settings.text() == "exhaustive";
    return true;
  });
  return std::make_unique<D3Planner>(exhaustive);
}

bool EdgeOnlyPlanner::applies(const PlanningContext& ctx) const {
  const std::optional<D3Tiers> t = tiers_if_any(ctx);
  return t && !t->edges.empty();
}

Plan EdgeOnlyPlanner::plan(const PlanningContext& ctx) const {
  const D3Tiers tiers = d3_tiers(ctx);
  if (tiers.edges.empty()) throw Error("edge-only: no edge node computes");
  return d3_plan(ctx, tiers, vsm_grid(ctx, tiers, 0, ctx.graph.size()));
}

bool CloudOnlyPlanner::applies(const PlanningContext& ctx) const {
  const std::optional<D3Tiers> t = tiers_if_any(ctx);
  return t && t->cloud >= 0;
}

Plan CloudOnlyPlanner::plan(const PlanningContext& ctx) const {
  const D3Tiers tiers = d3_tiers(ctx);
  if (tiers.cloud < 0) throw Error("cloud-only: no cloud device computes");
  return d3_plan(ctx, tiers, D3Split{0, 0, 1, 1});
}

}  // namespace edgeplan
