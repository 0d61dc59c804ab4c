// edgeplan.plan/v1 JSON reading (strict, one-line errors) and writing (atomic).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "edgeplan/jsonio/atomic_file.h"
#include "edgeplan/jsonio/fields.h"

#include "edgeplan/plan/plan.h"
#include "edgeplan/plan/plan_exits.h"

namespace edgeplan {

using nlohmann::json;

namespace {

constexpr long long kMaxIndex = 1 << 24;  // far above any layer count or feature-map size

const json& field(const json& j, const char* key, const std::string& where) { return jsonio::field<PlanError>(j, key, where); }
const json& object_at(const json& j, const char* key, const std::string& where) {
  return jsonio::object_at<PlanError>(j, key, where);
}
const json& array_at(const json& j, const char* key, const std::string& where) {
  return jsonio::array_at<PlanError>(j, key, where);
}
std::string string_at(const json& j, const char* key, const std::string& where) {
  return jsonio::string_at<PlanError>(j, key, where);
}
void only_keys(const json& j, const std::set<std::string>& allowed, const std::string& where) {
  jsonio::only_keys<PlanError>(j, allowed, where);
}
int index_value(const json& v, const std::string& where) {
  return static_cast<int>(jsonio::index_value<PlanError>(v, where, kMaxIndex));
}

// [begin, end) pairs with begin <= end.
std::pair<int, int> pair_at(const json& j, const char* key, const std::string& where) {
  const json& v = field(j, key, where);
  const std::string w = where + "." + key;
  if (!v.is_array() || v.size() != 2) throw PlanError(w + ": must be [begin, end]");
  const int a = index_value(v[0], w + "[0]");
  const int b = index_value(v[1], w + "[1]");
  if (b < a) throw PlanError(w + ": end " + std::to_string(b) + " is before begin " + std::to_string(a));
  return {a, b};
}

std::string sha256_at(const json& j, const char* key, const std::string& where) {
  std::string h = string_at(j, key, where);
  if (h.size() != 64 || h.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw PlanError(where + "." + key + ": must be 64 lower-case hex digits");
  return h;
}

// The exits extension (edgeplan.plan-exits/v1); its consistency with the model is checked by
// validate_plan, its heads file by plan_heads.
PlanExits exits_from_json(const json& e) {
  const std::string w = "plan.exits";
  only_keys(e, {"format", "heads", "sha256", "deadline_ms", "exits"}, w);
  const std::string format = string_at(e, "format", w);
  if (format != kPlanExitsFormat)
    throw PlanError(w + ": format is '" + format + "', expected '" + std::string(kPlanExitsFormat) + "'");
  PlanExits x;
  x.heads_file = string_at(e, "heads", w);
  x.heads_sha256 = sha256_at(e, "sha256", w);
  x.deadline_ms = jsonio::number_or<PlanError>(e, "deadline_ms", w, 0, 1e9, 0);
  const json& list = array_at(e, "exits", w);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string xw = w + ".exits[" + std::to_string(i) + "]";
    const json& xj = list[i];
    if (!xj.is_object()) throw PlanError(xw + ": must be an object");
    only_keys(xj, {"name", "after", "device", "threshold"}, xw);
    PlanExit pe;
    pe.name = string_at(xj, "name", xw);
    pe.after = index_value(field(xj, "after", xw), xw + ".after");
    pe.device = string_at(xj, "device", xw);
    const json& t = field(xj, "threshold", xw);
    if (t.is_string()) {
      if (t.get<std::string>() != "never") throw PlanError(xw + ".threshold: must be a number in [0, 1] or \"never\"");
      pe.threshold = PlanExit::kNever;
    } else {
      pe.threshold = jsonio::number_value<PlanError>(t, xw + ".threshold", 0, 1);
    }
    x.exits.push_back(pe);
  }
  return x;
}

Plan plan_from_json(const json& j) {
  const std::string top = "plan";
  if (!j.is_object()) throw PlanError("plan: top level must be a JSON object");
  only_keys(j, {"format", "model", "devices", "volumes", "tail", "exits", "predicted"}, top);
  const std::string format = string_at(j, "format", top);
  if (format != kPlanFormat)
    throw PlanError("plan: format is '" + format + "', expected '" + std::string(kPlanFormat) + "'");
  Plan p;
  const json& model = object_at(j, "model", top);
  only_keys(model, {"name", "input", "onnx", "sha256"}, "plan.model");
  p.model = string_at(model, "name", "plan.model");
  if (model.contains("onnx")) {
    p.model_onnx = string_at(model, "onnx", "plan.model");
    p.model_sha256 = sha256_at(model, "sha256", "plan.model");
  } else if (model.contains("sha256")) {
    throw PlanError("plan.model.sha256: given without \"onnx\"");
  }
  const json& in = field(model, "input", "plan.model");
  if (!in.is_array() || in.size() != 3) throw PlanError("plan.model.input: must be [C, H, W]");
  int dims[3];
  for (int d = 0; d < 3; ++d) {
    dims[d] = index_value(in[static_cast<std::size_t>(d)], "plan.model.input[" + std::to_string(d) + "]");
    if (dims[d] == 0) throw PlanError("plan.model.input: dimensions must be positive");
  }
  p.input = Shape{dims[0], dims[1], dims[2]};
  const json& devices = array_at(j, "devices", top);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    if (!devices[i].is_string()) throw PlanError("plan.devices[" + std::to_string(i) + "]: must be a string");
    p.devices.push_back(devices[i].get<std::string>());
  }
  const json& volumes = array_at(j, "volumes", top);
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    const std::string w = "plan.volumes[" + std::to_string(i) + "]";
    const json& v = volumes[i];
    if (!v.is_object()) throw PlanError(w + ": must be an object");
    only_keys(v, {"layers", "parts"}, w);
    Volume vol;
    auto [first, last] = pair_at(v, "layers", w);
    vol.layers = LayerRange{first, last};
    const json& parts = array_at(v, "parts", w);
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const std::string pw = w + ".parts[" + std::to_string(k) + "]";
      const json& pj = parts[k];
      if (!pj.is_object()) throw PlanError(pw + ": must be an object");
      only_keys(pj, {"device", "rows", "cols"}, pw);
      Part part;
      part.device = string_at(pj, "device", pw);
      auto [r0, r1] = pair_at(pj, "rows", pw);
      part.region.rows = Interval{r0, r1};
      if (pj.contains("cols")) {
        auto [c0, c1] = pair_at(pj, "cols", pw);
        part.region.cols = Interval{c0, c1};
      } else {
        part.region.cols = Interval{0, -1};  // full width: resolved once the model is known
      }
      vol.parts.push_back(part);
    }
    p.volumes.push_back(std::move(vol));
  }
  if (j.contains("tail")) {
    const json& t = object_at(j, "tail", top);
    only_keys(t, {"layers", "device"}, "plan.tail");
    auto [first, last] = pair_at(t, "layers", "plan.tail");
    p.tail = Tail{LayerRange{first, last}, string_at(t, "device", "plan.tail")};
  }
  if (j.contains("exits")) p.exits = exits_from_json(object_at(j, "exits", top));
  if (j.contains("predicted")) {
    if (!j["predicted"].is_object()) throw PlanError("plan.predicted: must be an object");
    p.predicted_json = j["predicted"].dump();
  }
  return p;
}

}  // namespace

