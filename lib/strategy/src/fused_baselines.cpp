// Fused-tile baselines: DeepThings FTP, DeeperThings, and AOFL's DP over fused blocks.
#include "edgeplan/strategy/fused_baselines.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "edgeplan/strategy/opt_planner.h"
#include "edgeplan/strategy/planner_util.h"

namespace edgeplan {

using detail::add_row_volume;
using detail::empty_plan;
using detail::range_ms;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// DeepThings' tile edges: ceil(n / parts) each, the last takes the remainder.
std::vector<Interval> ftp_intervals(int n, int parts) {
  parts = std::max(1, std::min(parts, n));
  const int size = (n + parts - 1) / parts;
  std::vector<Interval> out;
  for (int b = 0; b < n; b += size) out.push_back(Interval{b, std::min(n, b + size)});
  return out;
}

double input_bytes_of(const PlanningContext& ctx, LayerRange range, const Region& out) {
  const Graph& g = ctx.graph;
  return detail::part_input_bytes(g, detail::part_regions(g, range, out, g.live_outputs(range)), ctx.elements);
}

}  // namespace

// DeepThings FTP: one fused block over the early layers (down to 1/16 of the input height,
// as YOLOv2's 16-layer block in the paper), cut into a 3x3 grid of equal tiles; tiles go
// by list scheduling to the device that would finish them first (the static equivalent of
// work stealing); the gateway (input device) runs the rest of the model.
Plan DeepthingsPlanner::plan(const PlanningContext& ctx) const {
  const Graph& g = ctx.graph;
  const int gw = ctx.home_device;
  int depth = 0;
  for (int p : single_tensor_cuts(g))
    if (g.layer(p - 1).out.h * 16 >= g.input_shape().h) depth = p;
  Plan plan = empty_plan(ctx, gw);
  if (depth == 0) {
    add_row_volume(ctx, plan, LayerRange{0, g.body_end()}, {gw}, {g.layer(g.body_end() - 1).out.h});
    return plan;
  }
  const LayerRange block{0, depth};
  const Shape out = g.layer(depth - 1).out;
  std::vector<double> full, free(static_cast<std::size_t>(ctx.device_count()), 0.0);
  for (int d = 0; d < ctx.device_count(); ++d) full.push_back(range_ms(ctx, d, block));
  Volume v;
  v.layers = block;
  for (const Interval& r : ftp_intervals(out.h, 3))
    for (const Interval& c : ftp_intervals(out.w, 3)) {
      const Region tile{r, c};
      const double share = static_cast<double>(r.size()) * c.size() / (static_cast<double>(out.h) * out.w);
      const double bytes = input_bytes_of(ctx, block, tile);
      int best = 0;
      double best_end = kInf;
      for (int d = 0; d < ctx.device_count(); ++d) {
        const double end = free[static_cast<std::size_t>(d)] + share * full[static_cast<std::size_t>(d)] +
                           (d == gw ? 0.0 : ctx.network.min_transfer_ms(gw, d, bytes));
        if (end < best_end) {
          best_end = end;
          best = d;
        }
      }
      free[static_cast<std::size_t>(best)] = best_end;
      v.parts.push_back(Part{ctx.device_ids[static_cast<std::size_t>(best)], tile});
    }
  plan.volumes.push_back(std::move(v));
  if (depth < g.body_end()) add_row_volume(ctx, plan, LayerRange{depth, g.body_end()}, {gw}, {g.layer(g.body_end() - 1).out.h});
  return plan;
}

// DeeperThings: several fused blocks (one per feature-map scale) over the whole body, each
// an equal grid with one tile per device, no heterogeneity weighting. Output-channel splits
// of the late layers are not expressible in edgeplan.plan/v1; those layers get equal tiles.
Plan DeeperthingsPlanner::plan(const PlanningContext& ctx) const {
  const Graph& g = ctx.graph;
  const int n = ctx.device_count();
  int gr = 1;
  for (int k = 1; k * k <= n; ++k)
    if (n % k == 0) gr = k;
  const int gc0 = n / gr;
  Plan plan = empty_plan(ctx, ctx.home_device);
  for (const LayerRange& b : detail::scale_blocks(g)) {
    const Shape out = g.layer(b.last - 1).out;
    // More tile rows than columns (rows are the cheaper cut); shrink the grid on small maps.
    const int rows = std::min(out.h, std::max(gr, gc0)), cols = std::min(out.w, std::min(gr, gc0));
    Volume v;
    v.layers = b;
    int k = 0;
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j, ++k)
        v.parts.push_back(Part{ctx.device_ids[static_cast<std::size_t>(k % n)],
                               Region{{out.h * i / rows, out.h * (i + 1) / rows}, {out.w * j / cols, out.w * (j + 1) / cols}}});
    plan.volumes.push_back(std::move(v));
  }
  return plan;
}

