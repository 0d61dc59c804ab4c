// `edgeplan plan`: run a planner (or all of them) on a scenario; write the plan, its Gantt chart.
#include <cstdio>
#include <iostream>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/planners/registry.h"
#include "edgeplan/planners/run_suite.h"
#include "edgeplan/strategy/planner.h"
#include "edgeplan/report/gantt_svg.h"
#include "sim_report.h"

namespace edgeplan::cli {

namespace {

struct Args {
  std::string scenario, planner, output, svg, model, input;
  std::vector<std::string> starts;
  bool compare = false;
};

// Every planner on the scenario: latency, speedups over `single` and over the best
// baseline (for `opt`; for a baseline: over the best other baseline), gap, planning time.
int run_compare(const Scenario& s, const Simulator& sim) {
  const ScenarioResult r = evaluate_planners(s, sim, planner_names());
  std::printf("scenario %s\n", scenario_summary(s).c_str());
  std::printf("%-13s %12s %14s %21s %14s %15s\n", "planner", "latency ms", "vs single", "vs best baseline", "gap to bound",
              "planning ms");
  std::string skipped;
  for (const PlannerResult& p : r.planners) {
    if (!p.valid) {  // d3 and its one-tier references need a tiered network
      skipped += (skipped.empty() ? "" : ", ") + p.planner;
      continue;
    }
    std::printf("%-13s %12.3f %13.2fx %20.2fx %13.2fx %15.2f\n", p.planner.c_str(), p.latency_ms, p.speedup_vs_single,
                p.speedup_vs_best_baseline, p.gap, p.planning_ms);
  }
  if (!skipped.empty()) std::printf("not applicable here: %s (they plan tiered device / edge / cloud networks)\n", skipped.c_str());
  std::printf("lower bound %.3f ms; speedups are latency ratios (higher is better)\n", sim.lower_bound_ms());
  return 0;
}

}  // namespace

Runner add_plan(CLI::App& app) {
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("plan", "Plan a scenario with a planner and write the plan (JSON), or compare all planners");
  cmd->add_option("--scenario", a->scenario, "Scenario file (edgeplan.scenario/v1)")->required();
  cmd->add_option("--model", a->model, "Plan this model instead of the scenario's: a zoo name or an .onnx file");
  cmd->add_option("--input", a->input, "Input size CxHxW instead of the scenario's");
  CLI::Option* planner =
      cmd->add_option("--planner", a->planner, "Planner name, with settings if any (e.g. opt, opt:restarts=0, distredge:episodes=4000)");
  CLI::Option* start = cmd->add_option("--start", a->starts, "opt only: a plan file to start from as well (repeatable), e.g. a trained DistrEdge plan");
  CLI::Option* output = cmd->add_option("-o,--output", a->output, "Plan file to write");
  CLI::Option* svg = cmd->add_option("--svg", a->svg, "Also write a Gantt chart of the plan (SVG)");
  cmd->add_flag("--compare", a->compare, "Run every planner and print the speedup table")->excludes(planner)->excludes(start)->excludes(output)->excludes(svg);
  planner->needs(output);
  output->needs(planner);
  return [a] {
    const Scenario s = load_scenario_with_model(a->scenario, a->model, a->input);
    const Simulator sim(s);
    if (a->compare) return run_compare(s, sim);
    if (a->planner.empty() || a->output.empty()) throw Error("plan needs --planner NAME and -o FILE (or --compare)");
    std::vector<Plan> starts;
    for (const std::string& f : a->starts) {
      starts.push_back(load_plan_file(f));
      check_plan_for(starts.back(), s, f);
    }
    const auto chosen = make_planner(a->planner, starts);
    SimResult r;
    const Plan plan = plan_with_prediction(*chosen, PlanningContext::of(s, sim), s.name, &r);
    if (!a->svg.empty())
      write_file_atomic(a->svg, gantt_svg(a->planner + " on " + s.name + " (" + s.graph.name() + ")", r));
    save_plan_file(plan, a->output);
    std::printf("%s: %s wrote %s%s\n", a->planner.c_str(), s.name.c_str(), a->output.c_str(),
                a->svg.empty() ? "" : (" and " + a->svg).c_str());
    std::cout << sim_report_text(s, plan, r);
    return 0;
  };
}

}  // namespace edgeplan::cli
