// Fused-layer baselines: DeepThings (FTP), DeeperThings, AOFL.
#pragma once
#include "edgeplan/strategy/planner.h"

namespace edgeplan {

class DeepthingsPlanner : public Planner {
 public:
  std::string name() const override { return "deepthings"; }
  Plan plan(const PlanningContext& ctx) const override;
};

class DeeperthingsPlanner : public Planner {
 public:
  std::string name() const override { return "deeperthings"; }
  Plan plan(const PlanningContext& ctx) const override;
};

class AoflPlanner : public Planner {
 public:
  std::string name() const override { return "aofl"; }
  Plan plan(const PlanningContext& ctx) const override;
};

}  // namespace edgeplan
