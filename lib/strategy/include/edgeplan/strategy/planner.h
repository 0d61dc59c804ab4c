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
  ElementSizes elements;  // bytes per element of the image and of activations, as the simulator counts them
  int compute_devices = 0;  // devices [0, compute_devices) compute; the others only send or receive
  // Where a planner that computes "at the source" computes: the input device if it
  // computes, else the computing device that would finish the whole model first after
  // receiving the image from the input device.
  int home_device = 0;

  static PlanningContext of(const Scenario& s, const Simulator& sim);
  // From what the simulator was built with (its graph, costs, network and configuration).
  static PlanningContext of(const Simulator& sim);
  // Devices a planner may give parts: indices [0, device_count()).
  int device_count() const { return compute_devices; }
};

class Planner {
 public:
  virtual ~Planner() = default;
  virtual std::string name() const = 0;
  // Returns a plan valid for ctx.graph, naming only ctx.device_ids.
  virtual Plan plan(const PlanningContext& ctx) const = 0;
  // Whether the planner can plan this scenario at all (D3's tiers need a tiered network);
  // plan() throws Error with the reason where it cannot.
  virtual bool applies(const PlanningContext& /*ctx*/) const { return true; }
  // The planner's settings as a JSON object (recorded in the plan's "predicted" block).
  virtual std::string settings_json() const { return "{}"; }
};

// A plan's "predicted" block: the simulation's summary (no timeline), the planner, its
// settings (a JSON object), the planning time and the scenario.
std::string prediction_json(const SimResult& result, const std::string& planner, const std::string& settings_json, double planning_ms,
                            const std::string& scenario_name);

// Runs a planner and fills the plan's "predicted" block (latency, lower bound, gap, bytes,
// planner, planning time, per-device breakdown) from the simulator; the full simulation
// goes to `result` when given.
Plan plan_with_prediction(const Planner& planner, const PlanningContext& ctx, const std::string& scenario_name,
                          SimResult* result = nullptr);

}  // namespace edgeplan
