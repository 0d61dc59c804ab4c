// The CUDA executor's GPU figures in one run (benchmarks/gpu/run.sh on a GPU machine):
//  1. exactness: every zoo model, whole and split by random plans (plan devices as streams),
//     GPU against the host interpreter of the same kernel lists, which test_kernels proves
//     exact against the libtorch reference executor on every zoo model;
//  2. speed: the one-device replay of every zoo model against the best monolithic run we
//     have on that GPU: the whole model as one task (cuDNN without a plan, heuristics and
//     cudnnFind) and PyTorch's (torch_reference.py, if given);
//  3. a measured profile (the CPU profiler's sweep, timed with CUDA events) and predicted
//     vs measured whole-model latency.
// Standalone: no libtorch, MPI or ONNX (the GPU machine has none of Debian's packages).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "edgeplan/compute/compare.h"
#include "edgeplan/compute/percentile.h"
#include "edgeplan/costmodel/device_profile.h"
#include "edgeplan/costmodel/layer_sweep.h"
#include "edgeplan/cuda/cuda_backend.h"
#include "edgeplan/kernels/kernel_flow.h"
#include "edgeplan/model/error.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/plan/dataflow.h"

using namespace edgeplan;
using json = nlohmann::ordered_json;

namespace {

constexpr double kTolerance = 1e-3;  // fp32, TF32 off (docs/cuda.md)

struct Args {
  std::string out = ".", torch, name = "h200-cuda";
  int repeat = 50, splits = 2;
  double budget_s = 300;
  bool full_profile = false;
  bool host_check = false;  // no GPU needed: lower every plan, run them on the host, compare
  std::vector<std::string> models = zoo_model_names();
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');)
    if (!x.empty()) v.push_back(x);
  return v;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(k + " needs a value");
      return argv[++i];
    };
    if (k == "--out") a.out = value();
    else if (k == "--torch") a.torch = value();
    else if (k == "--name") a.name = value();
    else if (k == "--repeat") a.repeat = std::stoi(value());
    else if (k == "--splits") a.splits = std::stoi(value());
    else if (k == "--budget-s") a.budget_s = std::stod(value());
    else if (k == "--models") a.models = split_commas(value());
    else if (k == "--full-profile") a.full_profile = true;
    else if (k == "--host-check") a.host_check = true;
    else throw Error("unknown argument '" + k + "' (--out DIR --torch FILE --name N --repeat R --splits S --budget-s S --models a,b --full-profile)");
  }
  return a;
}

json summary(const std::vector<double>& ms) {
  return {{"median", percentile(ms, 0.5)}, {"p10", percentile(ms, 0.1)}, {"p90", percentile(ms, 0.9)}, {"runs", ms.size()}};
}

std::vector<double> time_timer(const std::function<double()>& run, int warmup, int repeat) {
  for (int i = 0; i < warmup; ++i) run();
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) ms.push_back(run());
  return ms;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

Interval share(int extent, int i, int n) { return Interval{extent * i / n, extent * (i + 1) / n}; }

