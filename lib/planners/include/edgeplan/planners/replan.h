// Re-planning after changes (`edgeplan replan`): D3's partial re-adjustment of a plan in
// force against full re-plans from scratch and against keeping the plan, after events or
// at every change of a traced scenario.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "edgeplan/costmodel/scenario_events.h"
#include "edgeplan/plan/plan.h"
#include "edgeplan/strategy/d3_planner.h"

namespace edgeplan {

struct FullReplan {
  std::string planner;
  double latency_ms = 0;
  double planning_ms = 0;  // wall time of the planner alone (its context built beforehand)
};

// One state of the scenario and what each policy gives in it.
struct ReplanStep {
  double t_ms = 0;            // trace time (0 for events)
  std::string change;         // what changed from the previous state, in words
  double kept_ms = 0;         // the original plan left alone (+infinity if it uses a device that is gone)
  double previous_ms = 0;     // the plan in force before this change, in this state (+infinity likewise)
  double readjusted_ms = 0;   // D3's re-adjustment from the plan in force
  double readjust_ms = 0;     // its wall time
  int evaluations = 0;        // its simulations
  bool unchanged = false;     // the plan in force was kept (no re-adjusted plan was faster)
  D3Split split;              // the re-adjusted plan's split
  std::vector<std::int64_t> backbone_bytes;  // the re-adjusted plan's bytes per backbone link
  std::vector<FullReplan> full;
  Plan plan;                  // the re-adjusted plan
};

// After `events` applied to the scenario (text, profiles resolved against base_dir): the
// re-adjusted plan and the full re-plans by `full_planners`. Throws Error (one line) if the
// plan is not of d3's family in the scenario before the events.
ReplanStep replan_after_events(const std::string& scenario_text, const std::string& base_dir, const Plan& plan,
                               const std::vector<ScenarioEvent>& events, const std::vector<std::string>& full_planners);

// Every change time of a traced scenario, in order: step 0 is the plan itself at t = 0
// (nothing to re-adjust), each later step re-adjusts the previous step's plan.
std::vector<ReplanStep> replan_over_trace(const std::string& scenario_text, const std::string& base_dir, const Plan& plan,
                                          const std::vector<std::string>& full_planners);

// The steps as edgeplan.replan/v1 JSON (latencies in ms, +infinity written as null).
// `provenance_json` (machine, threads, libraries, date) is stored verbatim.
std::string replan_steps_json(const std::string& scenario_name, const std::vector<ReplanStep>& steps,
                              const std::string& provenance_json = "{}");

}  // namespace edgeplan
