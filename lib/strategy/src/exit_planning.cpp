// Plans for models with early exits: aligned volume boundaries, exit devices, the joint choice.
#include "edgeplan/strategy/exit_planning.h"

#include <filesystem>
#include <limits>

#include "edgeplan/plan/plan_exits.h"
#include "edgeplan/strategy/opt_planner.h"

namespace edgeplan {

Plan align_to_exits(const Plan& plan, const Graph& graph, const ExitModel& model) {
  Plan out = plan;
  out.volumes.clear();
  for (const Volume& v : plan.volumes) {
    Volume rest = v;
    for (const ExitHead& e : model.exits) {
      if (!(rest.layers.first < e.after && e.after < rest.layers.last)) continue;
      Volume head{LayerRange{rest.layers.first, e.after}, {}};
      const Shape from = graph.layer(v.anchor()).out, to = graph.layer(e.after - 1).out;
      for (const Part& p : v.parts) {
        const Part scaled{p.device, scale_region(p.region, from, to)};
        if (!scaled.region.empty()) head.parts.push_back(scaled);
      }
      out.volumes.push_back(head);
      rest.layers.first = e.after;
    }
    out.volumes.push_back(rest);
  }
  out.predicted_json.clear();  // the prediction was for the plan before
  validate_plan(out, graph);
  return out;
}

namespace {

// Whether every part computes its share of the tensor at every exit's cut (exit_shares).
bool exits_fit(const Plan& plan, const Graph& graph, const ExitModel& model) {
  try {
    for (const ExitHead& e : model.exits)
      for (const Volume& v : plan.volumes)
        if (v.holds_cut(e.after)) exit_shares(graph, v, e.after);
    return true;
  } catch (const PlanError&) {
    return false;
  }
}

}  // namespace

Plan plan_for_exits(const Plan& plan, const Graph& graph, const ExitModel& model) {
  if (!exits_fit(plan, graph, model)) return align_to_exits(plan, graph, model);
  Plan out = plan;
  out.exits.reset();
  return out;
}

void set_exit_policy(Plan& plan, const PlanningContext& ctx, const ExitModel& model, const ExitPolicy& policy,
                     const std::vector<int>& devices, const std::string& heads_file, double deadline_ms) {
  const TrainedHeads heads = load_exit_heads(heads_file);
  PlanExits x;
  // Absolute, like the model's ONNX path a scenario resolves: the plan runs from anywhere.
  x.heads_file = std::filesystem::absolute(heads_file).lexically_normal().string();
  x.heads_sha256 = heads.sha256;
  x.deadline_ms = deadline_ms;
  const int last = std::min<int>(policy.last_head, static_cast<int>(model.exits.size()) - 1);
  for (int k = 0; k <= last; ++k) {
    const ExitHead& e = model.exits[static_cast<std::size_t>(k)];
    const double t = policy.thresholds[static_cast<std::size_t>(k)];
    x.exits.push_back(PlanExit{e.name, e.after, ctx.device_ids[static_cast<std::size_t>(devices[static_cast<std::size_t>(k)])],
                               t > 1 ? PlanExit::kNever : t});
  }
  plan.exits = x;
}

Plan opt_for_exits(const Simulator& sim, const ExitModel& model, const ExitOutcomes& validation, const ExitPolicy& policy,
                   double deadline_ms, const std::vector<Plan>& starts) {
  const PlanningContext ctx = PlanningContext::of(sim);
  const std::vector<double> macs = head_macs(model);
  // Which head each image stops at does not depend on the plan (no run-time rule here).
  const std::vector<double> share = evaluate_exit_policy(validation, policy, std::vector<double>(macs.size(), 1.0), macs).exit_share;
  OptOptions o;
  o.starts = starts;
  o.objective = [&](const Plan& p) {
    if (!exits_fit(p, ctx.graph, model)) return std::numeric_limits<double>::infinity();
    const std::vector<double> ms = fastest_head_times_ms(sim, p, model);
    if (deadline_ms > 0 && ms[static_cast<std::size_t>(policy.last_head)] > deadline_ms) return std::numeric_limits<double>::infinity();
    double expected = 0;
    for (std::size_t h = 0; h < ms.size(); ++h) expected += share[h] * ms[h];
    return expected;
  };
  Plan p = OptPlanner(o).plan(ctx);
  p.exits.reset();
  return p;
}

std::vector<ExitPlanCandidate> plan_with_exits(const std::vector<std::pair<std::string, Plan>>& plans, const Simulator& sim,
                                               const ExitModel& model, const ExitOutcomes& validation, const ExitQoS& qos,
                                               const std::string& heads_file, int& best) {
  const PlanningContext ctx = PlanningContext::of(sim);
  const std::vector<double> macs = head_macs(model);
  std::vector<ExitPlanCandidate> out;
  best = -1;
  // Each plan as it is (where its exits fit inside its volumes) and split at the exits' cuts.
  std::vector<std::pair<std::string, Plan>> variants;
  for (const auto& [name, p] : plans) {
    const Plan own = plan_for_exits(p, ctx.graph, model), cut = align_to_exits(p, ctx.graph, model);
    if (own.volumes == cut.volumes) {
      variants.emplace_back(name, cut);
    } else {
      variants.emplace_back(name, own);
      variants.emplace_back(name + " (split at exits)", cut);
    }
  }
  auto judge = [&](const std::string& name, const Plan& p) {
    ExitPlanCandidate c;
    c.planner = name;
    c.plan = p;
    c.plan.exits.reset();
    std::vector<int> devices;
    c.head_ms = fastest_head_times_ms(sim, c.plan, model, &devices);
    try {
      c.policy = choose_exit_policy(validation, c.head_ms, macs, qos);
      c.validation = evaluate_exit_policy(validation, c.policy, c.head_ms, macs, qos.deadline_ms);
      c.feasible = true;
      set_exit_policy(c.plan, ctx, model, c.policy, devices, heads_file, qos.deadline_ms);
    } catch (const PlanError&) {
      throw;  // the heads file: not a property of this candidate
    } catch (const Error& e) {
      c.why = e.what();
    }
    out.push_back(std::move(c));
    const ExitPlanCandidate& n = out.back();
    if (!n.feasible) return;
    if (best < 0) {
      best = static_cast<int>(out.size()) - 1;
      return;
    }
    if (better_for(n.validation, out[static_cast<std::size_t>(best)].validation, qos)) best = static_cast<int>(out.size()) - 1;
  };
  for (const auto& [name, p] : variants) judge(name, p);
  if (best >= 0) {
    std::vector<Plan> starts;
    for (const auto& v : variants) starts.push_back(v.second);
    const ExitPolicy policy = out[static_cast<std::size_t>(best)].policy;
    judge("opt (expected latency)", opt_for_exits(sim, model, validation, policy, qos.deadline_ms, starts));
  }
  return out;
}

}  // namespace edgeplan