// Plans built here (lib/strategy's builders validate through the ONNX-aware validator, which
// this standalone build lacks): the body cut at `volumes` evenly spread single-tensor cuts;
// each volume's anchor split over `devices` as row stripes, or as a 2 x 2 grid (odd volumes,
// 4 devices); the tail on the first device. compile_dataflow checks what it needs.
Plan split_plan(const Graph& g, int volumes, int devices) {
  Plan p;
  p.model = g.name();
  p.input = g.input_shape();
  for (int d = 0; d < devices; ++d) p.devices.push_back("d" + std::to_string(d));
  const std::vector<int> cuts = single_tensor_cuts(g);
  std::vector<int> bounds = {0};
  for (int v = 1; v < volumes && !cuts.empty(); ++v) {
    const int c = cuts[static_cast<std::size_t>(v) * cuts.size() / static_cast<std::size_t>(volumes)];
    if (c > bounds.back()) bounds.push_back(c);
  }
  bounds.push_back(g.body_end());
  for (std::size_t v = 0; v + 1 < bounds.size(); ++v) {
    Volume vol;
    vol.layers = LayerRange{bounds[v], bounds[v + 1]};
    const Shape& out = g.layer(vol.anchor()).out;
    const bool grid = devices == 4 && v % 2 == 1 && out.h >= 2 && out.w >= 2;
    for (int d = 0; d < devices; ++d) {
      const Region r = grid ? Region{share(out.h, d / 2, 2), share(out.w, d % 2, 2)} : Region{share(out.h, d, devices), Interval{0, out.w}};
      if (!r.empty()) vol.parts.push_back(Part{p.devices[static_cast<std::size_t>(d)], r});
    }
    p.volumes.push_back(std::move(vol));
  }
  if (g.body_end() < g.size()) p.tail = Tail{LayerRange{g.body_end(), g.size()}, p.devices.front()};
  return p;
}

struct Flow {
  Dataflow flow;
  KernelFlow kernels;
};

