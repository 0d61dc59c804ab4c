// The edgeplan command line: argument handling and output formatting only.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "edgeplan/model/zoo.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/strategy/plan.h"
#include "edgeplan/strategy/simple_plans.h"

namespace {

using namespace edgeplan;

std::optional<Shape> optional_shape(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return parse_shape(text);
}

int cmd_models(bool as_json, const std::string& input) {
  std::vector<Graph> graphs;  // build all first so an error prints nothing else
  for (const std::string& name : zoo_model_names()) graphs.push_back(build_model(name, optional_shape(input)));
  nlohmann::json list = nlohmann::json::array();
  if (!as_json)
    std::printf("%-14s %-11s %7s %7s %10s %12s\n", "model", "input", "layers", "spatial", "GMACs", "params (M)");
  for (const Graph& g : graphs) {
    const std::string& name = g.name();
    const Shape& in = g.input_shape();
    if (as_json) {
      list.push_back({{"name", name},
                      {"input", {in.c, in.h, in.w}},
                      {"layers", g.size()},
                      {"spatial_layers", g.body_end()},
                      {"macs", g.total_macs()},
                      {"params", g.total_params()},
                      {"output", {g.layer(g.size() - 1).out.c, g.layer(g.size() - 1).out.h, g.layer(g.size() - 1).out.w}}});
    } else {
      std::printf("%-14s %-11s %7d %7d %10.3f %12.3f\n", name.c_str(), to_string(in).c_str(), g.size(), g.body_end(),
                  static_cast<double>(g.total_macs()) / 1e9, static_cast<double>(g.total_params()) / 1e6);
    }
  }
  if (as_json) std::cout << list.dump(2) << "\n";
  return 0;
}

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
  if ((a.random_plans > 0) == (a.even_split > 0))
    throw Error("with --model, give exactly one of --random-plans N or --even-split N");
  const Graph g = build_model(a.model, optional_shape(a.input));
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

int main(int argc, char** argv) {
  CLI::App app{"edgeplan: split one CNN inference across heterogeneous edge devices"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgeplan 0.1.0");

  bool models_json = false;
  std::string models_input;
  CLI::App* models = app.add_subcommand("models", "List the model zoo with FLOPs, parameters and layers");
  models->add_flag("--json", models_json, "Print JSON instead of a table");
  models->add_option("--input", models_input, "Override the input size, CxHxW (e.g. 3x128x128)");

  VerifyArgs va;
  CLI::App* verify = app.add_subcommand("verify", "Run a plan partitioned on the CPU and compare with the monolithic run");
  verify->add_option("--plan", va.plan_path, "Plan file (edgeplan.plan/v1 JSON)");
  verify->add_option("--model", va.model, "Zoo model to test with generated plans");
  verify->add_option("--input", va.input, "Input size CxHxW for --model (default: the model's)");
  verify->add_option("--random-plans", va.random_plans, "Number of random plans to verify")->check(CLI::Range(1, 100000));
  verify->add_option("--even-split", va.even_split, "Split every layer evenly over N devices")->check(CLI::Range(1, 4096));
  verify->add_option("--max-parts", va.max_parts, "Most parts per volume in random plans")->check(CLI::Range(1, 64));
  verify->add_option("--seed", va.seed, "Seed of the random plans");
  verify->add_option("--weight-seed", va.weight_seed, "Seed of the pseudo-random weights and input");
  verify->add_option("--tolerance", va.tolerance, "Largest accepted relative error (default 1e-4)");
  verify->add_option("--threads", va.threads, "libtorch intra-op threads (0: libtorch default)")->check(CLI::Range(0, 1024));
  verify->get_option("--plan")->excludes("--model");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*models) return cmd_models(models_json, models_input);
    if (*verify) return cmd_verify(va);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    const auto nl = msg.find('\n');
    if (nl != std::string::npos) msg = msg.substr(0, nl);
    std::fprintf(stderr, "edgeplan: error: %s\n", msg.c_str());
    return 1;
  }
  return 0;
}
