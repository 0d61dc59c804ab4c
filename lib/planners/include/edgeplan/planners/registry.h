// Every planner by name: the one place planners are registered (lib/planners/src/registry.cpp).
// Linking this library pulls in libtorch (DistrEdge's agent); a program that needs only
// the libtorch-free planners can construct them from lib/strategy directly.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "edgeplan/strategy/planner.h"

namespace edgeplan {

// Planners available today, in display order (`single` first: the speedup denominator).
const std::vector<std::string>& planner_names();

// `spec` is a planner name, or "name:key=value[:key=value...]" with settings: distredge
// takes episodes, budget_s (0: no limit; default 10), alpha, seed, demos (0 or 1); opt
// takes max_evaluations, restarts, restart_evaluations. Throws Error (one line) for
// unknown names, settings or values. `opt` starts from every planner registered as one of
// its starts (the published heuristics, `single` and `equal`).
std::unique_ptr<Planner> make_planner(const std::string& spec);
// The same, with plans for `opt` to start from (OptOptions::starts); Error for another planner.
std::unique_ptr<Planner> make_planner(const std::string& spec, const std::vector<Plan>& starts);

}  // namespace edgeplan
