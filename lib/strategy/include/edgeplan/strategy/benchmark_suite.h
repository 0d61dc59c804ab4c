// The benchmark suite: planners x scenarios, speedups, and the regression check against a baseline.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace edgeplan {

struct Scenario;
class Simulator;

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

// Throws Error (one line) on a malformed suite, unknown planner or missing field.
Suite load_suite_file(const std::string& path);

struct PlannerResult {
  std::string planner;
  double latency_ms = 0;
  double images_per_s = 0;              // one image at a time: 1000 / latency
  double speedup_vs_single = 0;
  double speedup_vs_best_baseline = 0;  // opt: over the best baseline; a baseline: over the best other one
  double gap = 0;                       // latency / lower bound
  double planning_ms = 0;
  bool valid = true;
  std::string error;                    // why the plan failed validation
};

struct ScenarioResult {
  std::string name, group, path;
  std::vector<PlannerResult> planners;
};

struct BenchResults {
  std::vector<ScenarioResult> scenarios;
  std::map<std::string, double> geomean_vs_single;         // per planner, over scenarios
  std::map<std::string, double> geomean_vs_best_baseline;
};

// Runs the planners on one scenario: latency, images/s, gap, planning time, and the
// speedups over `single` and over the best baseline. `done(planner)` after each one.
ScenarioResult evaluate_planners(const Scenario& scenario, const Simulator& sim, const std::vector<std::string>& planners,
                                 const std::function<void(const std::string&)>& done = {});

// Runs every planner of the suite (or `planners` if not empty) on every scenario (the
// quick subset if `quick`); `progress(done, total, what)` after each planner run.
BenchResults run_suite(const Suite& suite, bool quick, const std::vector<std::string>& planners,
                       const std::function<void(int, int, const std::string&)>& progress = {});

// edgeplan.bench/v1 JSON; `provenance` (machine, commit, date) is stored verbatim.
std::string results_to_json(const BenchResults& r, const std::string& provenance_json);
BenchResults results_from_json(const std::string& text);

struct Regression {
  std::string scenario, planner;
  std::string reason;  // one line
};

// A planner regresses on a scenario when its speedup over `single` falls below the
// baseline's by more than `tolerance` (relative), or its plan fails validation.
std::vector<Regression> check_against(const BenchResults& now, const BenchResults& baseline, double tolerance);

}  // namespace edgeplan
