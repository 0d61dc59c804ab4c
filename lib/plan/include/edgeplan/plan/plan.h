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
  bool operator==(const Volume& o) const { return layers == o.layers && parts == o.parts; }
};

// The non-spatial tail (global pooling, flatten, fully connected) runs whole on one device.
struct Tail {
  LayerRange layers;
  std::string device;
  bool operator==(const Tail& o) const { return layers == o.layers && device == o.device; }
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

  bool operator==(const Plan& o) const {
    return model == o.model && input == o.input && model_onnx == o.model_onnx && model_sha256 == o.model_sha256 && devices == o.devices && volumes == o.volumes && tail == o.tail &&
           predicted_json == o.predicted_json;
  }
};

// Checks a plan against its model: volumes tile the spatial body in order, parts tile each
// volume's anchor output exactly, device ids are known and unique, the tail covers the rest.
// Throws PlanError with a one-line reason.
void validate_plan(const Plan& plan, const Graph& graph);

// Builds the plan's model: the zoo model (name + input), or the ONNX file it names, checked
// against the SHA-256 the plan recorded. Throws PlanError if it cannot.
Graph plan_graph(const Plan& plan);

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
