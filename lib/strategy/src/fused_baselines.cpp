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

// AOFL: linear models of compute (ms per row of a block on a device) and transfer (the
// block's input scattered from and output gathered to the source), DP over fused blocks
// t_o(j) = min_i t_o(i) + t_f(i, j); inside a block devices join in rank order (speed,
// then bandwidth to the source) while the predicted time improves, with rows that equalize
// each device's transfer + compute.
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
    const double bytes_per_row =
        (detail::range_input_bytes(g, b, ctx.elements) + ctx.elements.activation_bytes() * static_cast<double>(g.layer(b.last - 1).out.elements())) / h;
    std::vector<std::pair<double, int>> rank;
    std::vector<double> cost(static_cast<std::size_t>(ctx.device_count()));
    for (int d = 0; d < ctx.device_count(); ++d) {
      cost[static_cast<std::size_t>(d)] = range_ms(ctx, d, b) / h + bytes_per_row * detail::ms_per_byte(ctx, src, d);
      rank.push_back({cost[static_cast<std::size_t>(d)], d});
    }
    std::sort(rank.begin(), rank.end());
    Block best;
    std::vector<int> order;
    for (const auto& [c, d] : rank) {
      order.push_back(d);
      std::vector<double> w;
      for (int o : order) w.push_back(1.0 / cost[static_cast<std::size_t>(o)]);
      const std::vector<int> rows = detail::proportional_rows(h, w);
      double ms = 0;
      for (std::size_t i = 0; i < order.size(); ++i)
        if (rows[i] > 0) ms = std::max(ms, rows[i] * cost[static_cast<std::size_t>(order[i])] + 2 * latency(order[i]));
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
  Plan plan = empty_plan(ctx, src);
  for (const auto& [i, j] : chosen) {
    const Block& b = blocks.at({i, j});
    add_row_volume(ctx, plan, LayerRange{points[static_cast<std::size_t>(i)], points[static_cast<std::size_t>(j)]}, b.order, b.rows);
  }
  return plan;
}

}  // namespace edgeplan
