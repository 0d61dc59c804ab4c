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
  for (int d = 0; d < ctx.device_count(); ++d) {
    const std::string& id = ctx.device_ids[static_cast<std::size_t>(d)];
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
  const std::vector<std::string> computing(ctx.device_ids.begin(), ctx.device_ids.begin() + ctx.device_count());
  Plan p = make_even_plan(ctx.graph, computing, per_layer_volumes(ctx.graph));
  p.devices = ctx.device_ids;
  if (p.tail) p.tail->device = ctx.device_ids[static_cast<std::size_t>(ctx.home_device)];
  return p;
}

PlanningContext PlanningContext::of(const Scenario& s, const Simulator& sim) {
  (void)s;  // the simulator was built from the scenario and holds all of it
  return of(sim);
}

PlanningContext PlanningContext::of(const Simulator& sim) {
  const SimulatorConfig& cfg = sim.config();
  const Graph& g = sim.graph();
  PlanningContext c{g, sim.cost_model(), sim.network(), cfg.device_ids, cfg.input_device, cfg.output_device, sim,
                    cfg.elements, cfg.compute_devices, cfg.input_device};
  if (cfg.input_device >= cfg.compute_devices) {
    const double image = static_cast<double>(g.input_shape().elements()) * cfg.elements.input_bytes();
    double best = std::numeric_limits<double>::infinity();
    for (int d = 0; d < cfg.compute_devices; ++d) {
      double ms = c.network.min_transfer_ms(cfg.input_device, d, image);
      for (int l = 0; l < g.size(); ++l) ms += c.cost.layer_ms(d, l, g.layer(l).out.h);
      if (ms < best) {
        best = ms;
        c.home_device = d;
      }
    }
  }
  return c;
}

std::string prediction_json(const SimResult& r, const std::string& planner, const std::string& settings_json, double planning_ms,
                            const std::string& scenario_name) {
  nlohmann::ordered_json pred = nlohmann::ordered_json::parse(sim_result_json(r, false));
  pred["planner"] = planner;
  pred["settings"] = nlohmann::ordered_json::parse(settings_json);
  pred["planning_ms"] = planning_ms;
  pred["scenario"] = scenario_name;
  return pred.dump();
}

Plan plan_with_prediction(const Planner& planner, const PlanningContext& ctx, const std::string& scenario_name,
                          SimResult* result) {
  const Simulator& sim = ctx.sim;
  const auto t0 = std::chrono::steady_clock::now();
  Plan p = planner.plan(ctx);
  const double planning_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const SimResult r = sim.simulate(p);
  p.predicted_json = prediction_json(r, planner.name(), planner.settings_json(), planning_ms, scenario_name);
  if (result) *result = r;
  return p;
}

}  // namespace edgeplan
