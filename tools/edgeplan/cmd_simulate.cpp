// `edgeplan simulate`: predicted latency, timeline and bytes of a plan in a scenario.
#include <iostream>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/costmodel/simulator.h"
#include "sim_report.h"

namespace edgeplan::cli {

Runner add_simulate(CLI::App& app) {
  struct Args {
    std::string scenario, plan, model, input;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("simulate", "Predict the latency, timeline and traffic of a plan in a scenario");
  cmd->add_option("--scenario", a->scenario, "Scenario file (edgeplan.scenario/v1)")->required();
  cmd->add_option("--model", a->model, "Plan this model instead of the scenario's: a zoo name or an .onnx file");
  cmd->add_option("--input", a->input, "Input size CxHxW instead of the scenario's");
  cmd->add_option("--plan", a->plan, "Plan file (edgeplan.plan/v1)")->required();
  cmd->add_flag("--json", a->json, "Print JSON (with the full timeline) instead of a table");
  return [a] {
    const Scenario s = load_scenario_with_model(a->scenario, a->model, a->input);
    const Plan plan = load_plan_file(a->plan);
    check_plan_for(plan, s, a->plan);
    const Simulator sim(s);
    const SimResult r = sim.simulate(plan);
    std::cout << (a->json ? sim_report_json(s, plan, r) : sim_report_text(s, plan, r));
    if (plan.exits && !a->json)
      std::cout << "the plan has early exits: the latency above is the exit-free one (every input to the final head); exit-policy and run-exits give each head's time\n";
    return 0;
  };
}

}  // namespace edgeplan::cli
