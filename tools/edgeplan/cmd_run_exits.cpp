// `edgeplan run-exits`: runs Fashion-MNIST test images through a plan with early exits on the
// CPU executor, stopping every device when an exit fires (DistrEE, issue 18); measures
// accuracy, exits taken and computation saved, and with a scenario the simulated latencies.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/data/dataset.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/runtime/exit_runner.h"
#include "edgeplan/strategy/exit_policy.h"

namespace edgeplan::cli {

namespace {

struct Args {
  std::string plan, scenario, calibration, data;
  int images = 0, threads = 1;
};

int run(const Args& a) {
  if (a.images < 0) throw Error("run-exits: --images must be non-negative");
  if (a.threads < 1) throw Error("run-exits: --threads must be at least 1");
  const Plan plan = load_plan_file(a.plan);
  if (!plan.exits) throw Error(a.plan + ": the plan has no exits (exit-policy -o writes one)");
  const Graph graph = plan_graph(plan);
  const TrainedHeads heads = plan_heads(plan, graph);
  if (graph.input_shape() != Shape{1, 28, 28}) throw Error(a.plan + ": run-exits runs 1x28x28 Fashion-MNIST models");
  const FashionMnist data = a.data.empty() ? load_fashion_mnist() : load_fashion_mnist(a.data);
  const int n = a.images > 0 ? std::min(a.images, data.test.size()) : data.test.size();
  const std::size_t exits = plan.exits->exits.size();
  const ExitModel em = plan_exit_model(plan, graph, heads);

  // Where the heads answer: simulated under the scenario when one is given.
  std::vector<double> head_ms;
  std::vector<std::string> devices = plan.devices;
  int input_device = 0, output_device = 0;
  if (!a.scenario.empty()) {
    const Scenario s = load_scenario_with_model(a.scenario, "", "");
    check_plan_for(plan, s, a.plan);
    const Simulator sim(s);
    const PlanningContext ctx = PlanningContext::of(s, sim);
    head_ms = head_times_ms(sim, plan, em);
    devices = ctx.device_ids;
    input_device = ctx.input_device;
    output_device = ctx.output_device;
  } else {
    output_device = result_device_index(plan);
  }
  const Dataflow flow = compile_dataflow(graph, plan, devices, input_device, output_device);
  ExecutorOptions eo;
  eo.threads = a.threads;
  PartRunner parts(graph, eo);
  const ExitRunner runner(graph, flow, plan, heads, parts);
  const std::vector<double> macs = head_macs(em);  // MACs done when each head answers

  ExitOutcomes recorded;
  if (!a.calibration.empty()) recorded = load_exit_outcomes(a.calibration, "test");
  std::printf("plan %s: %zu volumes, exits:", a.plan.c_str(), plan.volumes.size());
  for (const PlanExit& e : plan.exits->exits) {
    if (e.threshold > 1) std::printf(" %s after layer %d on %s (never fires)", e.name.c_str(), e.after - 1, e.device.c_str());
    else if (e.threshold == 0) std::printf(" %s after layer %d on %s (always fires)", e.name.c_str(), e.after - 1, e.device.c_str());
    else std::printf(" %s after layer %d on %s (confidence >= %g)", e.name.c_str(), e.after - 1, e.device.c_str(), e.threshold);
  }
  std::printf("\nrunning %d Fashion-MNIST test images on the CPU executor (%d thread%s)\n", n, a.threads, a.threads == 1 ? "" : "s");

  std::vector<int> per_head(exits + 1, 0);
  std::vector<double> latency;
  int right = 0, tasks = 0, agree = 0, compared = 0, hits = 0;
  double done_macs = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    const ExitRun r = runner.run(normalized_image(data.test, i));
    ++per_head[static_cast<std::size_t>(r.head)];
    right += r.predicted == data.test.labels[static_cast<std::size_t>(i)];
    tasks += r.tasks_run;
    done_macs += macs[static_cast<std::size_t>(r.head)];
    if (!head_ms.empty()) {
      latency.push_back(head_ms[static_cast<std::size_t>(r.head)]);
      hits += plan.exits->deadline_ms <= 0 || latency.back() <= plan.exits->deadline_ms * (1 + 1e-12);
    }
    if (!a.calibration.empty() && i < recorded.images()) {
      // The trainer's recorded outcome of the head that answered (heads named alike).
      const std::string& name = r.head < static_cast<int>(exits) ? plan.exits->exits[static_cast<std::size_t>(r.head)].name : "final";
      for (std::size_t h = 0; h < recorded.heads.size(); ++h)
        if (recorded.heads[h] == name) {
          ++compared;
          agree += recorded.predicted[h][static_cast<std::size_t>(i)] == r.predicted;
        }
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("accuracy %.2f%% (%d of %d)\n", 100.0 * right / n, right, n);
  std::printf("answered at:");
  for (std::size_t h = 0; h <= exits; ++h)
    std::printf(" %s %.1f%%", h < exits ? plan.exits->exits[h].name.c_str() : "final", 100.0 * per_head[h] / n);
  std::printf("\ncomputation saved %.1f%% of the MACs; tasks run per image %.2f of %d (every device stops when an exit fires)\n",
              100 * (1 - done_macs / n / macs.back()), static_cast<double>(tasks) / n, runner.part_and_tail_tasks());
  if (!latency.empty()) {
    std::vector<double> sorted = latency;
    std::sort(sorted.begin(), sorted.end());
    double sum = 0;
    for (double v : latency) sum += v;
    std::printf("latency (simulated under %s): expected %.3f ms, p95 %.3f ms, exit-free %.3f ms", a.scenario.c_str(), sum / n,
                sorted[static_cast<std::size_t>(std::min<double>(n - 1, std::ceil(0.95 * n) - 1))], head_ms.back());
    if (plan.exits->deadline_ms > 0) std::printf(", deadline %.3f ms hit %.2f%%", plan.exits->deadline_ms, 100.0 * hits / n);
    std::printf("\n");
  }
  if (compared > 0) std::printf("agreement with the trainer's recorded predictions: %d of %d images (%.2f%%)\n", agree, compared, 100.0 * agree / compared);
  std::printf("executor wall time %.2f s (%.3f ms per image)\n", wall, 1000 * wall / n);
  return 0;
}

}  // namespace

Runner add_run_exits(CLI::App& app) {
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("run-exits", "Run Fashion-MNIST test images through a plan with early exits on the CPU executor");
  cmd->add_option("--plan", a->plan, "Plan with an exits block (exit-policy -o writes one)")->required();
  cmd->add_option("--scenario", a->scenario, "Also report the simulated latency of every image under this scenario");
  cmd->add_option("--calibration", a->calibration, "calibration.json: also compare predictions with the trainer's recorded ones");
  cmd->add_option("--images", a->images, "Run the first N test images (default: all 10,000)");
  cmd->add_option("--data", a->data, "Fashion-MNIST directory (default: Debian's, or $EDGEPLAN_FASHION_MNIST_DIR)");
  cmd->add_option("--threads", a->threads, "libtorch threads (default 1)");
  return [a] { return run(*a); };
}

}  // namespace edgeplan::cli
