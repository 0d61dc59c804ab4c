// The lowering against the libtorch reference executor: every zoo model, whole and split by
// random plans, run by the host interpreter (the CUDA kernels' own cell functions).
#include <catch2/catch.hpp>

#include "edgeplan/kernels/interpreter.h"
#include "edgeplan/kernels/kernel_flow.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/runtime/flow_runner.h"
#include "edgeplan/strategy/simple_plans.h"
#include "kernel_test_util.h"

using namespace edgeplan;

TEST_CASE("kernel lowering: every zoo model, whole and split, matches the reference executor") {
  for (const std::string& name : zoo_model_names()) {
    const Graph full = build_model(name);
    // A quarter of the input as in the flow runner's test (YOLOv2 needs a multiple of 32), at least 64.
    const int side = std::max(64, full.input_shape().h / 4 / 32 * 32);
    const Graph g = full.input_shape().h <= 64 ? full : build_model(name, Shape{3, side, side});
    ExecutorOptions o;
    o.threads = 1;
    const CpuExecutor reference(g, o);
    const std::vector<float> want = reference.run_monolithic();
    const ModelWeights w = model_weights(g, o.weight_seed);
    const std::vector<float> image = model_input_values(g, o);
    // The whole model as one device's plan, then two random split plans.
    std::vector<Plan> plans = {make_even_plan(g, {"d0"}, {LayerRange{0, g.body_end()}})};
    for (std::uint64_t seed = 1; seed <= 2; ++seed) plans.push_back(make_random_plan(g, seed * 31 + 5));
    for (std::size_t i = 0; i < plans.size(); ++i) {
      const Dataflow flow = compile_dataflow(g, plans[i], plans[i].devices, 0, static_cast<int>(plans[i].devices.size()) - 1);
      const KernelFlow kf = lower_flow(g, w, flow);
      INFO(name << " " << to_string(g.input_shape()) << " plan " << i);
      for (const KernelTask& t : kf.tasks) CHECK_NOTHROW(check_kernel_plan(t.plan));  // what the GPU needs beyond exactness
      // Batch norm folded into the convolutions rounds differently: 1e-4 of the output's range.
      CHECK(max_relative_error(run_kernel_flow(flow, kf, image), want) <= 1e-4);
      if (i == 1) {  // fp16 storage (as the GPU's fp16 mode keeps it): within the fp16 tolerance
        LoweringOptions half;
        half.precision = ElementType::F16;
        const double e = max_relative_error(run_kernel_flow(flow, lower_flow(g, w, flow, half), image), want);
        CHECK(e <= 2e-2);  // docs/cuda.md: up to 5.7e-3 here (mobilenet_v2)
      }
    }
  }
}

TEST_CASE("kernel lowering: every layer kind, and a squeeze-and-excitation block, match the reference executor") {
  for (Graph g : {test::all_kinds(), test::squeeze_excite()}) {
    g.set_weights(std::make_shared<const ModelWeights>(seeded_model_weights(g, 5)));  // both executors use these
    ExecutorOptions o;
    o.threads = 1;
    const std::vector<float> want = CpuExecutor(g, o).run_monolithic();
    const std::vector<float> image = model_input_values(g, o);
    std::vector<Plan> plans = {make_even_plan(g, {"d0"}, {LayerRange{0, g.body_end()}})};
    for (std::uint64_t seed = 1; seed <= 4; ++seed) plans.push_back(make_random_plan(g, seed));
    for (std::size_t i = 0; i < plans.size(); ++i) {
      const Dataflow flow = compile_dataflow(g, plans[i], plans[i].devices, 0, static_cast<int>(plans[i].devices.size()) - 1);
      INFO(g.name() << " plan " << i);
      CHECK(max_relative_error(run_kernel_flow(flow, lower_flow(g, *g.weights(), flow), image), want) <= 1e-5);
    }
  }
}
