// The two reference planners: `single` (whole model on the best device) and `equal`.
#include <chrono>
#include <limits>

#include <nlohmann/json.hpp>

#include "edgeplan/strategy/planner.h"
#include "edgeplan/strategy/simple_plans.h"

namespace edgeplan {

namespace {

// Whole model on one device ("Offload"): the device that finishes soonest, counting the
// transfer of the image to it and of the result back.
class SinglePlanner : public Planner {
 public:
  std::string name() const override { return "single"; }
  Plan plan(const Scenario& s, const Simulator& sim) const override {
    const Graph& g = s.graph;
    Plan best;
    double best_ms = std::numeric_limits<double>::infinity();
    for (const ScenarioDevice& d : s.devices) {
      Plan p = make_even_plan(g, {d.id}, {LayerRange{0, g.body_end()}});
      p.devices = s.device_ids();
      const double ms = sim.latency_ms(p);
      if (ms < best_ms) {
        best_ms = ms;
        best = std::move(p);
      }
    }
    return best;
  }
};

// Every spatial layer its own volume, split into equal row stripes over all devices; the
// tail on the input device. Stripes exchange halos directly between owners.
class EqualPlanner : public Planner {
 public:
  std::string name() const override { return "equal"; }
  Plan plan(const Scenario& s, const Simulator&) const override {
    Plan p = make_even_plan(s.graph, s.device_ids(), per_layer_volumes(s.graph));
    if (p.tail) p.tail->device = s.devices[static_cast<std::size_t>(s.input_device)].id;
    return p;
  }
};

}  // namespace

const std::vector<std::string>& planner_names() {
  static const std::vector<std::string> names = {"single", "equal"};
  return names;
}

std::unique_ptr<Planner> make_planner(const std::string& name) {
  if (name == "single") return std::make_unique<SinglePlanner>();
  if (name == "equal") return std::make_unique<EqualPlanner>();
  std::string known;
  for (const auto& n : planner_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown planner '" + name + "' (available: " + known + ")");
}

Plan plan_with_prediction(const Planner& planner, const Scenario& scenario, const Simulator& sim) {
  const auto t0 = std::chrono::steady_clock::now();
  Plan p = planner.plan(scenario, sim);
  const double planning_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const SimResult r = sim.simulate(p);
  nlohmann::json pred = {{"latency_ms", r.latency_ms},
                         {"lower_bound_ms", r.lower_bound_ms},
                         {"gap", r.lower_bound_ms > 0 ? r.latency_ms / r.lower_bound_ms : 1.0},
                         {"network_bytes", r.total_bytes},
                         {"transfers", r.transfers},
                         {"fits_memory", r.fits_memory},
                         {"planner", planner.name()},
                         {"planning_ms", planning_ms},
                         {"scenario", scenario.name}};
  nlohmann::json per_device = nlohmann::json::array();
  for (const DeviceUsage& u : r.devices)
    per_device.push_back({{"device", u.id}, {"compute_ms", u.compute_ms}, {"send_ms", u.send_ms},
                          {"receive_ms", u.receive_ms}, {"idle_ms", u.idle_ms}, {"peak_memory_bytes", u.peak_memory_bytes}});
  pred["devices"] = per_device;
  p.predicted_json = pred.dump();
  return p;
}

}  // namespace edgeplan
