// D3's run-time re-adjustment: after a link's rate or a node's load changes, move only the
// cuts and tiles the change touches, starting from the plan in force, instead of
// re-planning from scratch.
#pragma once
#include <optional>
#include <vector>

#include "edgeplan/strategy/d3_planner.h"

namespace edgeplan {

// What a change touches: the device/edge cut, the edge/cloud cut, the edge tiles.
struct ChangeScope {
  bool cut1 = false, cut2 = false, tiles = false;
  bool any() const { return cut1 || cut2 || tiles; }
};

// Compares two states of one scenario (devices matched by id; rates at t = 0, the
// devices' compute times, devices gone): a change at the device's tier or on the link
// above it touches cut 1, the cloud's or the edge-cloud backbone's cut 2, an edge node's
// both cuts and the tiles.
ChangeScope change_scope(const PlanningContext& before, const PlanningContext& after);

// A plan as it stands in a changed scenario: nullopt when a part or the tail computes on a
// device that is gone (or no longer computes); otherwise the plan with the devices it lists
// but the scenario no longer has dropped, validated.
std::optional<Plan> plan_still_usable(const PlanningContext& ctx, const Plan& plan);

struct Readjusted {
  Plan plan;
  D3Split split;          // the plan's split (the one it kept when `kept` >= 0)
  double latency_ms = 0;  // simulated, in the new state
  int evaluations = 0;    // simulations
  int kept = -1;          // index of the plan in `keep` returned unchanged (it was no slower), or -1
};

// From `from` (the split in force, read with d3_split_of in the old state) in the new
// state `ctx`: the tiles regridded by VSM when they are touched; HPA's passes from the
// current cuts, the touched cut first; each touched cut moved by up to two cut points;
// the fastest of these by simulation. Plans in `keep` that are still valid here (their
// devices all exist) are returned unchanged when no re-adjusted plan is faster: the result
// is never slower than keeping them.
Readjusted d3_readjust(const PlanningContext& ctx, const D3Split& from, const ChangeScope& scope,
                       const std::vector<Plan>& keep = {});

}  // namespace edgeplan
