// Executes tasks of a compiled plan (Dataflow) from the payloads of their input messages, as
// each device of a replay does; run_locally() runs them all in one process (tests, checks).
#pragma once
#include <map>
#include <vector>

#include "edgeplan/compute/compare.h"  // max_relative_error
#include "edgeplan/model/element_type.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/runtime/part_runner.h"

namespace edgeplan {

class FlowRunner {
 public:
  FlowRunner(const Dataflow& flow, PartRunner& runner) : flow_(flow), runner_(runner) {}

  // Makes the weights of every task of `device` (so that timed runs do not pay for them).
  void prepare_device(int device);
  // Runs `task` from `received` (message id -> payload; every input message of the task
  // must be present) and returns the payloads of its output messages, in task.outputs
  // order. The result task returns nothing; use assemble_result().
  std::vector<RegionData> run_task(int task, const std::map<int, const RegionData*>& received) const;
  // The model output, pasted together from the result task's input messages.
  RegionData assemble_result(const std::map<int, const RegionData*>& received) const;

  // The two halves of run_task, for runners that compute a part in steps (early exits):
  // one buffer per tensor the task reads, holding the hull of the pieces received for it;
  // and the payloads of its output messages cut out of what it produced (tensor -> data).
  std::map<int, RegionData> assemble(int task, const std::map<int, const RegionData*>& received) const;
  std::vector<RegionData> messages_out(int task, const std::map<int, RegionData>& produced) const;

 private:

  const Dataflow& flow_;
  PartRunner& runner_;
};

// Runs every task in one process, passing messages in memory; returns the model output.
// Messages between two devices arrive as `wire` carries them (rounded to fp16, the image to
// 8-bit levels): the exact reference of a replay of that deployment.
RegionData run_locally(const Dataflow& flow, PartRunner& runner, const ElementSizes& wire = {});


}  // namespace edgeplan
