// A compiled plan (Dataflow) lowered task by task: each task's kernel plan and, for every
// message, where its payload lies in the sending task's arena and where it lands in the
// receiving task's. The CUDA replay and the host runner execute exactly this.
#pragma once
#include <map>
#include <vector>

#include "edgeplan/kernels/kernel_plan.h"
#include "edgeplan/plan/dataflow.h"

namespace edgeplan {

struct KernelTask {
  KernelPlan plan;                     // parts and the tail; the image and result tasks have no kernels
  std::int64_t arena_elements = 0;     // the image task's arena is the image, the result's the output map
  std::map<int, kern::View> sends;     // message -> its cells in this task's arena
  std::map<int, kern::View> receives;  // message -> where they land in this task's arena
};

struct KernelFlow {
  std::vector<KernelTask> tasks;  // one per Dataflow task, same order (dependency order)
  Shape output;                   // the model output (the result task's arena, packed)
  ElementType precision = ElementType::F32;
};

KernelFlow lower_flow(const Graph& graph, const ModelWeights& weights, const Dataflow& flow, const LoweringOptions& options = {});

// Runs every task on the host (interpreter), passing messages by copying views: the model
// output (C*H*W) for the image `chw` (rounded to half first in fp16, as the GPU receives it).
std::vector<float> run_kernel_flow(const Dataflow& flow, const KernelFlow& kernels, const std::vector<float>& chw, int threads = 1);

}  // namespace edgeplan
