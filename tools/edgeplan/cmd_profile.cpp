// `edgeplan profile`: measure latency curves, check them against monolithic runs, plot them.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "edgeplan/compute/machine.h"
#include "commands.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/onnx/onnx_model.h"
#include "edgeplan/replay/cpu_quota.h"
#include "edgeplan/runtime/executor_overhead.h"
#include "edgeplan/runtime/layer_profiler.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/cuda/cuda_backend.h"
#include "edgeplan/kernels/kernel_plan.h"
#include "edgeplan/strategy/simple_plans.h"
#include "edgeplan/report/svg_chart.h"

namespace edgeplan::cli {

namespace {

struct Args {
  std::string device = "cpu", model, input, name, output, check, plot, layers, executor;
  bool all_models = false, quick = false, json = false;
  int threads = 1, repetitions = 7;
  double cpu_quota = 0;
};

std::vector<Graph> selected_models(const Args& a) {
  if (!a.all_models && a.model.empty()) throw Error("give --model NAME or --all-models");
  std::vector<Graph> graphs;
  if (a.all_models) {
    for (const auto& n : zoo_model_names()) graphs.push_back(build_model(n));
  } else {
    graphs.push_back(load_model(a.model, optional_shape(a.input)));
  }
  return graphs;
}

// An emulated slower device: this process runs inside a CPU-quota group until it ends.
std::unique_ptr<CpuQuotaGroup> join_quota(double cores) {
  if (cores <= 0) return nullptr;
  CpuQuotaGroup::remove_stale();
  auto g = std::make_unique<CpuQuotaGroup>("edgeplan-" + std::to_string(getpid()) + "-profile", cores);
  g->add(getpid());
  return g;
}

std::string eta_text(double seconds) {
  char buf[32];
  if (seconds >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(seconds / 3600), static_cast<int>(seconds) % 3600 / 60);
  else std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(seconds / 60), static_cast<int>(seconds) % 60);
  return buf;
}

bool is_cuda(const std::string& device) { return device == "cuda" || device == "cuda:0"; }

// Layers timed by the CUDA executor: one layer's region lowered alone, its seeded weights
// (made once per layer: the sweep measures a layer at many row counts in a row).
LayerExecutor cuda_layer_executor() {
  struct Last {
    const Graph* graph = nullptr;
    int layer = -1;
    ModelWeights weights;  // only `layer`'s are filled
  };
  auto last = std::make_shared<Last>();
  return [last](const Graph& g, int layer, const Region& out) {
    if (last->graph != &g || last->layer != layer) {
      last->graph = &g;
      last->layer = layer;
      last->weights.layers.assign(static_cast<std::size_t>(g.size()), LayerParams{});
      last->weights.layers[static_cast<std::size_t>(layer)] = layer_params(g, layer, 1);
    }
    return cuda_task_timer(lower_task(g, last->weights, layer_regions(g, layer, out)));
  };
}

// The whole model as one task on the GPU (cuDNN, no plan): the monolithic run --check compares with.
std::function<double()> cuda_monolithic(const Graph& g) {
  return cuda_task_timer(lower_task(g, model_weights(g, 1), whole_regions(g, LayerRange{0, g.size()})));
}

void check_device(const std::string& device) {
  if (device.rfind("cuda", 0) == 0) {
    if (!is_cuda(device)) throw Error("the CUDA backend profiles GPU 0: --device cuda (not '" + device + "')");
    require_cuda();
    return;
  }
  check_profiler_device(device);
}

int run_profile(const Args& a) {
  if (a.output.empty()) throw Error("profile needs -o FILE (or --check / --plot)");
  check_device(a.device);
  const std::vector<Graph> graphs = selected_models(a);
  check_fits_in_memory(graphs);
  ProfilerOptions o;
  o.device = a.device;
  o.threads = a.threads;
  o.quick = a.quick;
  o.name = a.name;
  o.cpu_quota = a.cpu_quota;
  if (is_cuda(a.device)) {
    o.device = "cuda";
    if (o.name.empty()) o.name = "cuda";  // not "<device>-<threads>t": host threads do not matter here
    o.executor = cuda_layer_executor();
    o.executor_name = "edgeplan CUDA executor (cuDNN heuristics, fp32 FMA math: TF32 off; cuBLAS; edgeplan element kernels)";
    o.accelerator = cuda_info().describe();
  }
  const std::unique_ptr<CpuQuotaGroup> group = join_quota(a.cpu_quota);
  const bool tty = isatty(fileno(stderr));
  const auto start = std::chrono::steady_clock::now();
  if (tty)
    o.progress = [&](int done, int total, double work, double total_work, const std::string& sig) {
      const double frac = total_work > 0 ? work / total_work : 1.0;
      const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const int filled = static_cast<int>(frac * 30);
      std::fprintf(stderr, "\r[%s%s] %d/%d layers %3.0f%%  ETA %s  %-40.40s", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(30 - filled), '-').c_str(), done, total, frac * 100,
                   frac > 0 ? eta_text(spent * (1 - frac) / frac).c_str() : "?", sig.c_str());
      std::fflush(stderr);
    };
  const DeviceProfile p = profile_layers(graphs, o);
  if (tty) std::fprintf(stderr, "\n");
  write_file_atomic(a.output, profile_to_json(p));
  const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("profiled %zu layer signatures of %zu model(s) on %s with %d thread(s) in %.1f s; wrote %s\n",
              p.curves.size(), graphs.size(), a.device.c_str(), a.threads, spent, a.output.c_str());
  return 0;
}

