// `edgeplan bench`: the planners on the benchmark suite; speedup tables and the regression check.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "svg_chart.h"
#include "commands.h"
#include "edgeplan/compute/machine.h"
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
  // (per-planner geometric means follow; the per-group summary is printed first by the caller)
  for (const auto& [p, v] : r.geomean_vs_single) {
    std::snprintf(buf, sizeof buf, "| %s | %.3fx | %.3fx |\n", p.c_str(), v, r.geomean_vs_best_baseline.at(p));
    md += buf;
  }
  return md;
}

// Geometric means per group of `opt`'s latency ratios against aofl, the best baseline and single.
std::string group_summary(const BenchResults& r) {
  std::map<std::string, std::vector<double>> vs_aofl, vs_best, vs_single;
  std::vector<std::string> order;
  for (const auto& s : r.scenarios) {
    double opt = 0, aofl = 0, single = 0, best = 1e300;
    for (const auto& p : s.planners) {
      if (p.planner == "opt") opt = p.latency_ms;
      else best = std::min(best, p.latency_ms);
      if (p.planner == "aofl") aofl = p.latency_ms;
      if (p.planner == "single") single = p.latency_ms;
    }
    if (opt <= 0) continue;
    if (!vs_best.count(s.group)) order.push_back(s.group);
    if (aofl > 0) vs_aofl[s.group].push_back(aofl / opt);
    if (best < 1e300) vs_best[s.group].push_back(best / opt);
    if (single > 0) vs_single[s.group].push_back(single / opt);
  }
  auto gm = [](const std::vector<double>& v) {
    if (v.empty()) return 0.0;
    double l = 0;
    for (double x : v) l += std::log(x);
    return std::exp(l / static_cast<double>(v.size()));
  };
  std::string md = "| group | scenarios | opt vs aofl | opt vs best baseline | opt vs single |\n|---|---|---|---|---|\n";
  char buf[200];
  for (const auto& g : order) {
    std::snprintf(buf, sizeof buf, "| %s | %zu | %.2fx | %.2fx | %.2fx |\n", g.c_str(), vs_best[g].size(), gm(vs_aofl[g]),
                  gm(vs_best[g]), gm(vs_single[g]));
    md += buf;
  }
  return md;
}

// images/s per planner per group (geometric mean), and latency vs bandwidth for scenarios
// named <prefix>-<Mbit/s> of one mix (DA by default: DA-25 ... DA-1000).
void write_plots(const BenchResults& r, const std::string& dir) {
  std::vector<std::string> groups, planners;
  for (const auto& s : r.scenarios) {
    if (std::find(groups.begin(), groups.end(), s.group) == groups.end()) groups.push_back(s.group);
    for (const auto& p : s.planners)
      if (std::find(planners.begin(), planners.end(), p.planner) == planners.end()) planners.push_back(p.planner);
  }
  std::vector<std::vector<double>> ips(planners.size(), std::vector<double>(groups.size(), 0.0));
  for (std::size_t k = 0; k < planners.size(); ++k)
    for (std::size_t g = 0; g < groups.size(); ++g) {
      double l = 0;
      int n = 0;
      for (const auto& s : r.scenarios)
        if (s.group == groups[g])
          for (const auto& p : s.planners)
            if (p.planner == planners[k] && p.images_per_s > 0) {
              l += std::log(p.images_per_s);
              ++n;
            }
      ips[k][g] = n ? std::exp(l / n) : 0;
    }
  write_file_atomic(dir + "/images-per-s.svg",
                    bar_chart_svg("Images/s per planner per scenario group (geometric mean)", "images/s", groups, planners, ips));
  std::vector<ChartSeries> curves;
  for (const auto& name : planners) {
    ChartSeries c{name, {}, {}, {}, {}};
    std::vector<std::pair<double, double>> pts;
    for (const auto& s : r.scenarios) {
      if (s.name.rfind("DA-", 0) != 0) continue;
      const double mbps = std::atof(s.name.c_str() + 3);
      for (const auto& p : s.planners)
        if (p.planner == name && mbps > 0) pts.push_back({mbps, p.latency_ms});
    }
    std::sort(pts.begin(), pts.end());
    for (const auto& [x, y] : pts) {
      c.x.push_back(x);
      c.y.push_back(y);
    }
    if (!c.x.empty()) curves.push_back(c);
  }
  if (!curves.empty())
    write_file_atomic(dir + "/latency-vs-bandwidth.svg",
                      line_chart_svg("DA (2 TX2 + 2 Nano, VGG16): latency vs per-device rate", "Mbit/s per device",
                                     "end-to-end latency (ms)", curves));
}

std::string provenance() {
  const MachineInfo m = describe_machine();
  const std::time_t t = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return nlohmann::json{{"machine", m.machine},
                        {"cpu", m.cpu},
                        {"threads", 1},
                        {"libraries", {{"libtorch", m.libtorch}, {"compiler", m.compiler}, {"blas", m.blas}}},
                        {"repetitions", 1},
                        {"date", date},
                        {"note", "latencies are simulated (deterministic); planning times are measured on this machine, "
                                 "one run per planner and scenario, one thread (distredge holds libtorch and its BLAS "
                                 "to one thread)"}}
      .dump();
}

}  // namespace

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
    const Suite suite = load_suite_file(a->suite);
    const std::vector<std::string> only = split_commas(a->planners);
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
    if (!a->md.empty()) write_file_atomic(a->md, "## opt per scenario group\n\n" + group_summary(r) + "\n## All scenarios and planners\n\n" + markdown(r));
    if (!a->plots.empty()) write_plots(r, a->plots);
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
