// `edgeplan bench`: the planners on the benchmark suite; speedup tables and the regression check.
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/bench/suite.h"
#include "edgeplan/compute/machine.h"
#include "edgeplan/model/error.h"
#include "edgeplan/planners/run_suite.h"
#include "edgeplan/report/bench_charts.h"
#include "edgeplan/strategy/planner_spec.h"

namespace edgeplan::cli {

Runner add_bench(CLI::App& app) {
  struct Args {
    std::string suite, output, md, check, planners, plots;
    bool quick = false;
    double tolerance = 0.02;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("bench", "Run the planners on the benchmark suite; check speedups against a baseline");
  cmd->add_option("--suite", a->suite, "Suite file (edgeplan.suite/v1)")->required();
  cmd->add_flag("--quick", a->quick, "Only the scenarios marked quick (the CI subset)");
  cmd->add_option("--planners", a->planners, "Comma-separated planners (default: the suite's)");
  cmd->add_option("-o,--output", a->output, "Write results (edgeplan.bench/v1 JSON)");
  cmd->add_option("--markdown", a->md, "Write the results as Markdown (per-group summary, then every row)");
  cmd->add_option("--plots", a->plots, "Write SVG charts into this existing folder");
  cmd->add_option("--check", a->check, "Baseline results to check speedups against");
  cmd->add_option("--tolerance", a->tolerance, "Relative speedup drop tolerated by --check (default 0.02)");
  return [a] {
    if (a->tolerance < 0 || a->tolerance >= 1) throw edgeplan::Error("--tolerance must be in [0, 1)");
    const Suite suite = load_suite_with_planners(a->suite);
    const std::vector<std::string> only = split_commas(a->planners);
    BenchResults baseline;
    if (!a->check.empty()) baseline = load_results_file(a->check);
    const bool tty = isatty(fileno(stderr));
    const BenchResults r = run_suite(suite, a->quick, only, [&](int done, int total, const std::string& what) {
      if (!tty) return;
      std::fprintf(stderr, "\r[%d/%d] %-60.60s", done, total, what.c_str());
      std::fflush(stderr);
    });
    if (tty) std::fprintf(stderr, "\n");
    if (!a->output.empty()) write_file_atomic(a->output, results_to_json(r, planning_provenance(only.empty() ? suite.planners : only)));
    if (!a->md.empty())
      write_file_atomic(a->md, "## opt per scenario group\n\n" + group_summary_markdown(r) + "\n## All scenarios and planners\n\n" +
                                   results_markdown(r));
    if (!a->plots.empty())
      for (const auto& [file, svg] : bench_chart_svgs(r)) write_file_atomic(a->plots + "/" + file, svg);
    std::printf("%zu scenario(s); geometric mean over them:\n%-13s %20s %27s\n", r.scenarios.size(), "planner",
                "speedup vs single", "speedup vs best baseline");
    for (const auto& [p, v] : r.geomean_vs_single)
      std::printf("%-13s %19.3fx %26.3fx\n", p.c_str(), v, r.geomean_vs_best_baseline.at(p));
    if (a->check.empty()) return 0;
    const std::vector<Regression> regs = check_against(r, baseline, a->tolerance, a->check);
    for (const Regression& g : regs)
      std::printf("REGRESSION %s / %s: %s\n", g.scenario.c_str(), g.planner.c_str(), g.reason.c_str());
    if (regs.empty()) std::printf("check against %s passed (tolerance %.1f%%)\n", a->check.c_str(), 100 * a->tolerance);
    else std::printf("check against %s failed: %zu regression(s)\n", a->check.c_str(), regs.size());
    return regs.empty() ? 0 : 1;
  };
}

}  // namespace edgeplan::cli