int run_check(const Args& a) {
  const DeviceProfile p = load_profile_file(a.check);
  if (p.provenance_type != "measured") throw Error(a.check + ": only a measured profile can be checked against this machine");
  const std::vector<Graph> graphs = selected_models(a);
  check_fits_in_memory(graphs);
  check_device(a.device);
  std::vector<ProfileCheck> rows;
  for (const Graph& g : graphs)
    rows.push_back(check_profile(p, g, a.threads, a.repetitions, is_cuda(a.device) ? cuda_monolithic(g) : std::function<double()>{}));
  std::vector<double> errors;
  for (const auto& r : rows) errors.push_back(std::abs(r.error()));
  std::sort(errors.begin(), errors.end());
  const double median = errors.empty() ? 0 : (errors.size() % 2 ? errors[errors.size() / 2]
                                                                 : 0.5 * (errors[errors.size() / 2 - 1] + errors[errors.size() / 2]));
  if (a.json) {
    nlohmann::ordered_json j;
    j["profile"] = p.name;
    j["threads"] = a.threads;
    j["models"] = nlohmann::ordered_json::array();
    for (const auto& r : rows)
      j["models"].push_back({{"model", r.model},
                             {"input", to_string(r.input)},
                             {"predicted_ms", r.predicted_ms},
                             {"measured_p50_ms", r.measured_p50_ms},
                             {"measured_p10_ms", r.measured_p10_ms},
                             {"measured_p90_ms", r.measured_p90_ms},
                             {"repetitions", r.repetitions},
                             {"error", r.error()},
                             {"fallback_layers", r.fallback_layers}});
    j["median_abs_error"] = median;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("profile %s vs monolithic runs on this machine, %d thread(s)\n", p.name.c_str(), a.threads);
  std::printf("%-14s %-11s %13s %13s %19s %8s %9s\n", "model", "input", "predicted ms", "measured ms", "measured p10-p90 ms",
              "error", "fallback");
  for (const auto& r : rows)
    std::printf("%-14s %-11s %13.2f %13.2f %9.2f-%-9.2f %+7.1f%% %9d\n", r.model.c_str(), to_string(r.input).c_str(),
                r.predicted_ms, r.measured_p50_ms, r.measured_p10_ms, r.measured_p90_ms, 100 * r.error(), r.fallback_layers);
  std::printf("median |error| %.1f%% over %zu model(s) (median of %d runs each)\n", 100 * median, rows.size(), a.repetitions);
  return 0;
}

int run_plot(const Args& a) {
  if (a.output.empty()) throw Error("--plot needs -o FILE.svg");
  if (a.layers.empty()) throw Error("--plot needs --layers TEXT[,TEXT...] (substrings of layer signatures)");
  const DeviceProfile p = load_profile_file(a.plot);
  std::vector<ChartSeries> series;
  for (const std::string& want : split_commas(a.layers)) {
    const auto it = std::find_if(p.curves.begin(), p.curves.end(), [&](const auto& kv) { return kv.first.find(want) != std::string::npos; });
    if (it == p.curves.end()) throw Error("no curve in " + a.plot + " matches '" + want + "'");
    ChartSeries s;
    s.label = it->first;
    s.x = it->second.rows();
    s.y = it->second.ms();
    if (p.p10.count(it->first) && p.p90.count(it->first)) {
      s.band_lo = p.p10.at(it->first).ms();
      s.band_hi = p.p90.at(it->first).ms();
    }
    series.push_back(s);
  }
  write_file_atomic(a.output, line_chart_svg("Latency vs output rows: " + p.name + " (median, p10-p90 band)",
                                             "output rows computed", "latency (ms)", series));
  std::printf("wrote %s with %zu curve(s)\n", a.output.c_str(), series.size());
  return 0;
}

// `n` volumes cut where one tensor crosses, spread evenly over the valid cuts.
std::vector<LayerRange> even_volumes(const Graph& g, int n) {
  const std::vector<int> cuts = single_tensor_cuts(g);
  std::vector<LayerRange> v;
  int first = 0;
  for (int k = 1; k < n && !cuts.empty(); ++k) {
    const int c = cuts[static_cast<std::size_t>(k) * cuts.size() / static_cast<std::size_t>(n)];
    if (c > first) v.push_back({first, c});
    first = std::max(first, c);
  }
  v.push_back({first, g.body_end()});
  return v;
}

// The same plans on one machine, task by task, against the profile: what the executor adds.
int run_executor(const Args& a) {
  if (a.output.empty()) throw Error("--executor needs -o FILE (the profile with its executor block)");
  DeviceProfile p = load_profile_file(a.executor);
  if (p.provenance_type != "measured") throw Error(a.executor + ": only a measured profile describes this machine's executor");
  // The same device class as the curves: under the quota they were measured with.
  const std::unique_ptr<CpuQuotaGroup> group = join_quota(p.cpu_quota);
  const std::vector<Graph> graphs = selected_models(a);
  check_fits_in_memory(graphs);
  std::vector<OverheadSample> samples;
  std::printf("%-14s %-26s %7s %7s %9s %12s %12s\n", "model", "plan", "parts", "layers", "MB moved", "layers ms", "measured ms");
  for (const Graph& g : graphs) {
    const LayerRange body{0, g.body_end()};
    const struct {
      const char* label;
      std::vector<std::string> devices;
      std::vector<LayerRange> volumes;
    } kinds[] = {{"whole body, 1 part", {"d0"}, {body}},
                 {"per layer, 1 part", {"d0"}, per_layer_volumes(g)},
                 {"per layer, 2 parts", {"d0", "d1"}, per_layer_volumes(g)},
                 {"4 volumes, 3 parts", {"d0", "d1", "d2"}, even_volumes(g, 4)}};
    const std::size_t first = samples.size();
    for (const auto& k : kinds) {
      const Plan plan = make_even_plan(g, k.devices, k.volumes);
      samples.push_back(measure_plan_overhead(g, plan, p, a.threads, a.repetitions, g.name() + ": " + k.label));
      OverheadSample& s = samples.back();
      s.layer_scale = samples[first].measured_ms / samples[first].layers_ms;
      std::printf("%-14s %-26s %7.0f %7.0f %9.2f %12.2f %12.2f\n", g.name().c_str(), k.label, s.parts, s.layers, s.bytes / 1e6,
                  s.layers_ms, s.measured_ms);
    }
  }
  ExecutorOverhead o = fit_executor_overhead(samples);
  double worst = 0;
  for (const OverheadSample& s : samples) {
    worst = std::max(worst, std::abs(predicted_ms(s, o) / s.measured_ms - 1));
  }
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "edgeplan profile --executor: %zu plans (whole body, per layer with 1 and 2 parts, 4 volumes with 3 parts) of %zu "
                "model(s) run task by task in one process, %d thread(s), median of %d runs each, on %s; non-negative least squares "
                "of measured minus the curves' prediction (scaled per model to its measured whole-body run); worst remaining error %.1f%%",
                samples.size(), graphs.size(), a.threads, a.repetitions, describe_machine().cpu.c_str(), 100 * worst);
  o.source = buf;
  p.executor = o;
  write_file_atomic(a.output, profile_to_json(p));
  std::printf("executor overhead: %.4f ms per part + %.4f ms per layer + %.4f ms per MB moved (worst remaining error %.1f%%); wrote %s\n",
              o.per_part_ms, o.per_layer_ms, o.ms_per_mb, 100 * worst, a.output.c_str());
  return 0;
}

}  // namespace

