// The reference planners `single` and `equal`; running a planner with its prediction.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "edgeplan/costmodel/sim_result_json.h"
#include "edgeplan/strategy/basic_planners.h"
#include "edgeplan/strategy/simple_plans.h"

namespace edgeplan {

Plan SinglePlanner::plan(const PlanningContext& ctx) const {
  const Graph& g = ctx.graph;
  Plan best;
  double best_ms = std::numeric_limits<double>::infinity();
  for (const std::string& id : ctx.device_ids) {
    Plan p = make_even_plan(g, {id}, {LayerRange{0, g.body_end()}});
    p.devices = ctx.device_ids;
    const double ms = ctx.sim.latency_ms(p);
    if (ms < best_ms) {
      best_ms = ms;
      best = std::move(p);
    }
  }
  return best;
}

Plan EqualPlanner::plan(const PlanningContext& ctx) const {
  Plan p = make_even_plan(ctx.graph, ctx.device_ids, per_layer_volumes(ctx.graph));
  if (p.tail) p.tail->device = ctx.device_ids[static_cast<std::size_t>(ctx.input_device)];
  return p;
}

PlanningContext PlanningContext::of(const Scenario& s, const Simulator& sim) {
  return PlanningContext{s.graph,          sim.cost_model(), s.network, s.device_ids(), s.input_device, s.output_device, sim,
                         sim.config().bytes_per_element};
}

Plan plan_with_prediction(const Planner& planner, const PlanningContext& ctx, const std::string& scenario_name,
                          SimResult* result) {
  const Simulator& sim = ctx.sim;
  const auto t0 = std::chrono::steady_clock::now();
  Plan p = planner.plan(ctx);
  const double planning_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const SimResult r = sim.simulate(p);
  nlohmann::ordered_json pred = nlohmann::ordered_json::parse(sim_result_json(r, false));
  pred["planner"] = planner.name();
  pred["settings"] = nlohmann::ordered_json::parse(planner.settings_json());
  pred["planning_ms"] = planning_ms;
  pred["scenario"] = scenario_name;
  p.predicted_json = pred.dump();
  if (result) *result = r;
  return p;
}

}  // namespace edgeplan
