// Task execution over message payloads: assemble inputs, compute, cut outgoing messages.
#include "edgeplan/runtime/flow_runner.h"

#include "edgeplan/runtime/wire_format.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace edgeplan {

void FlowRunner::prepare_device(int device) {
  for (int t : flow_.device_tasks.at(static_cast<std::size_t>(device))) runner_.prepare(flow_.tasks[static_cast<std::size_t>(t)].layers);
}

std::map<int, RegionData> FlowRunner::assemble(int task, const std::map<int, const RegionData*>& received) const {
  std::map<int, Region> hulls;
  std::map<int, int> channels;
  const FlowTask& t = flow_.tasks.at(static_cast<std::size_t>(task));
  for (int m : t.inputs) {
    const FlowMessage& msg = flow_.messages[static_cast<std::size_t>(m)];
    hulls[msg.tensor] = hull(hulls[msg.tensor], msg.region);
    channels[msg.tensor] = msg.channels;
  }
  std::map<int, RegionData> buffers;
  for (const auto& [tensor, region] : hulls) buffers[tensor] = make_region_data(region, channels[tensor]);
  for (int m : t.inputs) {
    const auto it = received.find(m);
    if (it == received.end() || it->second == nullptr)
      throw std::logic_error(flow_.describe(task) + " is missing input message " + std::to_string(m));
    const FlowMessage& msg = flow_.messages[static_cast<std::size_t>(m)];
    if (it->second->region != msg.region || it->second->channels != msg.channels)
      throw std::logic_error("message " + std::to_string(m) + " holds other rows than the plan says");
    paste(buffers[msg.tensor], *it->second);
  }
  return buffers;
}

std::vector<RegionData> FlowRunner::messages_out(int task, const std::map<int, RegionData>& produced) const {
  std::vector<RegionData> out;
  for (int m : flow_.tasks.at(static_cast<std::size_t>(task)).outputs) {
    const FlowMessage& msg = flow_.messages[static_cast<std::size_t>(m)];
    out.push_back(crop(produced.at(msg.tensor), msg.region));
  }
  return out;
}

std::vector<RegionData> FlowRunner::run_task(int task, const std::map<int, const RegionData*>& received) const {
  const FlowTask& t = flow_.tasks.at(static_cast<std::size_t>(task));
  std::vector<RegionData> out;
  if (t.kind == FlowTask::Kind::Result) return out;
  if (t.kind == FlowTask::Kind::Image) {
    for (int m : t.outputs) out.push_back(runner_.image(flow_.messages[static_cast<std::size_t>(m)].region));
    return out;
  }
  const std::map<int, RegionData> inputs = assemble(task, received);
  std::map<int, RegionData> produced;
  if (t.kind == FlowTask::Kind::Tail) {
    const int last = t.layers.last - 1;
    produced[last] = runner_.run_tail(t.layers, inputs);
  } else {
    produced = runner_.run_part(t.layers, t.owned, inputs);
  }
  return messages_out(task, produced);
}

RegionData FlowRunner::assemble_result(const std::map<int, const RegionData*>& received) const {
  const int sink = static_cast<int>(flow_.tasks.size()) - 1;
  std::map<int, RegionData> parts = assemble(sink, received);
  if (parts.size() != 1) throw std::logic_error("the result must be one tensor");
  return std::move(parts.begin()->second);
}

RegionData run_locally(const Dataflow& flow, PartRunner& runner, const ElementSizes& wire) {
  const FlowRunner fr(flow, runner);
  std::vector<RegionData> payload(flow.messages.size());
  std::map<int, const RegionData*> all;
  for (std::size_t task = 0; task + 1 < flow.tasks.size(); ++task) {  // tasks are in dependency order
    std::vector<RegionData> out = fr.run_task(static_cast<int>(task), all);
    const std::vector<int>& ids = flow.tasks[task].outputs;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (flow.crosses(ids[i])) round_to_wire(out[i].values, wire.type_of(flow.messages[static_cast<std::size_t>(ids[i])].tensor));
      payload[static_cast<std::size_t>(ids[i])] = std::move(out[i]);
      all[ids[i]] = &payload[static_cast<std::size_t>(ids[i])];
    }
  }
  return fr.assemble_result(all);
}

}  // namespace edgeplan
