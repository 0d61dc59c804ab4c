// The plan: how one inference is split into volumes and parts across devices (edgeplan.plan/v1).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "edgeplan/model/error.h"
#include "edgeplan/model/graph.h"
#include "edgeplan/model/region.h"

namespace edgeplan {

// A plan file or plan value is malformed or inconsistent with its model.
class PlanError : public Error {
 public:
  using Error::Error;
};

inline constexpr const char* kPlanFormat = "edgeplan.plan/v1";

// One device's share of a volume: a rectangle of the volume's anchor output (its last layer).
// The volume's other outputs are shared by scaling the rectangle (scale_region).
struct Part {
  std::string device;
  Region region;
  bool operator==(const Part& o) const { return device == o.device && region == o.region; }
};

struct Volume {
  LayerRange layers;
  std::vector<Part> parts;
  int anchor() const { return layers.last - 1; }
  // An exit cut after layer `after` - 1 falls in this volume (inside it, or at its end).
  bool holds_cut(int after) const { return layers.first < after && after <= layers.last; }
  bool operator==(const Volume& o) const { return layers == o.layers && parts == o.parts; }
};

// The non-spatial tail (global pooling, flatten, fully connected) runs whole on one device.
struct Tail {
  LayerRange layers;
  std::string device;
  bool operator==(const Tail& o) const { return layers == o.layers && device == o.device; }
};

// Early exits carried by a plan (edgeplan.plan-exits/v1, DistrEE): which trained heads, at
// which cut point, evaluated on which device, with which confidence threshold. An input
// stops at the first exit whose head's top softmax probability reaches its threshold; every
// device then stops work on it. The heads' weights live in the file train-exits writes
// (edgeplan.exits/v1), named with its SHA-256 like the model's ONNX file.
inline constexpr const char* kPlanExitsFormat = "edgeplan.plan-exits/v1";

struct PlanExit {
  static constexpr double kNever = 2.0;  // a threshold no confidence reaches ("never" in JSON)
  std::string name;
  int after = 0;        // cut point the head reads: where one tensor crosses (a volume boundary or inside a volume)
  std::string device;   // where the head is evaluated (parts send it their pooled sums)
  double threshold = kNever;  // exit when the top softmax probability >= this (0: always)
  bool operator==(const PlanExit& o) const {
    return name == o.name && after == o.after && device == o.device && threshold == o.threshold;
  }
};

struct PlanExits {
  std::string heads_file;    // edgeplan.exits/v1 (as given: relative to the working directory)
  std::string heads_sha256;  // that file's SHA-256
  std::vector<PlanExit> exits;  // in layer order
  double deadline_ms = 0;    // the deadline the thresholds were chosen for (0: none); informative
  bool operator==(const PlanExits& o) const {
    return heads_file == o.heads_file && heads_sha256 == o.heads_sha256 && exits == o.exits && deadline_ms == o.deadline_ms;
  }
};

struct Plan {
  std::string model;
  Shape input;
  std::string model_onnx;    // the ONNX file the model was imported from ("" for a zoo model)
  std::string model_sha256;  // that file's SHA-256: a plan never runs on another file by mistake
  std::vector<std::string> devices;
  std::vector<Volume> volumes;
  std::optional<Tail> tail;        // absent when the model has no tail (e.g. yolov2)
  std::string predicted_json;      // the optional "predicted" object, kept verbatim ("" if absent)
  std::optional<PlanExits> exits;  // early exits (optional extension)

  bool operator==(const Plan& o) const {
    return model == o.model && input == o.input && model_onnx == o.model_onnx && model_sha256 == o.model_sha256 && devices == o.devices && volumes == o.volumes && tail == o.tail &&
           predicted_json == o.predicted_json && exits == o.exits;
  }
};

// Checks a plan against its model: volumes tile the spatial body in order, parts tile each
// volume's anchor output exactly, device ids are known and unique, the tail covers the rest;
// exits (if any) sit where one tensor crosses, in order, each part computing its share of that
// tensor (exit_shares), on known devices, with thresholds in [0, 1] or never (their heads
// file is checked by plan_heads).
// Throws PlanError with a one-line reason.
void validate_plan(const Plan& plan, const Graph& graph);

// Builds the plan's model: the zoo model (name + input), or the ONNX file it names, checked
// against the SHA-256 the plan recorded. Throws PlanError if it cannot.
Graph plan_graph(const Plan& plan);

// Where a plan's result ends when no scenario says: the tail's device, else the device of
// the last volume's first part (an index into plan.devices; 0 for a plan with neither).
inline int result_device_index(const Plan& plan) {
  std::string last;
  if (plan.tail) last = plan.tail->device;
  else if (!plan.volumes.empty() && !plan.volumes.back().parts.empty()) last = plan.volumes.back().parts.front().device;
  for (std::size_t d = 0; d < plan.devices.size(); ++d)
    if (plan.devices[d] == last) return static_cast<int>(d);
  return 0;
}

// Records in a plan which model it is for (name, input, ONNX file and its SHA-256).
void set_plan_model(Plan& plan, const Graph& graph);

// Parses edgeplan.plan/v1 JSON text and validates it against its model. Throws PlanError
// (one line) on malformed JSON, wrong format, unknown model or any inconsistency.
Plan parse_plan(const std::string& text);
Plan load_plan_file(const std::string& path);

// Serializes a plan (pretty JSON, trailing newline).
std::string plan_to_json(const Plan& plan);
// Writes atomically (temporary file + rename), so a failed write leaves nothing half-written.
void save_plan_file(const Plan& plan, const std::string& path);

}  // namespace edgeplan
