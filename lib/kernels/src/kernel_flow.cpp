// Lowering every task of a dataflow, and the message views between their arenas.
#include "edgeplan/kernels/kernel_flow.h"

#include <stdexcept>

#include "edgeplan/kernels/interpreter.h"

namespace edgeplan {

namespace {

kern::View packed_map(const Shape& s) { return kern::packed_view(s.c, s.h, s.w); }

}  // namespace

KernelFlow lower_flow(const Graph& graph, const ModelWeights& weights, const Dataflow& flow, const LoweringOptions& options) {
  KernelFlow kf;
  kf.output = graph.layer(graph.size() - 1).out;
  kf.precision = options.precision;
  for (const FlowTask& t : flow.tasks) {
    KernelTask kt;
    if (t.kind == FlowTask::Kind::Part) kt.plan = lower_task(graph, weights, part_regions(graph, t.layers, t.owned), options);
    if (t.kind == FlowTask::Kind::Tail) kt.plan = lower_task(graph, weights, whole_regions(graph, t.layers), options);
    kt.arena_elements = kt.plan.arena_elements;
    if (t.kind == FlowTask::Kind::Image) kt.arena_elements = graph.input_shape().elements();
    if (t.kind == FlowTask::Kind::Result) kt.arena_elements = kf.output.elements();
    kf.tasks.push_back(std::move(kt));
  }
  for (std::size_t m = 0; m < flow.messages.size(); ++m) {
    const FlowMessage& msg = flow.messages[m];
    const Shape& s = graph.tensor_shape(msg.tensor);
    const FlowTask& src = flow.tasks.at(static_cast<std::size_t>(msg.src_task));
    const FlowTask& dst = flow.tasks.at(static_cast<std::size_t>(msg.dst_task));
    const KernelPlan& sp = kf.tasks[static_cast<std::size_t>(msg.src_task)].plan;
    const KernelPlan& dp = kf.tasks[static_cast<std::size_t>(msg.dst_task)].plan;
    const int id = static_cast<int>(m);
    kf.tasks[static_cast<std::size_t>(msg.src_task)].sends[id] =
        src.kind == FlowTask::Kind::Image
            ? sub_view(packed_map(s), full_region(s), msg.region)
            : sub_view(sp.outputs.at(msg.tensor), sp.regions.outputs.at(msg.tensor), msg.region);
    kf.tasks[static_cast<std::size_t>(msg.dst_task)].receives[id] =
        dst.kind == FlowTask::Kind::Result
            ? sub_view(packed_map(s), full_region(s), msg.region)
            : sub_view(dp.inputs.at(msg.tensor), dp.regions.inputs.at(msg.tensor), msg.region);
  }
  return kf;
}

std::vector<float> run_kernel_flow(const Dataflow& flow, const KernelFlow& kernels, const std::vector<float>& chw, int threads) {
  std::vector<std::vector<float>> arenas(kernels.tasks.size());
  for (std::size_t t = 0; t < kernels.tasks.size(); ++t) {  // tasks are in dependency order
    const KernelTask& kt = kernels.tasks[t];
    arenas[t].assign(static_cast<std::size_t>(kt.arena_elements), 0.0f);
    if (flow.tasks[t].kind == FlowTask::Kind::Image) {
      if (chw.size() != arenas[t].size()) throw std::logic_error("the image has the wrong size");
      arenas[t] = chw;
      if (kernels.precision == ElementType::F16)
        for (float& x : arenas[t]) x = round_to_half(x);
    }
    for (int m : flow.tasks[t].inputs) {
      const FlowMessage& msg = flow.messages.at(static_cast<std::size_t>(m));
      copy_view(arenas.at(static_cast<std::size_t>(msg.src_task)).data(), kernels.tasks[static_cast<std::size_t>(msg.src_task)].sends.at(m),
                arenas[t].data(), kt.receives.at(m));
    }
    interpret(kt.plan, arenas[t].data(), threads);
  }
  return arenas.back();
}

}  // namespace edgeplan