Runner add_profile(CLI::App& app) {
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("profile", "Measure latency-vs-rows curves, check them, or plot them");
  cmd->add_option("--device", a->device, "cpu, or cuda: GPU 0 through edgeplan's CUDA executor (default cpu)");
  cmd->add_option("--threads", a->threads, "Threads for libtorch and its BLAS (default 1)")->check(CLI::Range(1, 1024));
  CLI::Option* model = cmd->add_option("--model", a->model, "Zoo model to profile or check");
  CLI::Option* all = cmd->add_flag("--all-models", a->all_models, "Every zoo model at its default input");
  cmd->add_option("--input", a->input, "Input size CxHxW for --model")->excludes(all);
  all->excludes(model);
  cmd->add_flag("--quick", a->quick, "Coarse sweep: fewer row counts and repetitions");
  cmd->add_option("--cpu-quota", a->cpu_quota,
                  "Measure an emulated slower device: run under a cgroup CPU quota of this many cores (e.g. 0.5; root); replay applies it again")
      ->check(CLI::Range(0.01, 4096.0));
  cmd->add_option("--name", a->name, "Profile name (default <device>-<threads>t)");
  cmd->add_option("-o,--output", a->output, "Profile (or with --plot, SVG) file to write");
  CLI::Option* check = cmd->add_option("--check", a->check, "Compare a measured profile's predictions with monolithic runs here");
  cmd->add_option("--repetitions", a->repetitions, "Monolithic runs per model for --check (default 7)")->check(CLI::Range(3, 1000));
  cmd->add_flag("--json", a->json, "With --check: print JSON");
  cmd->add_option("--plot", a->plot, "Plot curves of a profile as SVG (with --layers and -o)")->excludes(check);
  cmd->add_option("--layers", a->layers, "With --plot: comma-separated substrings of layer signatures");
  cmd->add_option("--executor", a->executor,
                  "Measure the replay executor's overhead (per part, per layer, per MB) against this measured profile; writes it with -o")
      ->excludes(check);
  return [a] {
    if (!a->check.empty()) return run_check(*a);
    if (!a->plot.empty()) return run_plot(*a);
    if (!a->executor.empty()) return run_executor(*a);
    return run_profile(*a);
  };
}

}  // namespace edgeplan::cli
