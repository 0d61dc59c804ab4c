// Re-planning after events and along traces: D3's re-adjustment, full re-plans, the plan kept.
#include "edgeplan/planners/replan.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/planners/registry.h"
#include "edgeplan/strategy/d3_replan.h"

namespace edgeplan {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// One state of the scenario, with what planning in it needs.
struct State {
  Scenario scenario;
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<PlanningContext> ctx;
  State(const std::string& text, const std::string& base_dir) : scenario(parse_scenario(text, base_dir)) {
    sim = std::make_unique<Simulator>(scenario);
    ctx = std::make_unique<PlanningContext>(PlanningContext::of(scenario, *sim));
  }
};

// The plan's latency in a state, +infinity if it computes on a device that is not there.
double latency_in(const State& s, const Plan& plan) {
  const std::optional<Plan> p = plan_still_usable(*s.ctx, plan);
  return p ? s.sim->latency_ms(*p) : kInf;
}

D3Split split_in(const State& s, const Plan& plan) {
  try {
    return d3_split_of(*s.ctx, d3_tiers(*s.ctx), plan);
  } catch (const Error& e) {
    throw Error(std::string("replan re-adjusts plans of d3's family (a device part, edge tiles, a cloud part, in that order): ") + e.what());
  }
}

std::string changes(const State& before, const State& after) {
  std::string out;
  auto add = [&](const std::string& what) { out += (out.empty() ? "" : ", ") + what; };
  const NetworkModel& a = after.scenario.network;
  const NetworkModel& b = before.scenario.network;
  char buf[160];
  for (const auto& d : before.scenario.devices) {
    const int i = before.scenario.device_index(d.id), j = after.scenario.device_index(d.id);
    if (j < 0) {
      add(d.id + " gone");
      continue;
    }
    if (b.rate_at(i, 0) != a.rate_at(j, 0)) {
      std::snprintf(buf, sizeof buf, "%s %g -> %g Mbit/s", d.id.c_str(), b.rate_at(i, 0), a.rate_at(j, 0));
      add(buf);
    }
    const double tb = d.profile.time_scale, ta = after.scenario.devices[static_cast<std::size_t>(j)].profile.time_scale;
    if (tb != ta) {
      std::snprintf(buf, sizeof buf, "%s compute x%g", d.id.c_str(), ta / tb);
      add(buf);
    }
  }
  const int nb = static_cast<int>(before.scenario.devices.size()), na = static_cast<int>(after.scenario.devices.size());
  for (int k = 0; k < a.backbone_count() && k < b.backbone_count(); ++k)
    if (b.rate_at(nb + k, 0) != a.rate_at(na + k, 0)) {
      std::snprintf(buf, sizeof buf, "backbone (tiers %d-%d) %g -> %g Mbit/s", k, k + 1, b.rate_at(nb + k, 0), a.rate_at(na + k, 0));
      add(buf);
    }
  return out.empty() ? "no change" : out;
}

// Each planner from scratch in a state: its plan's latency and its wall time.
std::vector<FullReplan> full_replans(const State& s, const std::vector<std::string>& planners) {
  std::vector<FullReplan> out;
  for (const std::string& name : planners) {
    const std::unique_ptr<Planner> planner = make_planner(name);
    const auto t0 = std::chrono::steady_clock::now();
    const Plan p = planner->plan(*s.ctx);
    const double took = ms_since(t0);
    out.push_back(FullReplan{name, s.sim->latency_ms(p), took});
  }
  return out;
}

// One step: from the plan in force (split `from`) in state `before` to state `after`.
ReplanStep step(const State& before, const State& after, const Plan& original, const Plan& in_force, const D3Split& from,
                const std::vector<std::string>& full_planners) {
  ReplanStep st;
  st.change = changes(before, after);
  st.kept_ms = latency_in(after, original);
  st.previous_ms = latency_in(after, in_force);
  const ChangeScope scope = change_scope(*before.ctx, *after.ctx);
  const auto t0 = std::chrono::steady_clock::now();
  const Readjusted r = d3_readjust(*after.ctx, from, scope, {in_force, original});
  st.readjust_ms = ms_since(t0);
  st.readjusted_ms = r.latency_ms;
  st.evaluations = r.evaluations;
  st.unchanged = r.kept >= 0;
  st.split = r.split;
  st.plan = r.plan;
  // The plan's "predicted" block, for the new state (a kept plan's old block would be stale).
  const SimResult sim = after.sim->simulate(r.plan);
  st.backbone_bytes = sim.backbone_bytes;
  const nlohmann::json settings = {{"change", st.change}, {"kept_unchanged", st.unchanged}, {"simulations", st.evaluations}};
  st.plan.predicted_json = prediction_json(sim, "d3 replan", settings.dump(), st.readjust_ms, after.scenario.name);
  st.full = full_replans(after, full_planners);
  return st;
}

}  // namespace

