// Running planners by name on scenarios and on the benchmark suite.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "edgeplan/bench/suite.h"

namespace edgeplan {

struct Scenario;
class Simulator;

// Runs the planners on one scenario: latency, images/s, gap, planning time, and the
// speedups over `single` and over the best baseline. `done(planner)` after each one.
ScenarioResult evaluate_planners(const Scenario& scenario, const Simulator& sim, const std::vector<std::string>& planners,
                                 const std::function<void(const std::string&)>& done = {});

// Runs every planner of the suite (or `planners` if not empty) on every scenario (the
// quick subset if `quick`); `progress(done, total, what)` after each planner run.
BenchResults run_suite(const Suite& suite, bool quick, const std::vector<std::string>& planners,
                       const std::function<void(int, int, const std::string&)>& progress = {});

// The suite file, with its planner names checked against the registry.
Suite load_suite_with_planners(const std::string& path);

}  // namespace edgeplan
