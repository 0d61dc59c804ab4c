// Plan -> per-part ONNX models + manifest, following the same dataflow the replay runs.
#include "edgeplan/onnx/plan_export.h"

#include <nlohmann/json.hpp>

#include "edgeplan/onnx/onnx_model.h"
#include "edgeplan/plan/dataflow.h"
#include "onnx_writer.h"

namespace edgeplan {

namespace {

using nlohmann::json;

std::string task_id(const Dataflow& f, int task) {
  const FlowTask& t = f.tasks.at(static_cast<std::size_t>(task));
  switch (t.kind) {
    case FlowTask::Kind::Image: return "image";
    case FlowTask::Kind::Result: return "result";
    case FlowTask::Kind::Tail: return "tail";
    case FlowTask::Kind::Part: break;
  }
  return "v" + std::to_string(t.volume) + ".p" + std::to_string(t.part);
}

json span(const Interval& i) { return json::array({i.begin, i.end}); }

json tensor_ref(const std::string& name, int tensor, const Region& r, int channels) {
  return {{"name", name}, {"tensor", tensor}, {"rows", span(r.rows)}, {"cols", span(r.cols)}, {"channels", channels}};
}

std::string in_name(int t) { return "in.t" + std::to_string(t); }
std::string out_name(int t) { return "out.t" + std::to_string(t); }

// One part: its inputs are the regions required_regions() names, its outputs the rows it owns.
std::string part_model(const Graph& g, const ModelWeights& w, const FlowTask& t, json& entry) {
  detail::OnnxWriter out(g.name() + " v" + std::to_string(t.volume) + " p" + std::to_string(t.part));
  const VolumeRegions vr = required_regions(g, t.layers, t.owned);
  std::map<int, std::string> name;
  std::map<int, Region> have;
  for (const auto& [tensor, r] : vr.inputs) {
    const int c = g.tensor_shape(tensor).c;
    out.input(in_name(tensor), {1, c, r.rows.size(), r.cols.size()});
    entry["inputs"].push_back(tensor_ref(in_name(tensor), tensor, r, c));
    name[tensor] = in_name(tensor);
    have[tensor] = r;
  }
  for (int l = t.layers.first; l < t.layers.last; ++l) {
    const Region& want = vr.out(l);
    if (want.empty()) continue;
    std::vector<std::string> ins;
    std::vector<Region> haves;
    for (int i : g.layer(l).inputs) {  // absent: none of it is needed (a transposed convolution's gaps)
      ins.push_back(name.count(i) ? name.at(i) : "");
      haves.push_back(have.count(i) ? have.at(i) : Region{});
    }
    name[l] = "l" + std::to_string(l);
    out.region_layer(g, w, l, ins, haves, want, name[l]);
    have[l] = want;
  }
  for (const auto& [tensor, r] : t.owned) {
    const int c = g.tensor_shape(tensor).c;
    out.node("Identity", "owned." + std::to_string(tensor), {out.crop(name.at(tensor), have.at(tensor), r)}, out_name(tensor));
    out.output(out_name(tensor), {1, c, r.rows.size(), r.cols.size()});
    entry["outputs"].push_back(tensor_ref(out_name(tensor), tensor, r, c));
  }
  return out.serialize();
}

// The tail: whole layers from the whole maps it reads.
std::string tail_model(const Graph& g, const ModelWeights& w, const FlowTask& t, json& entry) {
  detail::OnnxWriter out(g.name() + " tail");
  std::map<int, std::string> name;
  for (int tensor : g.external_inputs(t.layers)) {
    const Shape& s = g.tensor_shape(tensor);
    out.input(in_name(tensor), {1, s.c, s.h, s.w});
    entry["inputs"].push_back(tensor_ref(in_name(tensor), tensor, full_region(s), s.c));
    name[tensor] = in_name(tensor);
  }
  const int last = t.layers.last - 1;
  for (int l = t.layers.first; l <= last; ++l) {
    std::vector<std::string> ins;
    for (int i : g.layer(l).inputs) ins.push_back(name.at(i));
    name[l] = l == last ? out_name(l) : "l" + std::to_string(l);
    out.full_layer(g, w, l, ins, name[l]);
  }
  const Shape& o = g.layer(last).out;
  out.output(out_name(last), detail::OnnxWriter::output_dims(g, last));
  entry["outputs"].push_back(tensor_ref(out_name(last), last, full_region(o), o.c));
  return out.serialize();
}

}  // namespace

PlanExport export_plan_onnx(const Graph& g, const ModelWeights& w, const Plan& plan, const std::vector<std::string>& devices,
                            int input_device, int output_device) {
  validate_plan(plan, g);
  if (static_cast<int>(w.layers.size()) != g.size()) throw OnnxError("export: weights do not match the model");
  const Dataflow f = compile_dataflow(g, plan, devices, input_device, output_device);
  PlanExport result;
  json manifest;
  manifest["format"] = kPartsFormat;
  manifest["model"] = {{"name", g.name()}, {"input", {g.input_shape().c, g.input_shape().h, g.input_shape().w}}};
  if (!g.origin().empty()) {
    manifest["model"]["onnx"] = g.origin().onnx_path;
    manifest["model"]["sha256"] = g.origin().sha256;
  }
  manifest["devices"] = f.devices;
  manifest["image"] = {{"device", f.devices.at(static_cast<std::size_t>(input_device))}, {"tensor", kModelInput}};
  manifest["result"] = {{"device", f.devices.at(static_cast<std::size_t>(output_device))}, {"tensor", g.size() - 1}};
  json tensors = json::object();
  auto note_tensor = [&](int t) {
    const Shape& s = g.tensor_shape(t);
    tensors[std::to_string(t)] = {s.c, s.h, s.w};
  };
  manifest["tasks"] = json::array();
  for (std::size_t i = 0; i < f.tasks.size(); ++i) {
    const FlowTask& t = f.tasks[i];
    if (t.kind != FlowTask::Kind::Part && t.kind != FlowTask::Kind::Tail) continue;
    const std::string id = task_id(f, static_cast<int>(i));
    json entry = {{"id", id},
                  {"kind", t.kind == FlowTask::Kind::Tail ? "tail" : "part"},
                  {"file", id + ".onnx"},
                  {"device", f.devices.at(static_cast<std::size_t>(t.device))},
                  {"layers", {t.layers.first, t.layers.last}},
                  {"inputs", json::array()},
                  {"outputs", json::array()}};
    if (t.kind == FlowTask::Kind::Part) {
      entry["volume"] = t.volume;
      entry["part"] = t.part;
    }
    std::string bytes = t.kind == FlowTask::Kind::Tail ? tail_model(g, w, t, entry) : part_model(g, w, t, entry);
    for (const auto& io : {entry["inputs"], entry["outputs"]})
      for (const auto& r : io) note_tensor(r["tensor"].get<int>());
    result.files.push_back(ExportedFile{id + ".onnx", std::move(bytes)});
    manifest["tasks"].push_back(entry);
  }
  manifest["messages"] = json::array();
  for (const FlowMessage& m : f.messages) {
    note_tensor(m.tensor);
    manifest["messages"].push_back({{"from", task_id(f, m.src_task)},
                                    {"to", task_id(f, m.dst_task)},
                                    {"from_device", f.devices.at(static_cast<std::size_t>(f.device_of(m.src_task)))},
                                    {"to_device", f.devices.at(static_cast<std::size_t>(f.device_of(m.dst_task)))},
                                    {"tensor", m.tensor},
                                    {"rows", span(m.region.rows)},
                                    {"cols", span(m.region.cols)},
                                    {"channels", m.channels}});
  }
  manifest["tensors"] = tensors;
  json order = json::object();
  for (std::size_t d = 0; d < f.devices.size(); ++d) {
    json ids = json::array();
    for (int task : f.device_tasks[d]) ids.push_back(task_id(f, task));
    order[f.devices[d]] = ids;
  }
  manifest["order"] = order;
  result.files.push_back(ExportedFile{"manifest.json", manifest.dump(2) + "\n"});
  return result;
}

}  // namespace edgeplan
