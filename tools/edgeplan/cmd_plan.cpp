// `edgeplan plan`: run a planner on a scenario and write the plan with its prediction.
#include <cstdio>
#include <iostream>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/strategy/planner.h"
#include "sim_report.h"

namespace edgeplan::cli {

Runner add_plan(CLI::App& app) {
  struct Args {
    std::string scenario, planner, output;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("plan", "Plan a scenario with a planner and write the plan (JSON)");
  cmd->add_option("--scenario", a->scenario, "Scenario file (edgeplan.scenario/v1)")->required();
  cmd->add_option("--planner", a->planner, "Planner name (single, equal)")->required();
  cmd->add_option("-o,--output", a->output, "Plan file to write")->required();
  return [a] {
    const Scenario s = load_scenario_file(a->scenario);
    const auto planner = make_planner(a->planner);
    const Simulator sim(s);
    const Plan plan = plan_with_prediction(*planner, PlanningContext::of(s, sim), s.name);
    save_plan_file(plan, a->output);
    const SimResult r = sim.simulate(plan);
    std::printf("%s: %s wrote %s\n", a->planner.c_str(), s.name.c_str(), a->output.c_str());
    std::cout << sim_report_text(s, plan, r);
    return 0;
  };
}

}  // namespace edgeplan::cli
