// Per-layer baselines (MoDNN, MeDNN, CoEdge) and Neurosurgeon's two-party cut.
#pragma once
#include "edgeplan/strategy/planner.h"

namespace edgeplan {

class ModnnPlanner : public Planner {
 public:
  std::string name() const override { return "modnn"; }
  Plan plan(const PlanningContext& ctx) const override;
};

class MednnPlanner : public Planner {
 public:
  std::string name() const override { return "meddnn"; }
  Plan plan(const PlanningContext& ctx) const override;
};

class CoedgePlanner : public Planner {
 public:
  std::string name() const override { return "coedge"; }
  Plan plan(const PlanningContext& ctx) const override;
};

class NeurosurgeonPlanner : public Planner {
 public:
  std::string name() const override { return "neurosurgeon"; }
  Plan plan(const PlanningContext& ctx) const override;
};

}  // namespace edgeplan
