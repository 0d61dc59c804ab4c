// Splitting with early exits in mind (DistrEE, issue 18): plans whose volume boundaries sit
// at the exits' cuts, each exit evaluated where it answers first, and the choice among
// candidate plans by the QoS under each plan's own best exit policy (expected latency over
// the exit outcomes, not the exit-free latency).
#pragma once
#include <string>
#include <vector>

#include "edgeplan/strategy/exit_policy.h"

namespace edgeplan {

// `plan` with every volume that strictly contains an exit's cut split in two there. The
// first half's parts keep their devices and their shares of the anchor output, scaled onto
// the tensor at the cut (scale_region: a partition stays a partition; a share that becomes
// empty is dropped). Plans whose boundaries are already there come back unchanged.
Plan align_to_exits(const Plan& plan, const Graph& graph, const ExitModel& model);

// `plan` itself where every exit can be evaluated inside the volume holding its cut (each
// part computes its share of the tensor there anyway: exit_shares), else align_to_exits(plan).
Plan plan_for_exits(const Plan& plan, const Graph& graph, const ExitModel& model);

struct ExitPlanCandidate {
  std::string planner;           // the planner, with " (split at exits)" for the aligned variant
  Plan plan;                     // with its exits block (thresholds, devices)
  std::vector<double> head_ms;   // simulated, exits then the final head
  ExitPolicy policy;
  PolicyOutcome validation;      // the policy on the calibration's validation split
  bool feasible = false;         // the QoS can be met under this plan
  std::string why;               // when not: the policy's one-line reason
};

// `opt` minimizing the expected latency over the exit outcomes of `policy` on `validation`
// (each head's share of the images times its simulated time, each exit on its fastest
// device) instead of the exit-free latency; plans where an exit cannot be evaluated, or,
// with a deadline, where the policy's last head answers after it, are not allowed. Starts
// from `starts` (valid plans for the scenario) besides opt's own.
Plan opt_for_exits(const Simulator& sim, const ExitModel& model, const ExitOutcomes& validation, const ExitPolicy& policy,
                   double deadline_ms, const std::vector<Plan>& starts);

// Takes every candidate plan as it is (plan_for_exits) and split at the exits' cuts
// (align_to_exits, a second candidate named "<planner> (split at exits)" where that differs),
// evaluates each exit on its fastest device, chooses the policy for `qos` on `validation`
// under each; then, from the best one's policy, opt_for_exits (started from every candidate)
// adds the candidate "opt (expected latency)"; returns them all (in that order)
// with the index of the best by better_for (ties: the earlier candidate).
// `heads_file` is written into each plan's exits block. -1 when no candidate meets the QoS.
std::vector<ExitPlanCandidate> plan_with_exits(const std::vector<std::pair<std::string, Plan>>& plans, const Simulator& sim,
                                               const ExitModel& model, const ExitOutcomes& validation, const ExitQoS& qos,
                                               const std::string& heads_file, int& best);

// The exits block for `policy` under `plan`: one exit per head before the policy's last
// head's successor (exits after an always-firing one are never reached and left out), on
// `devices` (scenario device indices), `heads_file` named with its SHA-256.
void set_exit_policy(Plan& plan, const PlanningContext& ctx, const ExitModel& model, const ExitPolicy& policy,
                     const std::vector<int>& devices, const std::string& heads_file, double deadline_ms);

}  // namespace edgeplan
