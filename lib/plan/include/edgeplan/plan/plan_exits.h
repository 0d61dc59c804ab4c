// The trained exit heads a plan's exits name (edgeplan.exits/v1, written by train-exits):
// reading them strictly and checking them against the plan that names them.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "edgeplan/model/exit_models.h"
#include "edgeplan/model/graph.h"
#include "edgeplan/plan/plan.h"

namespace edgeplan {

inline constexpr const char* kExitHeadsFormat = "edgeplan.exits/v1";

// One exit head: global average pooling of the tensor crossing cut point `after`, then a
// linear classifier (weight [classes x channels], row-major; bias [classes]).
struct TrainedHead {
  std::string name;
  int after = 0, classes = 0, channels = 0;
  std::vector<float> weight, bias;
};

struct TrainedHeads {
  std::string model;         // the backbone's name
  std::string onnx_sha256;   // the trained backbone the heads belong to
  std::string sha256;        // of this file's bytes
  std::vector<TrainedHead> heads;
  const TrainedHead* find(const std::string& name) const;
};

// Parses edgeplan.exits/v1 text (`name` prefixes errors). Throws PlanError (one line) on
// anything malformed: wrong format, missing fields, weights of the wrong size, non-finite values.
TrainedHeads parse_exit_heads(const std::string& text, const std::string& name);
TrainedHeads load_exit_heads(const std::string& path);

// The heads of a plan's exits, checked: the file has the SHA-256 the plan recorded, belongs to
// the plan's model (the same ONNX file), and has every exit the plan names at the same cut
// point with as many channels as the tensor there. Throws PlanError (one line).
TrainedHeads plan_heads(const Plan& plan, const Graph& graph);
// The backbone with the plan's exits as heads (for head times and MACs); `heads` from plan_heads.
ExitModel plan_exit_model(const Plan& plan, const Graph& graph, const TrainedHeads& heads);


// Where each part of the volume holding cut point `after` (first < after <= last) pools for
// an exit: its share of the tensor crossing the cut, its anchor rectangle scaled onto that
// tensor (the shares tile it). Inside the volume a part computes that tensor with its halo
// rows on the way to its anchor rectangle; throws PlanError (one line) where a share holds
// cells its part does not compute (the cut must then be a volume boundary).
std::vector<Region> exit_shares(const Graph& graph, const Volume& volume, int after);

}  // namespace edgeplan
