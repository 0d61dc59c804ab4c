// Trained exit heads (edgeplan.exits/v1): strict reading, and their check against a plan.
#include "edgeplan/plan/plan_exits.h"

#include <cmath>

#include "edgeplan/jsonio/fields.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/onnx/onnx_model.h"

namespace edgeplan {

using nlohmann::json;

namespace {

constexpr long long kMaxSize = 1 << 20;

std::vector<float> floats_at(const json& j, const char* key, const std::string& where, std::size_t size) {
  const json& a = jsonio::array_at<PlanError>(j, key, where);
  const std::string w = where + "." + key;
  if (a.size() != size) throw PlanError(w + ": has " + std::to_string(a.size()) + " values, expected " + std::to_string(size));
  std::vector<float> out;
  out.reserve(size);
  for (std::size_t i = 0; i < a.size(); ++i) out.push_back(static_cast<float>(jsonio::number_value<PlanError>(a[i], w + "[" + std::to_string(i) + "]", -1e6, 1e6)));
  return out;
}

}  // namespace

const TrainedHead* TrainedHeads::find(const std::string& name) const {
  for (const TrainedHead& h : heads)
    if (h.name == name) return &h;
  return nullptr;
}

TrainedHeads parse_exit_heads(const std::string& text, const std::string& name) {
  try {
    const json j = jsonio::parse_text<PlanError>(text);
    if (!j.is_object()) throw PlanError("top level must be a JSON object");
    const std::string format = jsonio::string_at<PlanError>(j, "format", "heads");
    if (format != kExitHeadsFormat) throw PlanError("format is '" + format + "', expected '" + std::string(kExitHeadsFormat) + "'");
    TrainedHeads t;
    t.model = jsonio::string_at<PlanError>(j, "model", "heads");
    t.onnx_sha256 = jsonio::string_at<PlanError>(j, "onnx_sha256", "heads");
    t.sha256 = sha256_hex(text);
    const json& list = jsonio::array_at<PlanError>(j, "exits", "heads");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string w = "heads.exits[" + std::to_string(i) + "]";
      const json& h = list[i];
      TrainedHead head;
      head.name = jsonio::string_at<PlanError>(h, "name", w);
      head.after = static_cast<int>(jsonio::index_value<PlanError>(jsonio::field<PlanError>(h, "after", w), w + ".after", kMaxSize));
      head.classes = static_cast<int>(jsonio::index_value<PlanError>(jsonio::field<PlanError>(h, "classes", w), w + ".classes", 1 << 16));
      head.channels = static_cast<int>(jsonio::index_value<PlanError>(jsonio::field<PlanError>(h, "channels", w), w + ".channels", 1 << 16));
      if (head.classes < 2 || head.channels < 1) throw PlanError(w + ": needs at least 2 classes and 1 channel");
      head.weight = floats_at(h, "weight", w, static_cast<std::size_t>(head.classes) * static_cast<std::size_t>(head.channels));
      head.bias = floats_at(h, "bias", w, static_cast<std::size_t>(head.classes));
      if (t.find(head.name)) throw PlanError(w + ": head '" + head.name + "' is listed twice");
      t.heads.push_back(std::move(head));
    }
    if (t.heads.empty()) throw PlanError("heads.exits: lists no heads");
    return t;
  } catch (const PlanError& e) {
    throw PlanError(name + ": " + e.what());
  }
}

TrainedHeads load_exit_heads(const std::string& path) {
  return parse_exit_heads(jsonio::read_file<PlanError>(path, "exit heads"), path);
}

std::vector<Region> exit_shares(const Graph& graph, const Volume& volume, int after) {
  std::vector<Region> shares;
  const Shape& anchor = graph.layer(volume.anchor()).out;
  const int tensor = after - 1;
  for (std::size_t k = 0; k < volume.parts.size(); ++k) {
    const Part& p = volume.parts[k];
    const Region share = scale_region(p.region, anchor, graph.tensor_shape(tensor));
    if (after < volume.layers.last && !share.empty()) {
      const Region computed = required_regions(graph, volume.layers, part_owned(graph, volume, p)).out(tensor);
      if (!computed.rows.contains(share.rows) || !computed.cols.contains(share.cols))
        throw PlanError("cut point " + std::to_string(after) + " inside volume (layers " + std::to_string(volume.layers.first) + "-" +
                        std::to_string(volume.layers.last - 1) + "): part " + std::to_string(k) + " (" + p.device + ") does not compute all of its share rows " +
                        to_string(share.rows) + " cols " + to_string(share.cols) + " of the tensor there; put a volume boundary at the cut");
    }
    shares.push_back(share);
  }
  return shares;
}

TrainedHeads plan_heads(const Plan& plan, const Graph& graph) {
  if (!plan.exits) throw PlanError("plan has no exits");
  const PlanExits& x = *plan.exits;
  TrainedHeads t = load_exit_heads(x.heads_file);
  const std::string f = x.heads_file + ": ";
  if (t.sha256 != x.heads_sha256)
    throw PlanError("plan's exits name heads with SHA-256 " + x.heads_sha256 + ", but " + x.heads_file + " now has " + t.sha256);
  if (plan.model_sha256.empty())
    throw PlanError(f + "trained heads need the trained backbone: the plan's model must be the ONNX file train-exits wrote, not the zoo model");
  if (t.onnx_sha256 != plan.model_sha256)
    throw PlanError(f + "heads were trained with the backbone whose SHA-256 is " + t.onnx_sha256 + ", the plan's model has " + plan.model_sha256);
  for (const PlanExit& e : x.exits) {
    const TrainedHead* h = t.find(e.name);
    if (!h) throw PlanError(f + "has no head '" + e.name + "'");
    if (h->after != e.after) throw PlanError(f + "head '" + e.name + "' reads cut point " + std::to_string(h->after) + ", the plan says " + std::to_string(e.after));
    if (e.after < 1 || e.after > graph.size() || graph.layer(e.after - 1).out.c != h->channels)
      throw PlanError(f + "head '" + e.name + "' takes " + std::to_string(h->channels) + " channels, the tensor at its cut point has a different number");
  }
  return t;
}

ExitModel plan_exit_model(const Plan& plan, const Graph& graph, const TrainedHeads& heads) {
  ExitModel em{graph, {}};
  if (plan.exits)
    for (const PlanExit& e : plan.exits->exits) em.exits.push_back(ExitHead{e.name, e.after, heads.find(e.name)->classes});
  return em;
}

}  // namespace edgeplan
