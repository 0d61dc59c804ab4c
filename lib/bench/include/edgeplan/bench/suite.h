// The benchmark suite's files and arithmetic: the suite format, results (edgeplan.bench/v1)
// with their geometric means and Markdown, and the regression check against a baseline.
// Running planners on a suite needs the registry: edgeplan/planners/run_suite.h.
#pragma once
#include <functional>
#include <map>
#include <cstdint>
#include <string>
#include <vector>

namespace edgeplan {

inline constexpr const char* kSuiteFormat = "edgeplan.suite/v1";
inline constexpr const char* kBenchFormat = "edgeplan.bench/v1";

struct SuiteEntry {
  std::string scenario_path;  // resolved against the suite file's folder
  std::string group;          // e.g. DA, NB, LC, beyond
  bool quick = false;         // part of the quick (CI) subset
};

struct Suite {
  std::vector<std::string> planners;
  std::vector<SuiteEntry> entries;
};

// Throws Error (one line naming the file and the field) on a malformed suite or missing
// field; `check_planner(name)` throws for an unknown planner (the message gets the file).
Suite parse_suite(const std::string& text, const std::string& path,
                  const std::function<void(const std::string&)>& check_planner = {});
Suite load_suite_file(const std::string& path, const std::function<void(const std::string&)>& check_planner = {});

struct PlannerResult {
  std::string planner;                  // the spec as run ("opt:restarts=0")
  double latency_ms = 0;
  double images_per_s = 0;              // one image at a time: 1000 / latency
  double speedup_vs_single = 0;
  double speedup_vs_best_baseline = 0;  // opt: over the best baseline; a baseline: over the best other one
  double gap = 0;                       // latency / lower bound
  double planning_ms = 0;
  std::vector<std::int64_t> backbone_bytes;  // tiered networks: bytes per inference over each backbone link
  bool valid = true;
  std::string error;                    // why the plan failed validation
};

struct ScenarioResult {
  std::string name, group, path;
  std::vector<PlannerResult> planners;
  // The model planned: "name CxHxW", and for an imported model its file's SHA-256.
  std::string model, model_sha256;
};

struct BenchResults {
  std::vector<ScenarioResult> scenarios;
  std::map<std::string, double> geomean_vs_single;         // per planner, over scenarios
  std::map<std::string, double> geomean_vs_best_baseline;
};

// Speedups of every planner of one scenario over `single` and over the best other planner
// (opt not counted as a baseline), from the latencies.
void fill_speedups(ScenarioResult& s);
// The per-planner geometric means over the scenarios.
void fill_geomeans(BenchResults& r);
double geometric_mean(const std::vector<double>& v);  // 0 for an empty list

// edgeplan.bench/v1 JSON; `provenance_json` (machine, threads, libraries, date) is stored verbatim.
std::string results_to_json(const BenchResults& r, const std::string& provenance_json);
// `path` names the file in errors.
BenchResults results_from_json(const std::string& text, const std::string& path = "results");
BenchResults load_results_file(const std::string& path);

// Markdown: per group, opt's geometric-mean speedups over aofl, the best baseline and
// single; then every row; then the per-planner geometric means.
std::string group_summary_markdown(const BenchResults& r);
std::string results_markdown(const BenchResults& r);

struct Regression {
  std::string scenario, planner;
  std::string reason;  // one line
};

// Fails (one Regression each): a plan that fails validation; a planner whose speedup over
// `single` falls below the baseline's by more than `tolerance` (relative); a scenario /
// planner pair run now that the baseline lacks (planners match by name, settings ignored);
// `opt` slower than any other valid planner on a scenario; nothing compared at all.
// `baseline_name` (the file) is named in every reason.
std::vector<Regression> check_against(const BenchResults& now, const BenchResults& baseline, double tolerance,
                                      const std::string& baseline_name = "the baseline");

}  // namespace edgeplan
