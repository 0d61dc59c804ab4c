// `edgeplan bench`: the planners on the benchmark suite; speedup tables and the regression check.
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/jsonio/fields.h"
#include "edgeplan/model/error.h"
#include "edgeplan/strategy/benchmark_suite.h"

namespace edgeplan::cli {

namespace {

std::string markdown(const BenchResults& r) {
  std::string md = "| scenario | group | planner | latency ms | images/s | vs single | vs best baseline | gap | planning ms |\n"
                   "|---|---|---|---|---|---|---|---|---|\n";
  char buf[256];
  for (const auto& s : r.scenarios)
    for (const auto& p : s.planners) {
      std::snprintf(buf, sizeof buf, "| %s | %s | %s | %.3f | %.2f | %.2fx | %.2fx | %.2fx | %.2f |\n", s.name.c_str(),
                    s.group.c_str(), p.planner.c_str(), p.latency_ms, p.images_per_s, p.speedup_vs_single,
                    p.speedup_vs_best_baseline, p.gap, p.planning_ms);
      md += buf;
    }
  md += "\n| planner | geomean speedup vs single | geomean speedup vs best baseline |\n|---|---|---|\n";
  for (const auto& [p, v] : r.geomean_vs_single) {
    std::snprintf(buf, sizeof buf, "| %s | %.3fx | %.3fx |\n", p.c_str(), v, r.geomean_vs_best_baseline.at(p));
    md += buf;
  }
  return md;
}

std::string provenance() {
  utsname un{};
  uname(&un);
  const std::time_t t = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return nlohmann::json{{"machine", std::string(un.nodename) + " (" + un.sysname + " " + un.release + " " + un.machine + ")"},
                        {"date", date},
                        {"note", "latencies are simulated (deterministic); planning times are measured on this machine"}}
      .dump();
}

}  // namespace

Runner add_bench(CLI::App& app) {
  struct Args {
    std::string suite, output, md, check, planners;
    bool quick = false;
    double tolerance = 0.02;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("bench", "Run the planners on the benchmark suite; check speedups against a baseline");
  cmd->add_option("--suite", a->suite, "Suite file (edgeplan.suite/v1)")->required();
  cmd->add_flag("--quick", a->quick, "Only the scenarios marked quick (the CI subset)");
  cmd->add_option("--planners", a->planners, "Comma-separated planners (default: the suite's)");
  cmd->add_option("-o,--output", a->output, "Write results (edgeplan.bench/v1 JSON)");
  cmd->add_option("--markdown", a->md, "Write the results as a Markdown table");
  cmd->add_option("--check", a->check, "Baseline results to check speedups against");
  cmd->add_option("--tolerance", a->tolerance, "Relative speedup drop tolerated by --check (default 0.02)");
  return [a] {
    if (a->tolerance < 0 || a->tolerance >= 1) throw edgeplan::Error("--tolerance must be in [0, 1)");
    const Suite suite = load_suite_file(a->suite);
    std::vector<std::string> only;
    for (std::size_t pos = 0; pos < a->planners.size();) {
      const std::size_t comma = std::min(a->planners.find(',', pos), a->planners.size());
      if (comma > pos) only.push_back(a->planners.substr(pos, comma - pos));
      pos = comma + 1;
    }
    BenchResults baseline;
    if (!a->check.empty()) baseline = results_from_json(jsonio::read_file<edgeplan::Error>(a->check, "baseline"));
    const bool tty = isatty(fileno(stderr));
    const BenchResults r = run_suite(suite, a->quick, only, [&](int done, int total, const std::string& what) {
      if (!tty) return;
      std::fprintf(stderr, "\r[%d/%d] %-60.60s", done, total, what.c_str());
      std::fflush(stderr);
    });
    if (tty) std::fprintf(stderr, "\n");
    if (!a->output.empty()) write_file_atomic(a->output, results_to_json(r, provenance()));
    if (!a->md.empty()) write_file_atomic(a->md, markdown(r));
    std::printf("%zu scenario(s); geometric mean over them:\n%-13s %20s %27s\n", r.scenarios.size(), "planner",
                "speedup vs single", "speedup vs best baseline");
    for (const auto& [p, v] : r.geomean_vs_single)
      std::printf("%-13s %19.3fx %26.3fx\n", p.c_str(), v, r.geomean_vs_best_baseline.at(p));
    if (a->check.empty()) return 0;
    const std::vector<Regression> regs = check_against(r, baseline, a->tolerance);
    for (const Regression& g : regs)
      std::printf("REGRESSION %s / %s: %s\n", g.scenario.c_str(), g.planner.c_str(), g.reason.c_str());
    if (regs.empty()) std::printf("check against %s passed (tolerance %.1f%%)\n", a->check.c_str(), 100 * a->tolerance);
    return regs.empty() ? 0 : 1;
  };
}

}  // namespace edgeplan::cli
