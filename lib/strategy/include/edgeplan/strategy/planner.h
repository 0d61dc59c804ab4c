// The planner interface: (what is known about the scenario, a simulator) -> plan. The
// registry of every planner by name is lib/planners.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/plan/plan.h"

namespace edgeplan {

// Everything a planner may use. Costs come only from `cost` and `network` (the same the
// simulator uses), so tests can plan against hand-chosen costs.
struct PlanningContext {
  const Graph& graph;
  const LayerCostModel& cost;
  const NetworkModel& network;
  std::vector<std::string> device_ids;
  int input_device = 0;
  int output_device = 0;
  const Simulator& sim;  // judges candidate plans
  int bytes_per_element = 4;  // activations on the wire, as the simulator counts them

  static PlanningContext of(const Scenario& s, const Simulator& sim);
  int device_count() const { return static_cast<int>(device_ids.size()); }
};

class Planner {
 public:
  virtual ~Planner() = default;
  virtual std::string name() const = 0;
  // Returns a plan valid for ctx.graph, naming only ctx.device_ids.
  virtual Plan plan(const PlanningContext& ctx) const = 0;
  // The planner's settings as a JSON object (recorded in the plan's "predicted" block).
  virtual std::string settings_json() const { return "{}"; }
};

// Runs a planner and fills the plan's "predicted" block (latency, lower bound, gap, bytes,
// planner, planning time, per-device breakdown) from the simulator; the full simulation
// goes to `result` when given.
Plan plan_with_prediction(const Planner& planner, const PlanningContext& ctx, const std::string& scenario_name,
                          SimResult* result = nullptr);

}  // namespace edgeplan
