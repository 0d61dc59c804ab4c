// The CUDA executor on a GPU: every zoo model whole and split (devices as streams) against the
// CPU reference executor, the task timer, and the one-line refusals. Without a GPU (or a
// build without EDGEPLAN_CUDA) each case says why and CTest reports it skipped.
#include <catch2/catch.hpp>

#include "edgeplan/cuda/cuda_backend.h"
#include "edgeplan/kernels/kernel_flow.h"
#include "edgeplan/model/error.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/runtime/flow_runner.h"
#include "edgeplan/strategy/simple_plans.h"

using namespace edgeplan;

namespace {

// fp32, TF32 off: the tolerance docs/cuda.md gives (cuDNN's FFT / Winograd round differently).
constexpr double kTolerance = 1e-3;

bool skip_without_gpu() {
  const CudaInfo info = cuda_info();
  if (info.available) return false;
  WARN("SKIPPED: " << info.describe());
  return true;
}

}  // namespace

TEST_CASE("cuda: without a GPU every call refuses in one line") {
  const CudaInfo info = cuda_info();
  if (info.available) {
    WARN("SKIPPED: a GPU is present (" << info.describe() << ")");
    return;
  }
  CHECK_FALSE(info.reason.empty());
  CHECK(info.describe().find('\n') == std::string::npos);
  CHECK_THROWS_AS(require_cuda(), Error);
  const Graph g = build_model("alexnet");
  const Plan plan = make_even_plan(g, {"d0"}, {LayerRange{0, g.body_end()}});
  const Dataflow flow = compile_dataflow(g, plan, plan.devices, 0, 0);
  CHECK_THROWS_AS(cuda_run_flow(flow, KernelFlow{}, {}), Error);
}

TEST_CASE("cuda: every zoo model on one GPU stream equals the CPU reference") {
  if (skip_without_gpu()) return;
  for (const std::string& name : zoo_model_names()) {
    const Graph g = build_model(name);
    const CpuExecutor reference(g);
    const std::vector<float> want = reference.run_monolithic();
    const ModelWeights w = model_weights(g, 1);
    const Plan plan = make_even_plan(g, {"d0"}, {LayerRange{0, g.body_end()}});
    const Dataflow flow = compile_dataflow(g, plan, plan.devices, 0, 0);
    CudaRunOptions o;
    o.repeat = 3;
    const CudaRunResult r = cuda_run_flow(flow, lower_flow(g, w, flow), model_input_values(g, {}), o);
    INFO(name);
    CHECK(r.latency_ms.size() == 3);
    CHECK(max_relative_error(r.output, want) <= kTolerance);
  }
}

TEST_CASE("cuda: random split plans, devices as streams, equal the CPU reference") {
  if (skip_without_gpu()) return;
  for (const char* name : {"resnet18", "googlenet", "mobilenet_v2"}) {
    const Graph g = build_model(name, Shape{3, 128, 128});
    const std::vector<float> want = CpuExecutor(g).run_monolithic();
    const ModelWeights w = model_weights(g, 1);
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      const Plan plan = make_random_plan(g, seed);
      const Dataflow flow = compile_dataflow(g, plan, plan.devices, 0, static_cast<int>(plan.devices.size()) - 1);
      CudaRunOptions o;
      o.repeat = 2;
      const CudaRunResult r = cuda_run_flow(flow, lower_flow(g, w, flow), model_input_values(g, {}), o);
      INFO(name << " seed " << seed);
      CHECK(r.streams == static_cast<int>(plan.devices.size()));
      CHECK(max_relative_error(r.output, want) <= kTolerance);
    }
  }
}

TEST_CASE("cuda: fp16 mode (half storage, fp32 accumulation) within its tolerance of the CPU reference") {
  if (skip_without_gpu()) return;
  for (const char* name : {"resnet18", "mobilenet_v2", "yolov2"}) {
    const Graph g = build_model(name);
    const std::vector<float> want = CpuExecutor(g).run_monolithic();
    const Plan plan = make_random_plan(g, 3);
    const Dataflow flow = compile_dataflow(g, plan, plan.devices, 0, static_cast<int>(plan.devices.size()) - 1);
    LoweringOptions half;
    half.precision = ElementType::F16;
    const KernelFlow kf = lower_flow(g, model_weights(g, 1), flow, half);
    CudaRunOptions o;
    o.repeat = 2;
    const CudaRunResult r = cuda_run_flow(flow, kf, model_input_values(g, {}), o);
    INFO(name);
    CHECK(max_relative_error(r.output, want) <= 2e-2);  // docs/cuda.md
    // Closer still to the host's emulation of the same fp16 storage.
    CHECK(max_relative_error(r.output, run_kernel_flow(flow, kf, model_input_values(g, {}), 4)) <= 1e-2);
  }
}

TEST_CASE("cuda: the task timer runs one layer's stripe and times it with events") {
  if (skip_without_gpu()) return;
  const Graph g = build_model("vgg16");
  ModelWeights w;
  w.layers.resize(static_cast<std::size_t>(g.size()));
  w.layers[2] = layer_params(g, 2, 1);
  const Region out{Interval{100, 110}, Interval{0, g.layer(2).out.w}};
  const std::function<double()> run = cuda_task_timer(lower_task(g, w, layer_regions(g, 2, out)));
  for (int i = 0; i < 3; ++i) CHECK(run() > 0);
}