ReplanStep replan_after_events(const std::string& text, const std::string& base_dir, const Plan& plan,
                               const std::vector<ScenarioEvent>& events, const std::vector<std::string>& full_planners) {
  const State before(text, base_dir);
  const D3Split from = split_in(before, plan);
  const State after(apply_events(text, events), base_dir);
  return step(before, after, plan, plan, from, full_planners);
}

std::vector<ReplanStep> replan_over_trace(const std::string& text, const std::string& base_dir, const Plan& plan,
                                          const std::vector<std::string>& full_planners) {
  const std::vector<double> times = trace_times(text);
  if (times.size() < 2) throw Error("replan --trace: the scenario has no trace (no rate changes over time)");
  std::vector<ReplanStep> out;
  auto state = std::make_unique<State>(scenario_at(text, times.front()), base_dir);
  D3Split split = split_in(*state, plan);
  Plan in_force = plan;
  {
    ReplanStep first;
    first.change = "start";
    first.kept_ms = first.previous_ms = first.readjusted_ms = latency_in(*state, plan);
    first.unchanged = true;
    first.split = split;
    first.plan = plan;
    first.backbone_bytes = state->sim->simulate(plan).backbone_bytes;
    first.full = full_replans(*state, full_planners);
    out.push_back(std::move(first));
  }
  for (std::size_t k = 1; k < times.size(); ++k) {
    auto next = std::make_unique<State>(scenario_at(text, times[k]), base_dir);
    ReplanStep st = step(*state, *next, plan, in_force, split, full_planners);
    st.t_ms = times[k];
    split = st.split;
    in_force = st.plan;
    out.push_back(std::move(st));
    state = std::move(next);
  }
  return out;
}

std::string replan_steps_json(const std::string& scenario_name, const std::vector<ReplanStep>& steps, const std::string& provenance_json) {
  using nlohmann::json;
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json j;
  j["format"] = "edgeplan.replan/v1";
  j["scenario"] = scenario_name;
  j["provenance"] = json::parse(provenance_json);
  j["units"] = "latencies and times in ms; backbone bytes per inference over each backbone link";
  j["steps"] = json::array();
  for (const ReplanStep& s : steps) {
    json f = json::array();
    for (const FullReplan& r : s.full) f.push_back({{"planner", r.planner}, {"latency_ms", num(r.latency_ms)}, {"planning_ms", r.planning_ms}});
    j["steps"].push_back({{"t_ms", s.t_ms},
                          {"change", s.change},
                          {"kept_ms", num(s.kept_ms)},
                          {"previous_ms", num(s.previous_ms)},
                          {"readjusted_ms", num(s.readjusted_ms)},
                          {"readjust_time_ms", s.readjust_ms},
                          {"evaluations", s.evaluations},
                          {"unchanged", s.unchanged},
                          {"split", {{"c1", s.split.c1}, {"c2", s.split.c2}, {"grid", {s.split.grid_rows, s.split.grid_cols}}}},
                          {"backbone_bytes", s.backbone_bytes},
                          {"full", f}});
  }
  return j.dump(2) + "\n";
}

}  // namespace edgeplan
