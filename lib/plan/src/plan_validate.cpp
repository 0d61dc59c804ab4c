// Semantic checks of a plan against its model graph.
#include <algorithm>
#include <set>

#include "edgeplan/onnx/onnx_model.h"
#include "edgeplan/plan/plan.h"
#include "edgeplan/plan/plan_exits.h"

namespace edgeplan {

namespace {

std::string range_text(const LayerRange& r) {
  return "[" + std::to_string(r.first) + "," + std::to_string(r.last) + ")";
}

std::string part_text(std::size_t i, const Part& p) {
  return "part " + std::to_string(i) + " (" + p.device + " rows " + to_string(p.region.rows) + " cols " +
         to_string(p.region.cols) + ")";
}

// Parts must tile the anchor output exactly: in bounds, non-empty, disjoint, full area.
void check_parts_tile(const Volume& v, const Shape& anchor, const std::string& where) {
  if (v.parts.empty()) throw PlanError(where + ": has no parts");
  if (v.parts.size() > 4096) throw PlanError(where + ": has more than 4096 parts");
  const Region full = full_region(anchor);
  std::int64_t area = 0;
  for (std::size_t i = 0; i < v.parts.size(); ++i) {
    const Region& r = v.parts[i].region;
    if (r.empty()) throw PlanError(where + ": " + part_text(i, v.parts[i]) + " is empty");
    if (!full.rows.contains(r.rows) || !full.cols.contains(r.cols))
      throw PlanError(where + ": " + part_text(i, v.parts[i]) + " lies outside the " + std::to_string(anchor.h) +
                      "x" + std::to_string(anchor.w) + " output");
    area += std::int64_t{r.rows.size()} * r.cols.size();
    for (std::size_t j = 0; j < i; ++j) {
      const Region& o = v.parts[j].region;
      if (!intersect(r.rows, o.rows).empty() && !intersect(r.cols, o.cols).empty())
        throw PlanError(where + ": " + part_text(j, v.parts[j]) + " and " + part_text(i, v.parts[i]) + " overlap");
    }
  }
  const std::int64_t total = std::int64_t{anchor.h} * anchor.w;
  if (area == total) return;
  // Name the first uncovered cell so the user can find the gap.
  for (int y = 0; y < anchor.h; ++y)
    for (int x = 0; x < anchor.w; ++x) {
      bool covered = false;
      for (const Part& p : v.parts)
        if (y >= p.region.rows.begin && y < p.region.rows.end && x >= p.region.cols.begin && x < p.region.cols.end) {
          covered = true;
          break;
        }
      if (!covered)
        throw PlanError(where + ": parts leave a gap at row " + std::to_string(y) + ", col " + std::to_string(x) +
                        " of the " + std::to_string(anchor.h) + "x" + std::to_string(anchor.w) + " output");
    }
}

// An exit reads the one tensor crossing its cut, whole: each part of the volume holding the
// cut pools exactly its share of that tensor (the shares tile it), so the head's input is
// exact; inside a fused volume each share must be among the cells its part computes anyway.
void validate_exits(const Plan& plan, const Graph& graph, const std::set<std::string>& devices) {
  const PlanExits& x = *plan.exits;
  if (x.heads_file.empty()) throw PlanError("plan.exits: the heads file name is empty");
  if (x.exits.empty()) throw PlanError("plan.exits: lists no exits");
  const std::vector<int> cuts = single_tensor_cuts(graph);
  std::set<std::string> names;
  int previous = 0;
  for (const PlanExit& e : x.exits) {
    const std::string where = "exit '" + e.name + "'";
    if (e.name.empty()) throw PlanError("plan.exits: an exit has an empty name");
    if (!names.insert(e.name).second) throw PlanError(where + " is listed twice");
    if (e.after <= previous) throw PlanError(where + ": cut point " + std::to_string(e.after) + " is not after the previous exit's (" + std::to_string(previous) + ")");
    previous = e.after;
    if (std::find(cuts.begin(), cuts.end(), e.after) == cuts.end())
      throw PlanError(where + ": cut point " + std::to_string(e.after) + " is not a place inside the spatial layers where exactly one tensor crosses");
    for (const Volume& v : plan.volumes)
      if (v.holds_cut(e.after)) {
        try {
          exit_shares(graph, v, e.after);
        } catch (const PlanError& err) {
          throw PlanError(where + ": " + err.what());
        }
      }
    if (!devices.count(e.device)) throw PlanError(where + ": names unknown device '" + e.device + "'");
    if (!(e.threshold >= 0 && (e.threshold <= 1 || e.threshold == PlanExit::kNever)))
      throw PlanError(where + ": threshold must be in [0, 1] or never");
  }
  if (!(x.deadline_ms >= 0 && x.deadline_ms < 1e9)) throw PlanError("plan.exits: deadline_ms must be a non-negative number");
}

}  // namespace

Graph plan_graph(const Plan& plan) {
  try {
    if (plan.model_onnx.empty()) return load_model(plan.model, plan.input);
    Graph g = load_model(plan.model_onnx, plan.input);
    if (!plan.model_sha256.empty() && g.origin().sha256 != plan.model_sha256)
      throw PlanError("plan is for the ONNX file '" + plan.model_onnx + "' with SHA-256 " + plan.model_sha256 +
                      ", but that file now has " + g.origin().sha256);
    return g;
  } catch (const ModelError& e) {
    throw PlanError(e.what());
  }
}

void set_plan_model(Plan& plan, const Graph& graph) {
  plan.model = graph.name();
  plan.input = graph.input_shape();
  plan.model_onnx = graph.origin().onnx_path;
  plan.model_sha256 = graph.origin().sha256;
}

void validate_plan(const Plan& plan, const Graph& graph) {
  if (plan.model != graph.name())
    throw PlanError("plan is for model '" + plan.model + "' but was checked against '" + graph.name() + "'");
  if (plan.model_sha256 != graph.origin().sha256)
    throw PlanError("plan is for " + (plan.model_sha256.empty() ? std::string("the zoo model") : "the ONNX file with SHA-256 " + plan.model_sha256) +
                    " but was checked against " +
                    (graph.origin().sha256.empty() ? std::string("the zoo model") : "the ONNX file with SHA-256 " + graph.origin().sha256));
  if (plan.input != graph.input_shape())
    throw PlanError("plan input " + to_string(plan.input) + " differs from the model's " +
                    to_string(graph.input_shape()));
  if (plan.devices.empty()) throw PlanError("plan lists no devices");
  std::set<std::string> known;
  for (const auto& d : plan.devices) {
    if (d.empty()) throw PlanError("plan has an empty device id");
    if (!known.insert(d).second) throw PlanError("device id '" + d + "' is listed twice");
  }
  const int body_end = graph.body_end();
  if (plan.volumes.empty()) throw PlanError("plan has no volumes");
  int next = 0;
  for (std::size_t i = 0; i < plan.volumes.size(); ++i) {
    const Volume& v = plan.volumes[i];
    const std::string where = "volume " + std::to_string(i) + " (layers " + range_text(v.layers) + ")";
    if (v.layers.first != next)
      throw PlanError(where + ": should start at layer " + std::to_string(next) +
                      " so that volumes tile the model in order");
    if (v.layers.size() <= 0) throw PlanError(where + ": is empty");
    if (v.layers.last > body_end)
      throw PlanError(where + ": reaches past the spatial layers, which end at " + std::to_string(body_end) +
                      " (layers from there on form the tail)");
    for (std::size_t k = 0; k < v.parts.size(); ++k)
      if (!known.count(v.parts[k].device))
        throw PlanError(where + ": part " + std::to_string(k) + " names unknown device '" + v.parts[k].device + "'");
    check_parts_tile(v, graph.layer(v.anchor()).out, where);
    next = v.layers.last;
  }
  if (next != body_end)
    throw PlanError("volumes end at layer " + std::to_string(next) + " but the spatial layers end at " +
                    std::to_string(body_end));
  if (body_end < graph.size()) {
    if (!plan.tail) throw PlanError("plan has no tail for layers [" + std::to_string(body_end) + "," +
                                    std::to_string(graph.size()) + ")");
    const LayerRange want{body_end, graph.size()};
    if (!(plan.tail->layers == want))
      throw PlanError("tail covers layers " + range_text(plan.tail->layers) + " but must cover " + range_text(want));
    if (!known.count(plan.tail->device)) throw PlanError("tail names unknown device '" + plan.tail->device + "'");
  } else if (plan.tail) {
    throw PlanError("plan has a tail but model '" + graph.name() + "' has no non-spatial layers");
  }
  if (plan.exits) validate_exits(plan, graph, known);
}

}  // namespace edgeplan
