// `edgeplan exit-policy`: DistrEE's exit thresholds for a deadline or an accuracy floor, from
// a model's calibration and the head times a plan gives (issue 18).
#include <cstdio>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/report/svg_chart.h"
#include "edgeplan/strategy/exit_policy.h"

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

}  // namespace

Runner add_exit_policy(CLI::App& app) {
  struct Args {
    std::string scenario, plan, calibration, curve;
    double deadline = 0, accuracy = 0, slowdown = 1;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("exit-policy", "Choose early-exit thresholds for a deadline or an accuracy floor under a plan");
  cmd->add_option("--scenario", a->scenario, "Scenario file whose model has exits (vgg-fm, resnet-fm)")->required();
  cmd->add_option("--plan", a->plan, "Plan file (edgeplan.plan/v1) for that scenario")->required();
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
    const ExitModel model = build_exit_model(s.graph.name());
    if (s.graph.size() != model.graph.size()) throw Error("exit-policy: the scenario's model is not " + s.graph.name() + " as built with its exits");
    const Plan plan = load_plan_file(a->plan);
    check_plan_for(plan, s, a->plan);
    const ExitOutcomes val = load_exit_outcomes(a->calibration, "validation"), test = load_exit_outcomes(a->calibration, "test");
    if (val.heads.size() != model.exits.size() + 1) throw Error(a->calibration + ": " + std::to_string(val.heads.size()) + " heads, the model has " + std::to_string(model.exits.size() + 1));
    for (std::size_t h = 0; h < model.exits.size(); ++h)
      if (val.after[h] != model.exits[h].after) throw Error(a->calibration + ": head '" + val.heads[h] + "' is not where the model's exit is");
    const Simulator sim(s);
    const std::vector<double> ms = head_times_ms(sim, plan, model), macs = head_macs(model);
    // The policy first: an impossible QoS is refused before anything is printed.
    const ExitQoS q{a->deadline, a->accuracy};
    const bool qos = a->deadline > 0 || a->accuracy > 0;
    const ExitPolicy p = qos ? choose_exit_policy(val, ms, macs, q) : ExitPolicy{};
    std::printf("scenario %s, plan with %zu volumes; heads answer at (simulated):", s.name.c_str(), plan.volumes.size());
    for (std::size_t h = 0; h < ms.size(); ++h) std::printf(" %s %.3f ms (%.2f MMACs)", val.heads[h].c_str(), ms[h], macs[h] / 1e6);
    std::printf("\n");
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
      write_file_atomic(a->curve, line_chart_svg(s.graph.name() + " on " + s.name + ": expected latency vs accuracy (test split)",
                                                 "accuracy on the test split (%)", "expected latency, simulated (ms)", {with, without}));
      std::printf("wrote %s\n", a->curve.c_str());
      if (!qos) return 0;
    }
    std::printf("policy: ");
    for (int h = 0; h <= p.last_head; ++h) {
      const double t = p.thresholds[static_cast<std::size_t>(h)];
      if (h == p.last_head) std::printf("%s always", val.heads[static_cast<std::size_t>(h)].c_str());
      else if (t > 1) std::printf("%s never, ", val.heads[static_cast<std::size_t>(h)].c_str());
      else std::printf("%s at confidence >= %g, ", val.heads[static_cast<std::size_t>(h)].c_str(), t);
    }
    std::printf("\n");
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
    return 0;
  };
}

}  // namespace edgeplan::cli
