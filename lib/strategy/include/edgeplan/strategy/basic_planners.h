// The two reference planners: `single` (whole model on the best device) and `equal`.
#pragma once
#include "edgeplan/strategy/planner.h"

namespace edgeplan {

// Whole model on one device ("Offload"): the device that finishes soonest, counting the
// transfer of the image to it and of the result back.
class SinglePlanner : public Planner {
 public:
  std::string name() const override { return "single"; }
  Plan plan(const PlanningContext& ctx) const override;
};

// Every spatial layer its own volume, split into equal row stripes over all devices; the
// tail on the input device. Stripes exchange halos directly between owners.
class EqualPlanner : public Planner {
 public:
  std::string name() const override { return "equal"; }
  Plan plan(const PlanningContext& ctx) const override;
};

}  // namespace edgeplan