Flow lower(const Graph& g, const ModelWeights& w, const Plan& plan) {
  Flow f{compile_dataflow(g, plan, plan.devices, 0, result_device_index(plan)), {}};
  f.kernels = lower_flow(g, w, f.flow);
  return f;
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse(argc, argv);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const CudaInfo info = cuda_info();
  std::printf("GPU: %s\n", info.describe().c_str());
  json report;
  report["format"] = "edgeplan.gpu-bench/v1";
  report["date"] = utc_now();
  report["gpu"] = info.describe();
  report["repeat"] = a.repeat;
  report["tolerance"] = kTolerance;
  if (a.host_check) {  // the harness's plans and flows, checked on the host before GPU time is spent
    for (const std::string& name : a.models) {
      const Graph g = build_model(name);
      const ModelWeights w = seeded_model_weights(g, 1);
      std::uint64_t state = 7;
      const std::vector<float> image = lcg_uniform(static_cast<std::size_t>(g.input_shape().elements()), state, -1, 1);
      const Flow one = lower(g, w, split_plan(g, 1, 1));
      const std::vector<float> want = run_kernel_flow(one.flow, one.kernels, image, threads);
      for (int s = 1; s <= a.splits; ++s) {
        const Flow f = lower(g, w, s % 2 == 1 ? split_plan(g, 2 + s, 2) : split_plan(g, 2 + s, 4));
        const double e = max_relative_error(run_kernel_flow(f.flow, f.kernels, image, threads), want);
        std::printf("%-13s split %d: %zu tasks, %zu messages, max rel error vs one device %.1e\n", name.c_str(), s, f.flow.tasks.size(),
                    f.flow.messages.size(), e);
        // Not bit for bit: a volume cut between a convolution and its batch norm leaves that one unfolded.
        if (!(e <= 1e-5)) throw Error(name + ": a split plan's host run differs from the one-device run");
      }
    }
    return 0;
  }
  if (!info.available) {
    std::ofstream(a.out + "/gpu_bench.json") << report.dump(2) << "\n";
    std::fprintf(stderr, "gpu_bench: %s\n", info.reason.c_str());
    return 2;
  }
  std::map<std::string, double> torch_ms;
  if (!a.torch.empty()) {
    std::ifstream in(a.torch);
    if (in) {
      const json t = json::parse(in);
      report["torch"] = t;
      for (const auto& m : t["models"]) torch_ms[m["model"].get<std::string>()] = m["median_ms"].get<double>();
    }
  }

  std::printf("%-13s %11s %11s %11s %11s %7s %10s %10s %11s %10s\n", "model", "replay ms", "mono heur", "mono find", "torch ms", "ratio",
              "max err", "split err", "fp16 ms", "fp16 err");
  std::vector<Graph> graphs;
  std::map<std::string, double> monolithic_ms;
  report["models"] = json::array();
  for (const std::string& name : a.models) {
    if (elapsed() > 0.6 * a.budget_s) {
      std::printf("%-13s skipped: %.0f s of the %.0f s budget spent\n", name.c_str(), elapsed(), a.budget_s);
      continue;
    }
    const Graph g = build_model(name);
    graphs.push_back(g);
    const ModelWeights w = seeded_model_weights(g, 1);
    std::uint64_t state = 7;
    const std::vector<float> image = lcg_uniform(static_cast<std::size_t>(g.input_shape().elements()), state, -1, 1);
    json row;
    row["model"] = name;
    row["input"] = to_string(g.input_shape());
    // One device: the replay of its plan (image -> body part -> tail -> result, with copies).
    const Flow one = lower(g, w, split_plan(g, 1, 1));
    CudaRunOptions o;
    o.repeat = a.repeat;
    o.warmup = 10;
    const CudaRunResult r = cuda_run_flow(one.flow, one.kernels, image, o);
    const double err = max_relative_error(r.output, run_kernel_flow(one.flow, one.kernels, image, threads));
    // The whole model as one task: no plan, no copies.
    const KernelPlan whole = lower_task(g, w, whole_regions(g, LayerRange{0, g.size()}));
    const std::vector<double> heur = time_timer(cuda_task_timer(whole, false), 10, a.repeat);
    const std::vector<double> find = time_timer(cuda_task_timer(whole, true), 10, a.repeat);
    double best = std::min(percentile(heur, 0.5), percentile(find, 0.5));
    monolithic_ms[name] = best;
    const auto t = torch_ms.find(name);
    if (t != torch_ms.end()) best = std::min(best, t->second);
    const double replay = percentile(r.latency_ms, 0.5);
    // fp16 mode: the same plan with half storage, against the fp32 host run.
    LoweringOptions half;
    half.precision = ElementType::F16;
    const KernelFlow one16 = lower_flow(g, w, one.flow, half);
    const CudaRunResult r16 = cuda_run_flow(one.flow, one16, image, o);
    const double err16 = max_relative_error(r16.output, run_kernel_flow(one.flow, one.kernels, image, threads));
    // Split plans: parts on streams, messages as copies; exact against the interpreter.
    double split_err = 0;
    json splits = json::array();
    for (int s = 1; s <= a.splits; ++s) {
      const Plan plan = s % 2 == 1 ? split_plan(g, 2 + s, 2) : split_plan(g, 2 + s, 4);
      const Flow f = lower(g, w, plan);
      CudaRunOptions so;
      so.repeat = 10;
      const CudaRunResult sr = cuda_run_flow(f.flow, f.kernels, image, so);
      const double e = max_relative_error(sr.output, run_kernel_flow(f.flow, f.kernels, image, threads));
      split_err = std::max(split_err, e);
      splits.push_back({{"plan", std::to_string(plan.volumes.size()) + " volumes over " + std::to_string(plan.devices.size()) + " devices"}, {"devices", plan.devices.size()}, {"tasks", f.flow.tasks.size()}, {"messages", f.flow.messages.size()},
                        {"latency_ms", summary(sr.latency_ms)}, {"transfer_ms", summary(sr.transfer_ms)}, {"max_rel_error", e}});
    }
    row["replay_ms"] = summary(r.latency_ms);
    row["replay_transfer_ms"] = summary(r.transfer_ms);
    row["monolithic_heuristics_ms"] = summary(heur);
    row["monolithic_find_ms"] = summary(find);
    if (t != torch_ms.end()) row["torch_ms"] = t->second;
    row["best_monolithic_ms"] = best;
    row["ratio"] = replay / best;
    row["max_rel_error"] = err;
    row["fp16_replay_ms"] = summary(r16.latency_ms);
    row["fp16_max_rel_error"] = err16;
    row["splits"] = splits;
    row["algorithms"] = r.algorithms;
    row["arena_bytes"] = r.arena_bytes;
    row["workspace_bytes"] = r.workspace_bytes;
    report["models"].push_back(row);
    std::printf("%-13s %11.3f %11.3f %11.3f %11s %6.2fx %10.1e %10.1e %11.3f %10.1e\n", name.c_str(), replay, percentile(heur, 0.5),
                percentile(find, 0.5), t != torch_ms.end() ? std::to_string(t->second).substr(0, 7).c_str() : "-", replay / best, err,
                split_err, percentile(r16.latency_ms, 0.5), err16);
    std::fflush(stdout);
  }
  std::ofstream(a.out + "/gpu_bench.json") << report.dump(2) << "\n";

  // The measured profile: the CPU profiler's sweep through this executor.
  std::map<const Graph*, ModelWeights> weights;
  for (const Graph& g : graphs) weights[&g] = seeded_model_weights(g, 1);
  const double deadline = a.budget_s;
  const LayerExecutor executor = [&](const Graph& g, int layer, const Region& out) {
    if (elapsed() > deadline) throw Error("the time budget ran out during the profile");
    return cuda_task_timer(lower_task(g, weights.at(&g), layer_regions(g, layer, out)));
  };
  SweepOptions so;
  so.quick = !a.full_profile;
  try {
    const LayerSweep sweep = sweep_layers(graphs, executor, so);
    DeviceProfile p;
    add_sweep_to_profile(p, sweep);
    p.name = a.name;
    p.kind = "gpu";
    p.memory_bytes = info.memory_bytes;
    p.provenance_type = "measured";
    const RunsSummary runs = summarize_runs(sweep.runs_made);
    std::string models;
    for (const Graph& g : graphs) models += (models.empty() ? "" : ", ") + g.name() + " " + to_string(g.input_shape());
    p.provenance_json = json{{"type", "measured"},
                             {"gpu", info.describe()},
                             {"executor", "edgeplan CUDA executor (cuDNN heuristics, fp32 FMA math: TF32 off; cuBLAS; edgeplan element kernels)"},
                             {"date", utc_now()},
                             {"repetitions", runs.max},
                             {"repetitions_made", {{"points", runs.points}, {"min", runs.min}, {"median", runs.median}, {"max", runs.max}, {"total", runs.total}}},
                             {"notes", std::string(so.quick ? "quick sweep; " : "") +
                                           "per row count: 1 warm-up run, then timed runs (CUDA events around the layer's kernels) until "
                                           "(p90-p10)/p50 is small; median and p10/p90 recorded. Each layer runs alone as a one-layer task of a "
                                           "middle stripe, full width, from exactly its input rows; made by benchmarks/gpu/gpu_bench. Models: " +
                                           models}}
                                .dump();
    std::ofstream(a.out + "/" + a.name + ".json") << profile_to_json(p);
    json check = json::array();
    std::printf("\nprofile %s: %zu layer signatures; predicted (sum of curves at full height) vs measured monolithic:\n", a.name.c_str(),
                p.curves.size());
    for (const Graph& g : graphs) {
      double predicted = 0;
      for (int l = 0; l < g.size(); ++l) predicted += p.latency_ms(g, l, g.layer(l).out.h);
      const double measured = monolithic_ms.at(g.name());
      check.push_back({{"model", g.name()}, {"predicted_ms", predicted}, {"measured_ms", measured}, {"error", predicted / measured - 1}});
      std::printf("  %-13s predicted %9.3f ms, measured %9.3f ms, error %+6.1f%%\n", g.name().c_str(), predicted, measured,
                  100 * (predicted / measured - 1));
    }
    report["profile_check"] = check;
    std::ofstream(a.out + "/gpu_bench.json") << report.dump(2) << "\n";
  } catch (const Error& e) {
    std::printf("profile not made: %s\n", e.what());
  }
  std::printf("done in %.1f s\n", elapsed());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "gpu_bench: %s\n", e.what());
  return 1;
}