// AOFL (SEC 2019): DP over fused blocks t_o(j) = min_i t_o(i) + t_f(i, j); inside a block
// devices join in rank order (speed, then bandwidth to the source) while the predicted time
// improves, with rows that equalize each device's transfer + compute. As the paper traces
// halos back through the block, a device's share of r rows is costed with its exact
// receptive field: the input rows it receives (halos included) and the rows it computes
// (halo rows recomputed). The source scatters and gathers over its one link, so transfers
// to and from it are costed one after another (the paper's model adds each device's
// transfer to its compute as if all were sent at once, which one radio cannot do). After
// each block the source holds the merged output. The tail (not splittable) runs on the one
// device that finishes it soonest after the merged body output is sent to it.
namespace {

// Per-device cost of r rows of a block, sampled at a few row counts and interpolated.
struct BlockCurve {
  std::vector<int> r;
  std::vector<double> in_bytes, out_bytes;
  std::vector<std::vector<double>> ms;  // [device][sample]
  double at(const std::vector<double>& v, int rows) const { return detail::at_rows(r, v, rows); }
};

BlockCurve block_curve(const PlanningContext& ctx, LayerRange b, int samples) {
  const Graph& g = ctx.graph;
  const Shape out = g.layer(b.last - 1).out;
  const std::vector<int> live = g.live_outputs(b);
  BlockCurve c;
  c.ms.assign(static_cast<std::size_t>(ctx.device_count()), {});
  for (int i = 1; i <= samples; ++i) {
    const int r = std::max(1, static_cast<int>(std::lround(static_cast<double>(out.h) * i / samples)));
    if (!c.r.empty() && r <= c.r.back()) continue;
    const int start = (out.h - r) / 2;  // a middle stripe: halos on both sides
    const VolumeRegions vr = detail::part_regions(g, b, Region{{start, start + r}, {0, out.w}}, live);
    c.r.push_back(r);
    c.in_bytes.push_back(detail::part_input_bytes(g, vr, ctx.elements));
    c.out_bytes.push_back(static_cast<double>(r) * out.w * out.c * ctx.elements.activation_bytes());
    for (int d = 0; d < ctx.device_count(); ++d) c.ms[static_cast<std::size_t>(d)].push_back(detail::part_compute_ms(ctx, d, b, vr));
  }
  return c;
}

}  // namespace

