// D3's partial re-adjustment after a change of rates or loads.
#include "edgeplan/strategy/d3_replan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "edgeplan/strategy/planner_util.h"

namespace edgeplan {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kMoves = 2;  // a touched cut moves by up to this many cut points either way

int index_of(const std::vector<std::string>& ids, const std::string& id) {
  const auto it = std::find(ids.begin(), ids.end(), id);
  return it == ids.end() ? -1 : static_cast<int>(it - ids.begin());
}

int point_index(const std::vector<int>& points, int layer) {
  return static_cast<int>(std::lower_bound(points.begin(), points.end(), layer) - points.begin());
}

}  // namespace

std::optional<Plan> plan_still_usable(const PlanningContext& ctx, const Plan& plan) {
  auto computes = [&](const std::string& id) {
    const int d = index_of(ctx.device_ids, id);
    return d >= 0 && d < ctx.device_count();
  };
  for (const Volume& v : plan.volumes)
    for (const Part& p : v.parts)
      if (!computes(p.device)) return std::nullopt;
  if (plan.tail && !computes(plan.tail->device)) return std::nullopt;
  Plan p = plan;
  p.devices.erase(std::remove_if(p.devices.begin(), p.devices.end(), [&](const std::string& id) { return index_of(ctx.device_ids, id) < 0; }),
                  p.devices.end());
  try {
    validate_plan(p, ctx.graph);
  } catch (const Error&) {
    return std::nullopt;
  }
  return p;
}

ChangeScope change_scope(const PlanningContext& before, const PlanningContext& after) {
  ChangeScope s;
  const NetworkModel& nb = before.network;
  const NetworkModel& na = after.network;
  const int home = na.tier_of(after.input_device), top = na.tier_count() - 1;
  auto touch_tier = [&](int tier) {
    if (tier <= home) s.cut1 = true;
    else if (tier >= top) s.cut2 = true;
    else s.cut1 = s.cut2 = s.tiles = true;
  };
  const LayerRange all{0, after.graph.size()};
  for (int d = 0; d < static_cast<int>(before.device_ids.size()); ++d) {
    const int a = index_of(after.device_ids, before.device_ids[static_cast<std::size_t>(d)]);
    if (a < 0) {
      touch_tier(nb.tier_of(d));  // gone
      continue;
    }
    const bool rate_changed = nb.rate_at(d, 0) != na.rate_at(a, 0);
    const bool load_changed = d < before.device_count() && a < after.device_count() &&
                              detail::range_ms(before, d, all) != detail::range_ms(after, a, all);
    if (rate_changed || load_changed) touch_tier(na.tier_of(a));
  }
  for (int k = 0; k < na.backbone_count() && k < nb.backbone_count(); ++k) {
    const int sb = static_cast<int>(before.device_ids.size()) + k, sa = static_cast<int>(after.device_ids.size()) + k;
    if (nb.rate_at(sb, 0) != na.rate_at(sa, 0)) (k < home + 1 ? s.cut1 : s.cut2) = true;
  }
  return s;
}

Readjusted d3_readjust(const PlanningContext& ctx, const D3Split& from, const ChangeScope& scope, const std::vector<Plan>& keep) {
  const D3Tiers tiers = d3_tiers(ctx);
  D3Estimate est(ctx, tiers);
  const std::vector<int>& pts = est.points();
  Readjusted best;
  best.latency_ms = kInf;
  auto consider = [&](const D3Split& s) {
    if (!(est.ms(point_index(pts, s.c1), point_index(pts, s.c2)) < kInf)) return kInf;  // a part without devices
    Plan p = d3_plan(ctx, tiers, s);
    const double ms = ctx.sim.latency_ms(p);
    ++best.evaluations;
    if (ms < best.latency_ms) {
      best.latency_ms = ms;
      best.plan = std::move(p);
      best.split = s;
    }
    return ms;
  };
  // The split in force, its tiles regridded when they are touched (an edge node gone or slowed).
  D3Split base = from;
  if (scope.tiles) base = vsm_grid(ctx, tiers, from.c1, from.c2);
  const double base_ms = consider(base);
  const int i1 = point_index(pts, base.c1), i2 = point_index(pts, base.c2), n = static_cast<int>(pts.size());
  if (scope.cut1 || scope.cut2) {
    // HPA's passes from the current cuts, the touched cut first, its edge estimate scaled by
    // what the plan in force measures now.
    const double edge = est.edge_ms(i1, i2);
    if (edge > 0 && base_ms < kInf) est.set_edge_scale(std::max(1.0, (base_ms - (est.ms(i1, i2) - edge)) / edge));
    double ms = 0;
    const D3Split h = hpa_measured(ctx, tiers, est, 3, &ms, i1, i2, scope.cut1 ? 1 : 2);
    best.evaluations += 3;
    if (ms < best.latency_ms) {
      best.latency_ms = ms;
      best.plan = d3_plan(ctx, tiers, h);
      best.split = h;
    }
    // Each touched cut moved a little, with the grid in force.
    for (int m = -kMoves; m <= kMoves; ++m) {
      if (m == 0) continue;
      if (scope.cut1 && i1 + m >= 0 && i1 + m <= i2) consider(D3Split{pts[static_cast<std::size_t>(i1 + m)], base.c2, base.grid_rows, base.grid_cols});
      if (scope.cut2 && i2 + m >= i1 && i2 + m < n) consider(D3Split{base.c1, pts[static_cast<std::size_t>(i2 + m)], base.grid_rows, base.grid_cols});
    }
  }
  if (!(best.latency_ms < kInf)) consider(D3Split{0, 0, 1, 1});  // nothing feasible from here: everything above
  for (std::size_t k = 0; k < keep.size(); ++k) {
    const std::optional<Plan> p = plan_still_usable(ctx, keep[k]);
    if (!p) continue;
    const double ms = ctx.sim.latency_ms(*p);
    ++best.evaluations;
    if (ms <= best.latency_ms) {
      best.latency_ms = ms;
      best.plan = *p;
      best.kept = static_cast<int>(k);
      try {
        best.split = d3_split_of(ctx, tiers, *p);
      } catch (const Error&) {
        best.split = from;
      }
    }
  }
  return best;
}

}  // namespace edgeplan
