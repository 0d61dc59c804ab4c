// Plan -> tasks and messages: each part receives exactly the rows (halos included) it reads
// of tensors made before its volume, from the parts that own them; the tail receives whole
// tensors; the result travels to the output device.
#include "edgeplan/plan/dataflow.h"

#include <algorithm>
#include <set>

namespace edgeplan {

namespace {

int task_index(const Dataflow& f) { return static_cast<int>(f.tasks.size()); }

struct Builder {
  const Graph& graph;
  const Plan& plan;
  Dataflow flow;
  std::vector<int> volume_of_layer;
  std::vector<int> first_task_of_volume;

  Builder(const Graph& g, const Plan& p) : graph(g), plan(p), volume_of_layer(static_cast<std::size_t>(g.size()), -1) {}

  int device_index(const std::string& id) const {
    const auto it = std::find(flow.devices.begin(), flow.devices.end(), id);
    if (it == flow.devices.end()) throw PlanError("plan device '" + id + "' is not one of the devices to run it on");
    return static_cast<int>(it - flow.devices.begin());
  }

  int add_task(FlowTask t) {
    flow.tasks.push_back(std::move(t));
    return task_index(flow) - 1;
  }

  void add_message(int src, int dst, int tensor, const Region& region) {
    if (region.empty()) return;
    FlowMessage m{src, dst, tensor, region, graph.tensor_shape(tensor).c};
    const int id = static_cast<int>(flow.messages.size());
    flow.messages.push_back(m);
    flow.tasks[static_cast<std::size_t>(src)].outputs.push_back(id);
    flow.tasks[static_cast<std::size_t>(dst)].inputs.push_back(id);
  }

  // Messages carrying `want` of tensor t (the image, or made by an earlier volume) to `dst`.
  void add_inputs_from_owners(int t, const Region& want, int dst) {
    if (t == kModelInput) {
      add_message(0, dst, t, want);
      return;
    }
    const int u = volume_of_layer[static_cast<std::size_t>(t)];
    const Volume& vu = plan.volumes[static_cast<std::size_t>(u)];
    const Shape& anchor = graph.layer(vu.anchor()).out;
    for (std::size_t k = 0; k < vu.parts.size(); ++k) {
      const Region owned = scale_region(vu.parts[k].region, anchor, graph.tensor_shape(t));
      add_message(first_task_of_volume[static_cast<std::size_t>(u)] + static_cast<int>(k), dst, t,
                  Region{intersect(owned.rows, want.rows), intersect(owned.cols, want.cols)});
    }
  }
};

}  // namespace

bool Dataflow::crosses(int message) const {
  const FlowMessage& m = messages.at(static_cast<std::size_t>(message));
  return device_of(m.src_task) != device_of(m.dst_task);
}

std::string Dataflow::describe(int task) const {
  const FlowTask& t = tasks.at(static_cast<std::size_t>(task));
  const std::string layers = "layers " + std::to_string(t.layers.first) + "-" + std::to_string(t.layers.last - 1);
  switch (t.kind) {
    case FlowTask::Kind::Image: return "the input image";
    case FlowTask::Kind::Result: return "the result";
    case FlowTask::Kind::Tail: return "the tail (" + layers + ")";
    case FlowTask::Kind::Part: break;
  }
  return "part " + std::to_string(t.part + 1) + " of volume " + std::to_string(t.volume + 1) + " (" + layers + ")";
}

std::map<int, Region> part_owned(const Graph& graph, const Volume& volume, const Part& part) {
  std::map<int, Region> owned;
  const Shape& anchor = graph.layer(volume.anchor()).out;
  for (int t : graph.live_outputs(volume.layers)) {
    const Region r = scale_region(part.region, anchor, graph.tensor_shape(t));
    if (!r.empty()) owned[t] = r;
  }
  return owned;
}

Dataflow compile_dataflow(const Graph& graph, const Plan& plan, const std::vector<std::string>& devices, int input_device,
                          int output_device) {
  const int nd = static_cast<int>(devices.size());
  if (input_device < 0 || input_device >= nd || output_device < 0 || output_device >= nd)
    throw PlanError("dataflow: input or output device out of range");
  Builder b(graph, plan);
  b.flow.devices = devices;
  const int n_vol = static_cast<int>(plan.volumes.size());
  FlowTask image;
  image.kind = FlowTask::Kind::Image;
  image.device = input_device;
  b.add_task(image);
  for (int v = 0; v < n_vol; ++v) {
    const Volume& vol = plan.volumes[static_cast<std::size_t>(v)];
    for (int l = vol.layers.first; l < vol.layers.last; ++l) b.volume_of_layer[static_cast<std::size_t>(l)] = v;
    b.first_task_of_volume.push_back(task_index(b.flow));
    for (std::size_t k = 0; k < vol.parts.size(); ++k) {
      FlowTask t;
      t.kind = FlowTask::Kind::Part;
      t.device = b.device_index(vol.parts[k].device);
      t.volume = v;
      t.part = static_cast<int>(k);
      t.layers = vol.layers;
      t.owned = part_owned(graph, vol, vol.parts[k]);
      const VolumeRegions need = required_regions(graph, vol.layers, t.owned);
      const int id = b.add_task(std::move(t));
      for (const auto& [tensor, region] : need.inputs) b.add_inputs_from_owners(tensor, region, id);
    }
  }
  FlowTask result;
  result.kind = FlowTask::Kind::Result;
  result.device = output_device;
  result.volume = n_vol + 1;
  const int last = graph.size() - 1;
  if (plan.tail) {
    FlowTask tail;
    tail.kind = FlowTask::Kind::Tail;
    tail.device = b.device_index(plan.tail->device);
    tail.volume = n_vol;
    tail.layers = plan.tail->layers;
    const int id = b.add_task(std::move(tail));
    std::set<int> read;  // tensors made before the tail that it reads, each received once
    for (int l = plan.tail->layers.first; l < plan.tail->layers.last; ++l)
      for (int t : graph.layer(l).inputs)
        if (t < plan.tail->layers.first) read.insert(t);
    for (int t : read) b.add_inputs_from_owners(t, full_region(graph.tensor_shape(t)), id);
    const int sink = b.add_task(result);
    b.add_message(id, sink, last, full_region(graph.tensor_shape(last)));
  } else {
    const int sink = b.add_task(result);
    b.add_inputs_from_owners(last, full_region(graph.tensor_shape(last)), sink);
  }
  b.flow.device_tasks.assign(static_cast<std::size_t>(nd), {});
  for (int i = 0; i < task_index(b.flow); ++i) {
    const FlowTask& t = b.flow.tasks[static_cast<std::size_t>(i)];
    if (t.kind == FlowTask::Kind::Part || t.kind == FlowTask::Kind::Tail)
      b.flow.device_tasks[static_cast<std::size_t>(t.device)].push_back(i);
  }
  return std::move(b.flow);
}

}  // namespace edgeplan
