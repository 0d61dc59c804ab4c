// The planner interface: (what is known about the scenario, a simulator) -> plan; the registry.
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

// Planners available today, in display order (`single` first: the speedup denominator).
const std::vector<std::string>& planner_names();
// `spec` is a planner name, or "name:key=value[:key=value...]" with settings: distredge
// takes episodes, budget_s (0: no limit; default 10), alpha, seed, demos (0 or 1); opt
// takes max_evaluations, restarts, restart_evaluations. Throws Error (one line) for
// unknown names, settings or values.
std::unique_ptr<Planner> make_planner(const std::string& spec);
// The same, with plans for `opt` to start from (OptOptions::starts); Error for another planner.
std::unique_ptr<Planner> make_planner(const std::string& spec, const std::vector<Plan>& starts);

// Runs a planner and fills the plan's "predicted" block (latency, lower bound, gap, bytes,
// planner, planning time, per-device breakdown) from the simulator; the full simulation
// goes to `result` when given.
Plan plan_with_prediction(const Planner& planner, const PlanningContext& ctx, const std::string& scenario_name,
                          SimResult* result = nullptr);

}  // namespace edgeplan
