// `edgeplan replay --backend cuda`: every part of a plan on GPU 0 (plan devices as streams,
// messages as device-to-device copies), timed with CUDA events, checked against the CPU
// reference executor.
#include "cmd_replay_cuda.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "edgeplan/compute/percentile.h"
#include "edgeplan/cuda/cuda_backend.h"
#include "edgeplan/kernels/kernel_flow.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/runtime/flow_runner.h"

namespace edgeplan::cli {

namespace {

nlohmann::ordered_json summary(const std::vector<double>& ms) {
  return {{"median", percentile(ms, 0.5)}, {"p10", percentile(ms, 0.1)}, {"p90", percentile(ms, 0.9)}, {"runs", ms}};
}

}  // namespace

int replay_on_cuda(const CudaReplayArgs& a) {
  const std::optional<ElementType> type = parse_element_type(a.precision);
  if (!type || (*type != ElementType::F32 && *type != ElementType::F16))
    throw Error("--precision must be fp32 or fp16, not '" + a.precision + "'");
  const double tolerance = *type == ElementType::F16 ? kCudaToleranceF16 : kCudaTolerance;
  const Plan plan = load_plan_file(a.plan);
  if (plan.exits) throw Error(a.plan + ": --backend cuda replays plans without early exits (the MPI replay runs exits)");
  const Graph g = plan_graph(plan);
  require_cuda();  // before the CPU reference's seconds
  const CudaInfo info = cuda_info();
  // The image starts on the first device and the result ends on the tail's (or the last part's) device.
  const Dataflow flow = compile_dataflow(g, plan, plan.devices, 0, result_device_index(plan));
  ExecutorOptions eo;
  const ModelWeights weights = model_weights(g, eo.weight_seed);
  const std::vector<float> image = model_input_values(g, eo);
  LoweringOptions lo;
  lo.precision = *type;
  const KernelFlow kernels = lower_flow(g, weights, flow, lo);
  CudaRunOptions o;
  o.repeat = a.repeat;
  o.warmup = std::max(1, a.warmup);
  o.find_algorithms = a.find;
  const CudaRunResult r = cuda_run_flow(flow, kernels, image, o);
  const std::vector<float> reference = CpuExecutor(g, eo).run_monolithic();
  const double error = max_relative_error(r.output, reference);

  std::printf("CUDA replay of %s (%s %s, %s) on %s\n", a.plan.c_str(), g.name().c_str(), to_string(g.input_shape()).c_str(),
              a.precision.c_str(), info.describe().c_str());
  std::printf("%zu plan device(s) as %d stream(s); %zu task(s), %zu message(s) as device-to-device copies; %d kernels, %d convolutions\n",
              plan.devices.size(), r.streams, flow.tasks.size(), flow.messages.size(), r.kernels, r.convolutions);
  std::printf("memory: arenas %.2f MB, workspaces %.2f MB, weights %.2f MB (allocated once, before the first run)\n",
              r.arena_bytes / 1e6, r.workspace_bytes / 1e6, r.weight_bytes / 1e6);
  std::printf("latency over %d runs (after %d warm-up): median %.3f ms, p10 %.3f ms, p90 %.3f ms\n", a.repeat, o.warmup,
              percentile(r.latency_ms, 0.5), percentile(r.latency_ms, 0.1), percentile(r.latency_ms, 0.9));
  std::printf("message copies: median %.3f ms per run (summed; they may overlap computation on other streams)\n",
              percentile(r.transfer_ms, 0.5));
  std::printf("result vs the CPU reference executor (fp32): max |error| / max |reference| = %.2e (%s tolerance %.0e)\n", error,
              a.precision.c_str(), tolerance);
  if (!a.output.empty()) {
    nlohmann::ordered_json j;
    j["format"] = "edgeplan.cuda-replay/v1";
    j["plan"] = a.plan;
    j["model"] = g.name();
    j["input"] = to_string(g.input_shape());
    j["gpu"] = info.describe();
    j["devices"] = plan.devices.size();
    j["kernels"] = r.kernels;
    j["convolutions"] = r.convolutions;
    j["algorithms"] = r.algorithms;
    j["find_algorithms"] = a.find;
    j["precision"] = a.precision;
    j["arena_bytes"] = r.arena_bytes;
    j["workspace_bytes"] = r.workspace_bytes;
    j["weight_bytes"] = r.weight_bytes;
    j["warmup"] = o.warmup;
    j["latency_ms"] = summary(r.latency_ms);
    j["transfer_ms"] = summary(r.transfer_ms);
    j["max_rel_error"] = error;
    j["tolerance"] = tolerance;
    write_file_atomic(a.output, j.dump(2) + "\n");
  }
  if (!(error <= tolerance))
    throw Error("the CUDA result differs from the CPU reference by " + std::to_string(error) + " of the output's range (tolerance " +
                std::to_string(tolerance) + ")");
  return 0;
}

}  // namespace edgeplan::cli
