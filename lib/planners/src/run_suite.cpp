// Running planners by name on a scenario and on the suite.
#include "edgeplan/planners/run_suite.h"

#include <chrono>
#include <utility>

#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/planners/registry.h"

namespace edgeplan {

ScenarioResult evaluate_planners(const Scenario& s, const Simulator& sim, const std::vector<std::string>& planners,
                                 const std::function<void(const std::string&)>& done) {
  const PlanningContext ctx = PlanningContext::of(s, sim);
  ScenarioResult sr{s.name, "", "", {}, s.graph.name() + " " + to_string(s.graph.input_shape()), s.graph.origin().sha256};
  for (const std::string& name : planners) {
    PlannerResult r;
    r.planner = name;
    try {
      const auto t0 = std::chrono::steady_clock::now();
      const Plan p = make_planner(name)->plan(ctx);
      r.planning_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      validate_plan(p, s.graph);
      // Tiered networks: the full simulation, which also records D3's traffic figure (what
      // crosses each backbone link); elsewhere the fast path.
      if (sim.network().backbone_count() > 0) {
        SimResult full = sim.simulate(p);
        r.latency_ms = full.latency_ms;
        r.backbone_bytes = std::move(full.backbone_bytes);
      } else {
        r.latency_ms = sim.latency_ms(p);
      }
    } catch (const Error& err) {
      r.valid = false;
      r.error = err.what();
    }
    r.images_per_s = r.latency_ms > 0 ? 1000.0 / r.latency_ms : 0;
    r.gap = sim.lower_bound_ms() > 0 ? r.latency_ms / sim.lower_bound_ms() : 1;
    sr.planners.push_back(r);
    if (done) done(name);
  }
  fill_speedups(sr);
  return sr;
}

BenchResults run_suite(const Suite& suite, bool quick, const std::vector<std::string>& only,
                       const std::function<void(int, int, const std::string&)>& progress) {
  const std::vector<std::string> planners = only.empty() ? suite.planners : only;
  for (const auto& p : planners) make_planner(p);
  int total = 0, done = 0;
  for (const auto& e : suite.entries)
    if (!quick || e.quick) total += static_cast<int>(planners.size());
  BenchResults out;
  for (const SuiteEntry& e : suite.entries) {
    if (quick && !e.quick) continue;
    const Scenario s = load_scenario_file(e.scenario_path);
    const Simulator sim(s);
    ScenarioResult sr = evaluate_planners(s, sim, planners, [&](const std::string& name) {
      if (progress) progress(++done, total, s.name + " " + name);
    });
    sr.group = e.group;
    sr.path = e.scenario_path;
    out.scenarios.push_back(std::move(sr));
  }
  fill_geomeans(out);
  return out;
}

Suite load_suite_with_planners(const std::string& path) {
  return load_suite_file(path, [](const std::string& name) { make_planner(name); });
}

}  // namespace edgeplan
