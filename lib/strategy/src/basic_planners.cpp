// The two reference planners: `single` (whole model on the best device) and `equal`.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "edgeplan/strategy/distredge.h"
#include "edgeplan/strategy/opt_planner.h"
#include "fused_baselines.h"
#include "layerwise_baselines.h"
#include "edgeplan/strategy/planner.h"
#include "edgeplan/strategy/simple_plans.h"

namespace edgeplan {

namespace {

// Whole model on one device ("Offload"): the device that finishes soonest, counting the
// transfer of the image to it and of the result back.
class SinglePlanner : public Planner {
 public:
  std::string name() const override { return "single"; }
  Plan plan(const PlanningContext& ctx) const override {
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
};

// Every spatial layer its own volume, split into equal row stripes over all devices; the
// tail on the input device. Stripes exchange halos directly between owners.
class EqualPlanner : public Planner {
 public:
  std::string name() const override { return "equal"; }
  Plan plan(const PlanningContext& ctx) const override {
    Plan p = make_even_plan(ctx.graph, ctx.device_ids, per_layer_volumes(ctx.graph));
    if (p.tail) p.tail->device = ctx.device_ids[static_cast<std::size_t>(ctx.input_device)];
    return p;
  }
};

}  // namespace

const std::vector<std::string>& planner_names() {
  static const std::vector<std::string> names = {"single", "equal", "modnn", "meddnn", "coedge", "deepthings",
                                                 "deeperthings", "aofl", "neurosurgeon", "distredge", "opt"};
  return names;
}

namespace {

// Settings in a planner name, "name:key=value[:key=value...]", so that `bench` suites and
// `plan --planner` can ask for DistrEdge's 4000 episodes or a faster `opt`.
class SpecSettings {
 public:
  explicit SpecSettings(const std::string& spec) : spec_(spec) {}

