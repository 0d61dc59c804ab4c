// `edgeplan exit-policy`: DistrEE's exit thresholds for a deadline or an accuracy floor, from
// a model's calibration and the head times a plan gives (issue 18).
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/report/svg_chart.h"
#include "edgeplan/planners/registry.h"
#include "edgeplan/plan/plan_exits.h"
#include "edgeplan/strategy/exit_planning.h"

namespace edgeplan::cli {

namespace {

void print_outcome(const char* what, const PolicyOutcome& r, const ExitOutcomes& o, double deadline) {
  std::printf("%-34s accuracy %6.2f%%  expected %8.3f ms  p95 %8.3f ms  computation saved %5.1f%%", what, 100 * r.accuracy, r.expected_ms,
              r.p95_ms, 100 * r.computation_saved);
  if (deadline > 0) std::printf("  deadline hit %6.2f%%", 100 * r.deadline_hit_rate);
  std::printf("  exits:");
  for (std::size_t h = 0; h < r.exit_share.size(); ++h) std::printf(" %s %.1f%%", o.heads[h].c_str(), 100 * r.exit_share[h]);
  std::printf("\n");
}

// The model with its exits: the scenario's graph (a zoo model with exits, or the ONNX file
// train-exits wrote, which is named after its file) with the exits of the model the heads
// file names; the layers must match.
ExitModel exit_model_of(const Graph& g, const std::string& heads, std::string& name) {
  name = g.name();
  if (std::find(exit_model_names().begin(), exit_model_names().end(), name) == exit_model_names().end()) {
    if (!std::filesystem::exists(heads))
      throw Error("exit-policy: the scenario's model '" + name + "' has no exits (vgg-fm, resnet-fm, or the ONNX file train-exits wrote, with its exits.json)");
    name = load_exit_heads(heads).model;
  }
  ExitModel m = build_exit_model(name);
  bool same = m.graph.size() == g.size() && m.graph.input_shape() == g.input_shape();
  for (int l = 0; same && l < g.size(); ++l) same = m.graph.layer(l).kind == g.layer(l).kind && m.graph.layer(l).out == g.layer(l).out;
  if (!same) throw Error("exit-policy: the scenario's model is not " + name + " as built with its exits");
  m.graph = g;
  return m;
}

std::string policy_text(const ExitPolicy& p, const ExitOutcomes& o) {
  std::string out;
  for (int h = 0; h <= p.last_head; ++h) {
    const double t = p.thresholds[static_cast<std::size_t>(h)];
    char buf[96];
    if (h == p.last_head) std::snprintf(buf, sizeof buf, "%s always", o.heads[static_cast<std::size_t>(h)].c_str());
    else if (t > 1) std::snprintf(buf, sizeof buf, "%s never, ", o.heads[static_cast<std::size_t>(h)].c_str());
    else std::snprintf(buf, sizeof buf, "%s at confidence >= %g, ", o.heads[static_cast<std::size_t>(h)].c_str(), t);
    out += buf;
  }
  return out;
}

// Every planner's plan (those that apply; distredge trains for seconds and is left out unless
// named), as it is and split at the exits' cuts, each judged under its own best policy; prints the table.
ExitPlanCandidate joint_choice(const std::string& planners, const Scenario& s, const Simulator& sim, const ExitModel& model,
                               const ExitOutcomes& val, const ExitQoS& q, const std::string& heads) {
  const PlanningContext ctx = PlanningContext::of(s, sim);
  std::vector<std::string> names = split_commas(planners);
  if (names.empty())
    for (const std::string& n : planner_names())
      if (n != "distredge") names.push_back(n);
  std::vector<std::pair<std::string, Plan>> plans;
  for (const std::string& n : names) {
    const std::unique_ptr<Planner> p = make_planner(n);
    if (!p->applies(ctx)) continue;
    plans.emplace_back(n, p->plan(ctx));
  }
  int best = -1;
  const std::vector<ExitPlanCandidate> c = plan_with_exits(plans, sim, model, val, q, heads, best);
  if (best < 0) {  // one line, before anything is printed
    double first = c.empty() ? 0 : c.front().head_ms.front();
    for (const ExitPlanCandidate& x : c) first = std::min(first, x.head_ms.front());
    char buf[200];
    std::snprintf(buf, sizeof buf, "exit-policy: no planner's plan meets the QoS (the earliest exit of any plan answers at %.3f ms)", first);
    throw Error(buf);
  }
  std::printf("joint choice of split and exits: every planner's plan as it is and split at the exits' cuts, each exit on its fastest device, each plan under its own best policy (validation split; simulated ms)\n");
  std::printf("  %-31s %9s %10s %9s  %s\n", "planner", "no exits", "expected", "accuracy", "policy");
  for (std::size_t k = 0; k < c.size(); ++k) {
    if (!c[k].feasible) {
      std::printf("  %-31s %9.3f %10s %9s  %s\n", c[k].planner.c_str(), c[k].head_ms.back(), "-", "-", c[k].why.c_str());
      continue;
    }
    std::printf("  %-31s %9.3f %10.3f %8.2f%%  %s%s\n", c[k].planner.c_str(), c[k].head_ms.back(), c[k].validation.expected_ms,
                100 * c[k].validation.accuracy, policy_text(c[k].policy, val).c_str(), static_cast<int>(k) == best ? "  <- chosen" : "");
  }
  return c[static_cast<std::size_t>(best)];
}

}  // namespace

Runner add_exit_policy(CLI::App& app) {
  struct Args {
    std::string scenario, plan, calibration, curve, heads, output, planners;
    double deadline = 0, accuracy = 0, slowdown = 1;
    bool joint = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("exit-policy", "Choose early-exit thresholds for a deadline or an accuracy floor under a plan");
  cmd->add_option("--scenario", a->scenario, "Scenario file whose model has exits (vgg-fm, resnet-fm)")->required();
  CLI::Option* plan_opt = cmd->add_option("--plan", a->plan, "Plan file (edgeplan.plan/v1) for that scenario (split at an exit's cut only where a part would not compute its share there)");
  CLI::Option* joint = cmd->add_flag("--joint", a->joint, "Choose the split too: every planner's plan under its own best policy, the best by the QoS");
  plan_opt->excludes(joint);
  cmd->add_option("--planners", a->planners, "With --joint: the planners to try (comma-separated; default every one but distredge)");
  cmd->add_option("--heads", a->heads, "exits.json written by train-exits (default: beside the calibration)");
  cmd->add_option("-o,--output", a->output, "Write the plan with its exits (thresholds, devices; the scenario's model must be the trained ONNX)");
  cmd->add_option("--calibration", a->calibration, "calibration.json written by train-exits")->required();
  CLI::Option* d = cmd->add_option("--deadline-ms", a->deadline, "Every image answered by this many ms; accuracy as high as possible");
  CLI::Option* m = cmd->add_option("--min-accuracy", a->accuracy, "Accuracy at least this share (e.g. 0.88); expected latency as low as possible");
  d->excludes(m);
  cmd->add_option("--curve", a->curve,
                  "Also write the latency-vs-accuracy trade-off (SVG): the fastest policy for every accuracy floor, on the test split");
  cmd->add_option("--slowdown", a->slowdown, "Also evaluate with every time multiplied by this (fluctuating resources), with and without the run-time rule");
  return [a] {
    if (!(a->deadline > 0) && !(a->accuracy > 0) && a->curve.empty())
      throw Error("exit-policy needs --deadline-ms D or --min-accuracy A (or --curve FILE)");
    if (!(a->slowdown > 0)) throw Error("exit-policy: --slowdown must be positive");
    const Scenario s = load_scenario_with_model(a->scenario, "", "");
    const std::string heads = !a->heads.empty() ? a->heads : (std::filesystem::path(a->calibration).parent_path() / "exits.json").string();
    std::string model_name;
    const ExitModel model = exit_model_of(s.graph, heads, model_name);
    if (!a->output.empty() && s.graph.origin().sha256 != load_exit_heads(heads).onnx_sha256)
      throw Error("exit-policy -o: " + heads + " was trained with another backbone; the scenario's model must be the ONNX file train-exits wrote beside it");
    const ExitOutcomes val = load_exit_outcomes(a->calibration, "validation"), test = load_exit_outcomes(a->calibration, "test");
    if (val.heads.size() != model.exits.size() + 1) throw Error(a->calibration + ": " + std::to_string(val.heads.size()) + " heads, the model has " + std::to_string(model.exits.size() + 1));
    for (std::size_t h = 0; h < model.exits.size(); ++h)
      if (val.after[h] != model.exits[h].after) throw Error(a->calibration + ": head '" + val.heads[h] + "' is not where the model's exit is");
    const Simulator sim(s);
    const PlanningContext ctx = PlanningContext::of(s, sim);
    const ExitQoS q{a->deadline, a->accuracy};
    const bool qos = a->deadline > 0 || a->accuracy > 0;
    const std::vector<double> macs = head_macs(model);
    Plan plan;
    std::vector<double> ms;
    ExitPolicy p;
    std::string planner = "given plan";
    if (a->joint) {
      if (!qos) throw Error("exit-policy --joint needs --deadline-ms D or --min-accuracy A");
      ExitPlanCandidate c = joint_choice(a->planners, s, sim, model, val, q, heads);
      plan = c.plan, ms = c.head_ms, p = c.policy, planner = c.planner;
    } else {
      if (a->plan.empty()) throw Error("exit-policy needs --plan FILE (or --joint)");
      const Plan given = load_plan_file(a->plan);
      check_plan_for(given, s, a->plan);
      // Exits are evaluated inside the plan's volumes where each part computes its share of
      // the tensor at the cut anyway, else the plan is split at their cuts; each exit on the
      // device where it answers first.
      plan = plan_for_exits(given, s.graph, model);
      plan.exits.reset();
      std::vector<int> devices;
      ms = fastest_head_times_ms(sim, plan, model, &devices);
      // The policy first: an impossible QoS is refused before anything is printed.
      if (qos) {
        p = choose_exit_policy(val, ms, macs, q);
        set_exit_policy(plan, ctx, model, p, devices, heads, a->deadline);
      }
      if (plan.volumes.size() != given.volumes.size())
        std::printf("plan split at the exits' cuts: %zu volumes instead of %zu, exit-free %.3f ms instead of %.3f ms (simulated)\n", plan.volumes.size(),
                    given.volumes.size(), ms.back(), sim.simulate(given).latency_ms);
    }
    std::printf("scenario %s, plan (%s) with %zu volumes; heads answer at (simulated):", s.name.c_str(), planner.c_str(), plan.volumes.size());
    for (std::size_t h = 0; h < ms.size(); ++h) std::printf(" %s %.3f ms (%.2f MMACs)", val.heads[h].c_str(), ms[h], macs[h] / 1e6);
    std::printf("\n");
    if (plan.exits) {
      std::printf("exits evaluated on:");
      for (const PlanExit& e : plan.exits->exits) std::printf(" %s on %s", e.name.c_str(), e.device.c_str());
      std::printf("\n");
    }
    if (!a->curve.empty()) {
      // Accuracy floors from 15 points below the final head's validation accuracy up to it:
      // the fastest policy for each, measured on the test split.
      const ExitPolicy none = ExitPolicy::forced_at(static_cast<int>(val.heads.size()) - 1, static_cast<int>(val.heads.size()));
      const double top = evaluate_exit_policy(val, none, ms, macs).accuracy;
      ChartSeries with{"with exits (fastest policy per accuracy floor)", {}, {}, {}, {}}, without{"no exits", {}, {}, {}, {}};
      std::printf("trade-off on the test split (floor on validation -> test accuracy, expected ms):\n");
      for (int k = 30; k >= 0; --k) {
        const double floor = top - 0.005 * k;
        try {
          const ExitPolicy pf = choose_exit_policy(val, ms, macs, ExitQoS{0, floor});
          const PolicyOutcome r = evaluate_exit_policy(test, pf, ms, macs);
          with.x.push_back(100 * r.accuracy);
          with.y.push_back(r.expected_ms);
          std::printf("  floor %.2f%%: %.2f%%, %.3f ms, computation saved %.1f%%\n", 100 * floor, 100 * r.accuracy, r.expected_ms,
                      100 * r.computation_saved);
        } catch (const Error&) {
        }
      }
      const PolicyOutcome n = evaluate_exit_policy(test, none, ms, macs);
      without.x = {100 * n.accuracy};
      without.y = {n.expected_ms};
      write_file_atomic(a->curve, line_chart_svg(model_name + " on " + s.name + ": expected latency vs accuracy (test split)",
                                                 "accuracy on the test split (%)", "expected latency, simulated (ms)", {with, without}));
      std::printf("wrote %s\n", a->curve.c_str());
      if (!qos) return 0;
    }
    std::printf("policy: %s\n", policy_text(p, val).c_str());
    print_outcome("validation split (chosen on it):", evaluate_exit_policy(val, p, ms, macs, a->deadline), val, a->deadline);
    print_outcome("test split (measured):", evaluate_exit_policy(test, p, ms, macs, a->deadline), test, a->deadline);
    const ExitPolicy none = ExitPolicy::forced_at(static_cast<int>(test.heads.size()) - 1, static_cast<int>(test.heads.size()));
    print_outcome("test split, no exits:", evaluate_exit_policy(test, none, ms, macs, a->deadline), test, a->deadline);
    if (a->slowdown != 1) {
      char what[64];
      std::snprintf(what, sizeof what, "test split, times x%g:", a->slowdown);
      print_outcome(what, evaluate_exit_policy(test, p, ms, macs, a->deadline, a->slowdown, false), test, a->deadline);
      std::snprintf(what, sizeof what, "test split, times x%g, run-time rule:", a->slowdown);
      print_outcome(what, evaluate_exit_policy(test, p, ms, macs, a->deadline, a->slowdown, true), test, a->deadline);
    }
    std::printf("latencies are simulated; accuracies measured on Fashion-MNIST\n");
    if (!a->output.empty()) {
      plan_heads(plan, s.graph);  // the scenario's model is the backbone the heads were trained with
      plan.predicted_json = prediction_json(sim.simulate(plan), "exit-policy (" + planner + ")", "{}", 0, s.name);
      save_plan_file(plan, a->output);
      std::printf("wrote %s\n", a->output.c_str());
    }
    return 0;
  };
}

}  // namespace edgeplan::cli