Plan parse_plan(const std::string& text) {
  const json j = jsonio::parse_text<PlanError>(text);
  Plan p = plan_from_json(j);
  const Graph graph = plan_graph(p);
  // Parts without "cols" span the whole width of their volume's anchor output.
  for (Volume& v : p.volumes) {
    if (v.layers.last < 1 || v.layers.last > graph.size()) continue;  // validate_plan reports it
    for (Part& part : v.parts)
      if (part.region.cols.end == -1) part.region.cols = Interval{0, graph.layer(v.anchor()).out.w};
  }
  validate_plan(p, graph);
  if (p.exits) plan_heads(p, graph);  // the heads file exists, is the one recorded, fits the model
  return p;
}

Plan load_plan_file(const std::string& path) {
  const std::string text = jsonio::read_file<PlanError>(path, "plan");
  try {
    return parse_plan(text);
  } catch (const PlanError& e) {
    throw PlanError(path + ": " + e.what());
  }
}

std::string plan_to_json(const Plan& p) {
  json j;
  j["format"] = kPlanFormat;
  j["model"] = {{"name", p.model}, {"input", {p.input.c, p.input.h, p.input.w}}};
  if (!p.model_onnx.empty()) {
    j["model"]["onnx"] = p.model_onnx;
    j["model"]["sha256"] = p.model_sha256;
  }
  j["devices"] = p.devices;
  json vols = json::array();
  std::optional<Graph> graph;
  try {
    graph = plan_graph(p);
  } catch (const PlanError&) {
    // Unknown model: write every column range explicitly.
  }
  for (const Volume& v : p.volumes) {
    json parts = json::array();
    const int width = graph && v.layers.last >= 1 && v.layers.last <= graph->size() ? graph->layer(v.anchor()).out.w : -1;
    for (const Part& part : v.parts) {
      json pj = {{"device", part.device}, {"rows", {part.region.rows.begin, part.region.rows.end}}};
      if (!(part.region.cols.begin == 0 && part.region.cols.end == width))
        pj["cols"] = {part.region.cols.begin, part.region.cols.end};
      parts.push_back(pj);
    }
    vols.push_back({{"layers", {v.layers.first, v.layers.last}}, {"parts", parts}});
  }
  j["volumes"] = vols;
  if (p.tail) j["tail"] = {{"layers", {p.tail->layers.first, p.tail->layers.last}}, {"device", p.tail->device}};
  if (p.exits) {
    json list = json::array();
    for (const PlanExit& e : p.exits->exits) {
      json ej = {{"name", e.name}, {"after", e.after}, {"device", e.device}};
      if (e.threshold > 1) ej["threshold"] = "never";
      else ej["threshold"] = e.threshold;
      list.push_back(ej);
    }
    j["exits"] = {{"format", kPlanExitsFormat}, {"heads", p.exits->heads_file}, {"sha256", p.exits->heads_sha256}, {"exits", list}};
    if (p.exits->deadline_ms > 0) j["exits"]["deadline_ms"] = p.exits->deadline_ms;
  }
  if (!p.predicted_json.empty()) j["predicted"] = json::parse(p.predicted_json);
  return j.dump(2) + "\n";
}

void save_plan_file(const Plan& plan, const std::string& path) {
  jsonio::write_file_atomic<PlanError>(path, plan_to_json(plan));
}

}  // namespace edgeplan