  // Calls `use(key, *this)` for each setting; `use` reads the value with number() or
  // whole() and returns false for a key it does not know.
  template <typename F>
  void each(const std::string& known, F use) {
    std::size_t at = spec_.find(':');
    while (at != std::string::npos) {
      const std::size_t next = spec_.find(':', at + 1);
      const std::string kv = spec_.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
      at = next;
      const std::size_t eq = kv.find('=');
      key_ = kv.substr(0, eq);
      value_ = eq == std::string::npos ? "" : kv.substr(eq + 1);
      if (!use(key_))
        throw Error("planner '" + spec_ + "': unknown setting '" + key_ + "' (" + known + ")");
    }
  }
  double number() const {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(value_, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (value_.empty() || used != value_.size() || !std::isfinite(v))
      throw Error("planner '" + spec_ + "': " + key_ + " needs a number, got '" + value_ + "'");
    return v;
  }
  double whole(double lo, double hi) const {
    const double v = number();
    if (v != std::floor(v) || v < lo || v > hi)
      throw Error("planner '" + spec_ + "': " + key_ + " must be a whole number in [" +
                  std::to_string(static_cast<long long>(lo)) + ", " + std::to_string(static_cast<long long>(hi)) + "]");
    return v;
  }

 private:
  std::string spec_, key_, value_;
};

std::unique_ptr<Planner> make_distredge(const std::string& spec) {
  DistrEdgeOptions o;
  o.budget_s = 10;  // the paper's 4000 episodes, or 10 s of training, whichever comes first
  SpecSettings set(spec);
  set.each("episodes, budget_s, alpha, seed, demos", [&](const std::string& key) {
    if (key == "episodes") o.episodes = static_cast<int>(set.whole(1, 1e8));
    else if (key == "budget_s") o.budget_s = set.number();
    else if (key == "alpha") o.alpha = set.number();
    else if (key == "seed") o.seed = static_cast<std::uint64_t>(set.whole(0, 9007199254740992.0));
    else if (key == "demos") o.demonstrations = set.whole(0, 1) == 1;
    else return false;
    return true;
  });
  check_options(o);
  return std::make_unique<DistrEdgePlanner>(o);
}

std::unique_ptr<Planner> make_opt(const std::string& spec, const std::vector<Plan>& starts = {}) {
  OptOptions o;
  o.starts = starts;
  SpecSettings set(spec);
  set.each("max_evaluations, restarts, restart_evaluations", [&](const std::string& key) {
    if (key == "max_evaluations") o.max_evaluations = static_cast<int>(set.whole(0, 1e9));
    else if (key == "restarts") o.restarts = static_cast<int>(set.whole(0, 1000));
    else if (key == "restart_evaluations") o.restart_evaluations = static_cast<int>(set.whole(0, 1e9));
    else return false;
    return true;
  });
  return std::make_unique<OptPlanner>(o);
}

}  // namespace

std::unique_ptr<Planner> make_planner(const std::string& spec, const std::vector<Plan>& starts) {
  if (starts.empty()) return make_planner(spec);
  if (spec.substr(0, spec.find(':')) != "opt") throw Error("only opt takes starting plans (--start), not '" + spec + "'");
  return make_opt(spec, starts);
}

std::unique_ptr<Planner> make_planner(const std::string& spec) {
  const std::string name = spec.substr(0, spec.find(':'));
  if (name == "distredge") return make_distredge(spec);
  if (name == "opt") return make_opt(spec);
  if (name != spec) throw Error("planner '" + name + "' takes no settings (only distredge and opt do)");
  if (name == "single") return std::make_unique<SinglePlanner>();
  if (name == "equal") return std::make_unique<EqualPlanner>();
  if (name == "modnn") return std::make_unique<ModnnPlanner>();
  if (name == "meddnn") return std::make_unique<MednnPlanner>();
  if (name == "coedge") return std::make_unique<CoedgePlanner>();
  if (name == "deepthings") return std::make_unique<DeepthingsPlanner>();
  if (name == "deeperthings") return std::make_unique<DeeperthingsPlanner>();
  if (name == "aofl") return std::make_unique<AoflPlanner>();
  if (name == "neurosurgeon") return std::make_unique<NeurosurgeonPlanner>();
  std::string known;
  for (const auto& n : planner_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown planner '" + name + "' (available: " + known + ")");
}

PlanningContext PlanningContext::of(const Scenario& s, const Simulator& sim) {
  return PlanningContext{s.graph, sim.cost_model(), s.network, s.device_ids(), s.input_device, s.output_device, sim};
}

Plan plan_with_prediction(const Planner& planner, const PlanningContext& ctx, const std::string& scenario_name,
                          SimResult* result) {
  const Simulator& sim = ctx.sim;
  const auto t0 = std::chrono::steady_clock::now();
  Plan p = planner.plan(ctx);
  const double planning_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const SimResult r = sim.simulate(p);
  nlohmann::json pred = {{"latency_ms", r.latency_ms},
                         {"lower_bound_ms", r.lower_bound_ms},
                         {"gap", r.lower_bound_ms > 0 ? r.latency_ms / r.lower_bound_ms : 1.0},
                         {"network_bytes", r.total_bytes},
                         {"transfers", r.transfers},
                         {"fits_memory", r.fits_memory},
                         {"planner", planner.name()},
                         {"settings", nlohmann::json::parse(planner.settings_json())},
                         {"planning_ms", planning_ms},
                         {"scenario", scenario_name}};
  nlohmann::json per_device = nlohmann::json::array();
  for (const DeviceUsage& u : r.devices)
    per_device.push_back({{"device", u.id}, {"compute_ms", u.compute_ms}, {"send_ms", u.send_ms},
                          {"receive_ms", u.receive_ms}, {"idle_ms", u.idle_ms}, {"peak_memory_bytes", u.peak_memory_bytes}});
  pred["devices"] = per_device;
  p.predicted_json = pred.dump();
  if (result) *result = r;
  return p;
}

}  // namespace edgeplan