Plan AoflPlanner::plan(const PlanningContext& ctx) const {
  const Graph& g = ctx.graph;
  const int src = ctx.home_device;
  std::vector<int> points = single_tensor_cuts(g);
  points.insert(points.begin(), 0);
  points.push_back(g.body_end());
  const int np = static_cast<int>(points.size());
  auto latency = [&](int d) { return d == src ? 0.0 : ctx.network.min_transfer_ms(src, d, 0); };
  struct Block {
    double ms = kInf;
    std::vector<int> order, rows;
  };
  auto block_plan = [&](LayerRange b) {
    const int h = g.layer(b.last - 1).out.h;
    const BlockCurve c = block_curve(ctx, b, 12);
    auto own = [&](int d, int r) {  // the paper's per-device time: its transfers + its compute
      if (r <= 0) return 0.0;
      const double link = d == src ? 0.0 : (c.at(c.in_bytes, r) + c.at(c.out_bytes, r)) * detail::ms_per_byte(ctx, src, d) + 2 * latency(d);
      return link + c.at(c.ms[static_cast<std::size_t>(d)], r);
    };
    // Rank: speed on the whole block, then bandwidth to the source.
    std::vector<std::pair<std::pair<double, double>, int>> rank;
    for (int d = 0; d < ctx.device_count(); ++d)
      rank.push_back({{c.at(c.ms[static_cast<std::size_t>(d)], h), d == src ? 0.0 : detail::ms_per_byte(ctx, src, d)}, d});
    std::sort(rank.begin(), rank.end());
    // Rows equalizing own times: the most rows each device finishes by T, bisected on T.
    auto split = [&](const std::vector<int>& order) {
      std::vector<std::vector<double>> t(order.size(), std::vector<double>(static_cast<std::size_t>(h + 1), 0.0));
      for (std::size_t i = 0; i < order.size(); ++i)
        for (int r = 1; r <= h; ++r) t[i][static_cast<std::size_t>(r)] = std::max(t[i][static_cast<std::size_t>(r - 1)], own(order[i], r));
      auto rows_by = [&](std::size_t i, double T) {
        return static_cast<int>(std::upper_bound(t[i].begin() + 1, t[i].end(), T) - t[i].begin()) - 1;
      };
      double lo = 0, hi = t[0].back();
      for (int it = 0; it < 50; ++it) {
        const double mid = 0.5 * (lo + hi);
        int total = 0;
        for (std::size_t i = 0; i < order.size(); ++i) total += rows_by(i, mid);
        (total >= h ? hi : lo) = mid;
      }
      std::vector<int> rows(order.size());
      int left = h;
      for (std::size_t i = 0; i < order.size(); ++i) left -= rows[i] = std::min(left, rows_by(i, hi));
      rows[0] += left;
      return rows;
    };
    // Predicted block time: the source sends the shares one after another (rank order),
    // each device computes once its share arrived, the outputs come back one at a time.
    auto predict = [&](const std::vector<int>& order, const std::vector<int>& rows) {
      double link = 0, end = 0;
      std::vector<std::pair<double, int>> done;
      for (std::size_t i = 0; i < order.size(); ++i) {
        const int d = order[i], r = rows[i];
        if (r <= 0) continue;
        double ready = 0;
        if (d != src) {
          link += c.at(c.in_bytes, r) * detail::ms_per_byte(ctx, src, d);
          ready = link + latency(d);
        }
        done.push_back({ready + c.at(c.ms[static_cast<std::size_t>(d)], r), static_cast<int>(i)});
      }
      std::sort(done.begin(), done.end());
      for (const auto& [finish, i] : done) {
        const int d = order[static_cast<std::size_t>(i)];
        if (d == src) {
          end = std::max(end, finish);
          continue;
        }
        link = std::max(link, finish) + c.at(c.out_bytes, rows[static_cast<std::size_t>(i)]) * detail::ms_per_byte(ctx, d, src);
        end = std::max(end, link + latency(d));
      }
      return end;
    };
    Block best;
    std::vector<int> order;
    for (const auto& entry : rank) {
      order.push_back(entry.second);
      const std::vector<int> rows = split(order);
      const double ms = predict(order, rows);
      if (ms >= best.ms) break;  // adding this device no longer helps
      best = Block{ms, order, rows};
    }
    return best;
  };
  std::vector<double> t(static_cast<std::size_t>(np), kInf);
  std::vector<int> from(static_cast<std::size_t>(np), -1);
  std::map<std::pair<int, int>, Block> blocks;
  t[0] = 0;
  for (int j = 1; j < np; ++j)
    for (int i = std::max(0, j - 12); i < j; ++i) {
      const Block b = block_plan(LayerRange{points[static_cast<std::size_t>(i)], points[static_cast<std::size_t>(j)]});
      if (t[static_cast<std::size_t>(i)] + b.ms < t[static_cast<std::size_t>(j)]) {
        t[static_cast<std::size_t>(j)] = t[static_cast<std::size_t>(i)] + b.ms;
        from[static_cast<std::size_t>(j)] = i;
        blocks[{i, j}] = b;
      }
    }
  std::vector<std::pair<int, int>> chosen;
  for (int j = np - 1; j > 0; j = from[static_cast<std::size_t>(j)]) chosen.insert(chosen.begin(), {from[static_cast<std::size_t>(j)], j});
  // The tail on the device that finishes it first once the source sends it the body output.
  int tail = src;
  if (g.body_end() < g.size()) {
    const double body_out = static_cast<double>(g.tensor_shape(g.body_end() - 1).elements()) * ctx.elements.activation_bytes();
    const double result = static_cast<double>(g.layer(g.size() - 1).out.elements()) * ctx.elements.activation_bytes();
    double best = kInf;
    for (int d = 0; d < ctx.device_count(); ++d) {
      const double ms = (d == src ? 0.0 : ctx.network.min_transfer_ms(src, d, body_out)) + range_ms(ctx, d, LayerRange{g.body_end(), g.size()}) +
                        (d == ctx.output_device ? 0.0 : ctx.network.min_transfer_ms(d, ctx.output_device, result));
      if (ms < best) {
        best = ms;
        tail = d;
      }
    }
  }
  Plan plan = empty_plan(ctx, tail);
  for (const auto& [i, j] : chosen) {
    const Block& b = blocks.at({i, j});
    add_row_volume(ctx, plan, LayerRange{points[static_cast<std::size_t>(i)], points[static_cast<std::size_t>(j)]}, b.order, b.rows);
  }
  return plan;
}

}  // namespace edgeplan
