// `edgeplan verify`: partitioned vs monolithic runs on the CPU reference executor.
#include <cstdio>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/onnx/onnx_model.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/strategy/simple_plans.h"

namespace edgeplan::cli {

namespace {

int count_parts(const Plan& p) {
  int n = 0;
  for (const Volume& v : p.volumes) n += static_cast<int>(v.parts.size());
  return n;
}

bool report(const std::string& label, const Plan& plan, const VerifyResult& r, double tolerance) {
  const bool ok = r.error.max_rel_error <= tolerance;
  std::printf("%-22s volumes %3zu  parts %4d  max abs error %.3e  max rel error %.3e  %s  (output max |value| %.3e; monolithic %.1f ms, partitioned %.1f ms)\n",
              label.c_str(), plan.volumes.size(), count_parts(plan), r.error.max_abs_error, r.error.max_rel_error,
              ok ? "PASS" : "FAIL", r.error.reference_max_abs, r.monolithic_ms, r.partitioned_ms);
  return ok;
}

struct VerifyArgs {
  std::string plan_path, model, input;
  int random_plans = 0;
  int even_split = 0;
  std::uint64_t seed = 1;
  std::uint64_t weight_seed = 1;
  double tolerance = 1e-4;
  int threads = 0;
  int max_parts = 5;
};

int cmd_verify(const VerifyArgs& a) {
  ExecutorOptions opt;
  opt.weight_seed = a.weight_seed;
  opt.threads = a.threads;
  if (a.tolerance < 0) throw Error("--tolerance must be non-negative");
  if (!a.plan_path.empty()) {
    const Plan plan = load_plan_file(a.plan_path);
    const CpuExecutor exec(plan_graph(plan), opt);
    exec.run_monolithic();  // warm-up, so neither timed run pays for first-touch allocation
    std::printf("model %s, input %s, weight seed %llu\n", plan.model.c_str(), to_string(plan.input).c_str(),
                static_cast<unsigned long long>(a.weight_seed));
    return report(a.plan_path, plan, exec.verify(plan), a.tolerance) ? 0 : 1;
  }
  if (a.model.empty()) throw Error("verify needs --plan FILE or --model NAME (see --help)");
  if (a.random_plans == 0 && a.even_split == 0) throw Error("with --model, give --random-plans N or --even-split N");
  const Graph g = load_model(a.model, optional_shape(a.input));
  const CpuExecutor exec(g, opt);
  exec.run_monolithic();  // warm-up, so neither timed run pays for first-touch allocation
  std::printf("model %s, input %s, weight seed %llu, tolerance %.1e (relative to the output's max |value|)\n",
              g.name().c_str(), to_string(g.input_shape()).c_str(), static_cast<unsigned long long>(a.weight_seed),
              a.tolerance);
  if (a.even_split > 0) {
    const Plan plan = make_even_plan(g, numbered_devices(a.even_split), per_layer_volumes(g));
    return report("even split x" + std::to_string(a.even_split), plan, exec.verify(plan), a.tolerance) ? 0 : 1;
  }
  RandomPlanOptions ro;
  ro.max_parts = a.max_parts;
  int failed = 0;
  for (int i = 0; i < a.random_plans; ++i) {
    const Plan plan = make_random_plan(g, a.seed * 1000003ULL + static_cast<std::uint64_t>(i), ro);
    if (!report("random plan " + std::to_string(i + 1) + "/" + std::to_string(a.random_plans), plan, exec.verify(plan), a.tolerance))
      ++failed;
  }
  std::printf("%d of %d random plans within tolerance\n", a.random_plans - failed, a.random_plans);
  return failed == 0 ? 0 : 1;
}

}  // namespace

Runner add_verify(CLI::App& app) {
  auto va = std::make_shared<VerifyArgs>();
  CLI::App* verify = app.add_subcommand("verify", "Run a plan partitioned on the CPU and compare with the monolithic run");
  verify->add_option("--plan", va->plan_path, "Plan file (edgeplan.plan/v1 JSON)");
  verify->add_option("--model", va->model, "Zoo model or .onnx file to test with generated plans");
  verify->add_option("--input", va->input, "Input size CxHxW for --model (default: the model's)");
  CLI::Option* random = verify->add_option("--random-plans", va->random_plans, "Number of random plans to verify")->check(CLI::Range(1, 100000));
  verify->add_option("--even-split", va->even_split, "Split every layer evenly over N devices")->check(CLI::Range(1, 4096))->excludes(random);
  verify->add_option("--max-parts", va->max_parts, "Most parts per volume in random plans")->check(CLI::Range(1, 64));
  verify->add_option("--seed", va->seed, "Seed of the random plans");
  verify->add_option("--weight-seed", va->weight_seed, "Seed of the pseudo-random weights and input");
  verify->add_option("--tolerance", va->tolerance, "Largest accepted relative error (default 1e-4)");
  verify->add_option("--threads", va->threads, "libtorch intra-op threads (0: libtorch default)")->check(CLI::Range(0, 1024));
  verify->get_option("--plan")->excludes("--model");
  return [va] { return cmd_verify(*va); };
}

}  // namespace edgeplan::cli
