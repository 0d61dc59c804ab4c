// `edgeplan train`: DistrEdge's DDPG agent on a scenario; writes the policy and the best plan.
#include <unistd.h>

#include <cmath>

#include <cstdio>
#include <iostream>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/learn/distredge.h"
#include "edgeplan/planners/registry.h"
#include "sim_report.h"
#include "edgeplan/report/svg_chart.h"

namespace edgeplan::cli {

Runner add_train(CLI::App& app) {
  struct Args {
    std::string scenario, output, plan_out, resume, curve;
    DistrEdgeOptions o;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("train", "Train DistrEdge's DDPG split agent on a scenario (LC-PSS volumes)");
  cmd->add_option("--scenario", a->scenario, "Scenario file (edgeplan.scenario/v1)")->required();
  cmd->add_option("--episodes", a->o.episodes, "Episodes (default 4000, the paper's)");
  cmd->add_option("--budget-s", a->o.budget_s, "Stop after this many seconds too (0: no limit)");
  cmd->add_option("--alpha", a->o.alpha, "LC-PSS trade-off between data and operations (default 0.75)");
  cmd->add_option("--seed", a->o.seed, "Seed (same seed, same result)");
  cmd->add_option("-o,--output", a->output, "Policy file to write (libtorch archive)")->required();
  cmd->add_option("--plan-out", a->plan_out, "Write the best plan found");
  cmd->add_option("--resume", a->resume, "Start from a policy file of an earlier run");
  cmd->add_option("--curve-svg", a->curve, "Write the learning curve (latency vs episode) as SVG");
  cmd->add_flag("!--no-demos", a->o.demonstrations,
                 "The paper's method as published: no demonstration episodes (each device alone, equal and "
                 "speed-proportional splits) before exploring");
  cmd->add_option("--noise-var", a->o.noise_var, "Exploration noise variance (default: 0.1 up to 4 devices, 1 beyond)");
  cmd->add_option("--eps-scale", a->o.eps_scale, "Exploration probability 1 - (episode / S)^2 (default 250, the paper's)");
  cmd->add_option("--batch", a->o.batch, "Minibatch size (default 64)");
  cmd->add_option("--gamma", a->o.gamma, "Discount (default 0.99)");
  cmd->add_option("--lr-actor", a->o.lr_actor, "Actor learning rate (default 1e-4)");
  cmd->add_option("--lr-critic", a->o.lr_critic, "Critic learning rate (default 1e-3)");
  cmd->add_option("--tau", a->o.tau, "Soft target-update rate (default 0.005)");
  cmd->add_option("--replay", a->o.replay, "Replay buffer size in transitions (default 100000)");
  cmd->add_option("--threads", a->o.threads, "Threads for libtorch and its BLAS (default 1: reproducible, fastest here)");
  return [a] {
    check_options(a->o);
    const Scenario s = load_scenario_file(a->scenario);
    const Simulator sim(s);
    const PlanningContext ctx = PlanningContext::of(s, sim);
    const double opt_ms = sim.latency_ms(make_planner("opt")->plan(ctx));
    const bool tty = isatty(fileno(stderr));
    const TrainResult r = train_distredge(
        ctx, a->o,
        [&](const TrainProgress& p) {
          if (!tty || (p.episode % 10 != 0 && p.episode != p.episodes)) return;
          std::fprintf(stderr, "\repisode %d/%d  best %.3f ms  (%.2fx opt's %.3f ms)   ", p.episode, p.episodes, p.best_ms,
                       p.best_ms / opt_ms, opt_ms);
          std::fflush(stderr);
        },
        a->output, a->resume);
    if (tty) std::fprintf(stderr, "\n");
    if (!a->plan_out.empty()) {
      Plan best = r.best_plan;
      save_plan_file(best, a->plan_out);
    }
    if (!a->curve.empty()) {
      ChartSeries ep{"episode latency", {}, {}, {}, {}}, best{"best so far", {}, {}, {}, {}}, opt{"opt", {}, {}, {}, {}};
      for (std::size_t i = 0; i < r.episode_ms.size(); ++i) {
        if (std::isfinite(r.episode_ms[i])) {
          ep.x.push_back(static_cast<double>(i + 1));
          ep.y.push_back(r.episode_ms[i]);
        }
        best.x.push_back(static_cast<double>(i + 1));
        best.y.push_back(r.best_ms_curve[i]);
      }
      opt.x = {1.0, static_cast<double>(r.episode_ms.size())};
      opt.y = {opt_ms, opt_ms};
      write_file_atomic(a->curve, line_chart_svg("DistrEdge DDPG on " + s.name + ": latency vs episode", "episode",
                                                 "end-to-end latency (ms)", {ep, best, opt}));
    }
    std::printf("trained %d episodes in %.1f s on %s: LC-PSS volumes", r.episodes, r.seconds, s.name.c_str());
    for (int b : r.boundaries) std::printf(" %d", b);
    std::printf("\nbest %.3f ms, opt %.3f ms (ratio %.3f); wrote %s\n", r.best_ms, opt_ms, r.best_ms / opt_ms, a->output.c_str());
    for (double within : {1.10, 1.05, 1.01}) {
      std::size_t i = 0;
      while (i < r.best_ms_curve.size() && r.best_ms_curve[i] > within * opt_ms) ++i;
      if (i < r.best_ms_curve.size())
        std::printf("within %.0f%% of opt after %zu episodes (%.1f s)\n", (within - 1) * 100, i + 1, r.elapsed_s[i]);
      else
        std::printf("within %.0f%% of opt: not reached\n", (within - 1) * 100);
    }
    return 0;
  };
}

}  // namespace edgeplan::cli
