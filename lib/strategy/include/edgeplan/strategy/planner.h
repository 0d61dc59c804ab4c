// The planner interface: (scenario, simulator) -> plan, and the registry of planners by name.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/plan/plan.h"

namespace edgeplan {

class Planner {
 public:
  virtual ~Planner() = default;
  virtual std::string name() const = 0;
  // Returns a plan valid for the scenario's graph. `sim` judges candidates.
  virtual Plan plan(const Scenario& scenario, const Simulator& sim) const = 0;
};

// Planners available today, in display order.
const std::vector<std::string>& planner_names();
// Throws Error("unknown planner ...") for other names.
std::unique_ptr<Planner> make_planner(const std::string& name);

// Runs a planner and fills the plan's "predicted" block (latency, lower bound, gap, bytes,
// planner, planning time) from the simulator.
Plan plan_with_prediction(const Planner& planner, const Scenario& scenario, const Simulator& sim);

}  // namespace edgeplan
