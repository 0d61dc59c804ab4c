// What a plan makes devices do, written out: the tasks each device runs in order and every
// message (which rows of which tensor, from which task to which) between them. The replay
// executes exactly this; the simulator times the same tasks and messages (its own compact
// compilation is tested to agree byte for byte).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "edgeplan/model/graph.h"
#include "edgeplan/model/region.h"
#include "edgeplan/plan/plan.h"

namespace edgeplan {

struct FlowTask {
  enum class Kind { Image, Part, Tail, Result };
  Kind kind = Kind::Part;
  int device = 0;      // index into Dataflow::devices
  int volume = -1;     // plan volume of a part; -1 the image, volumes() the tail, volumes()+1 the result
  int part = -1;       // index of the part in its volume
  LayerRange layers;   // the layers a part or the tail computes (empty for image / result)
  std::map<int, Region> owned;  // a part: its share of each live output of the volume
  std::vector<int> inputs;      // messages this task waits for (indices into Dataflow::messages)
  std::vector<int> outputs;     // messages it sends when done
};

struct FlowMessage {
  int src_task = 0, dst_task = 0;
  int tensor = kModelInput;  // tensor id (kModelInput: the image)
  Region region;             // rows x cols of that tensor, all channels
  int channels = 0;
  std::int64_t elements() const { return std::int64_t{region.rows.size()} * region.cols.size() * channels; }
};

struct Dataflow {
  std::vector<std::string> devices;  // device ids; tasks and messages index into this
  std::vector<FlowTask> tasks;       // task 0 is the image, the last one the result
  std::vector<FlowMessage> messages;
  // Tasks of each device in the order it runs them (plan order, as the simulator assumes).
  std::vector<std::vector<int>> device_tasks;

  int device_of(int task) const { return tasks.at(static_cast<std::size_t>(task)).device; }
  bool crosses(int message) const;  // between two different devices
  // One line naming a task, e.g. "part 2 of volume 5 (layers 10-14)".
  std::string describe(int task) const;
};

// What a part of `volume` owns: its share of every live output of the volume (its anchor
// rectangle scaled onto each), as its task hands them on (FlowTask::owned).
std::map<int, Region> part_owned(const Graph& graph, const Volume& volume, const Part& part);

// Compiles a plan valid for `graph`. `devices` must contain every device of the plan; the
// image starts on devices[input_device] and the result must end on devices[output_device].
// Throws PlanError if a plan device is not in `devices` or an index is out of range.
Dataflow compile_dataflow(const Graph& graph, const Plan& plan, const std::vector<std::string>& devices, int input_device,
                          int output_device);

}  // namespace edgeplan
