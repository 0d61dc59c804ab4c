// `opt`: our planner. Volume boundaries by dynamic programming over an equal-finish-time
// estimate, then local search on the true simulator.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "edgeplan/strategy/planner.h"

namespace edgeplan {

struct OptOptions {
  int max_evaluations = 20000;  // simulator calls in the local search (deterministic budget)
  int max_volume_span = 10;     // candidate volumes end at most this many cut points after they start
  int row_samples = 24;         // row counts sampled per volume for the finish-time estimate
  int restart_evaluations = 2000;  // simulator calls each restart may use
  int restarts = 6;             // local searches from the next-best split starts (by latency),
                                // and one from DistrEdge's LC-PSS volumes (0: none of these)
  int lcpss_samples = 16;       // random splits per LC-PSS score (DistrEdge's 100 cost 10x more)
  int kick_evaluations = 4000;  // simulator calls for the kicks after the searches (all of them)
  int kick_search_evaluations = 300;  // the search after one kick
  // Plans to start from as well (a trained DistrEdge plan, last week's plan): row-stripe
  // plans get a local search of their own, others are kept if nothing beats them. Each
  // must be valid for the scenario; `opt` is then never worse than any of them.
  std::vector<Plan> starts;
  // Planners whose plans `opt` also starts from (the registry passes the published
  // heuristics, `single` and `equal`): row-stripe plans join the starts, tile plans are kept
  // whole if nothing beats them. Empty: only opt's own starts.
  std::vector<std::shared_ptr<const Planner>> start_planners;
  // What the search minimizes instead of the simulated latency (e.g. the expected latency
  // over early-exit outcomes); empty: the latency. Infinity marks a plan that is not allowed.
  std::function<double(const Plan&)> objective;
};

class OptPlanner : public Planner {
 public:
  explicit OptPlanner(OptOptions options = {}) : options_(options) {}
  std::string name() const override { return "opt"; }
  Plan plan(const PlanningContext& ctx) const override;
  std::string settings_json() const override;
  // "opt[:max_evaluations=..][:restarts=..][:restart_evaluations=..]" with the planners
  // and plans to start from.
  static std::unique_ptr<Planner> from_spec(const std::string& spec, std::vector<std::shared_ptr<const Planner>> start_planners,
                                            std::vector<Plan> starts = {});

 private:
  OptOptions options_;
};

}  // namespace edgeplan
