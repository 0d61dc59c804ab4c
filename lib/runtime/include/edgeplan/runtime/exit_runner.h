// Runs a plan with early exits (DistrEE) one input at a time, as the devices would: tasks in
// dependency order; a part of a volume holding exit cuts computes in steps, up to each cut
// (the tensor there with the halo rows its later layers need) and on from there; when every
// part has reached an exit's cut, each part's pooled channel sums over its share of the
// tensor go to the exit's device, which finishes the head (mean, linear, softmax); if the top
// probability reaches the exit's threshold the input stops there and no device computes
// anything more for it. Plain floats in and out: callers never see libtorch.
#pragma once
#include <vector>

#include "edgeplan/plan/dataflow.h"
#include "edgeplan/plan/plan_exits.h"
#include "edgeplan/runtime/flow_runner.h"

namespace edgeplan {

struct ExitRun {
  int head = 0;                      // which head answered: exits in plan order, then the final head
  std::vector<float> scores;         // that head's scores (logits)
  double confidence = 0;             // its top softmax probability
  int predicted = 0;                 // its top class
  std::vector<double> confidences;   // of every head evaluated, in order
  std::vector<int> predictions;      // of every head evaluated
  int tasks_run = 0;                 // part and tail tasks started for this input
};

// The top softmax probability and its class (the first on ties), in double precision.
void softmax_top(const std::vector<float>& scores, double& confidence, int& predicted);

// A head applied to per-part channel sums of the tensor at its cut: sums added in part order,
// divided by the map's size, then weight x mean + bias.
std::vector<float> head_scores(const TrainedHead& head, const std::vector<std::vector<double>>& part_sums, long long map_cells);

// Every channel's sum over a region's values (the part's share of the cut tensor).
std::vector<double> channel_sums(const RegionData& d);

class ExitRunner {
 public:
  // `flow` compiled from `plan` (which has exits, valid for `graph`), `heads` =
  // plan_heads(plan, graph); all must outlive the runner, as must `runner` (for `graph`).
  ExitRunner(const Graph& graph, const Dataflow& flow, const Plan& plan, const TrainedHeads& heads, PartRunner& runner);

  // Runs one image (C*H*W, row-major) with the plan's thresholds.
  ExitRun run(const std::vector<float>& image) const;
  // The same with other thresholds (one per plan exit; above 1: never, 0: always).
  ExitRun run(const std::vector<float>& image, const std::vector<double>& thresholds) const;

  int part_and_tail_tasks() const;  // what an input that never exits computes

 private:
  struct Exit {
    const TrainedHead* head = nullptr;
    int after = 0;               // its cut point; the tensor read is the output of layer after - 1
    std::vector<Region> shares;  // per part of the volume holding the cut: where it pools
    long long cells = 0;         // rows x cols of that tensor
  };
  const Graph& graph_;
  const Dataflow& flow_;
  FlowRunner tasks_;
  PartRunner& runner_;
  std::vector<Exit> exits_;
  std::vector<double> thresholds_;
  std::vector<std::vector<int>> steps_;  // per plan volume: where its parts' steps end (exit cuts inside, then its end)
  // Per part task and step end inside its volume: the region of the tensor there it computes.
  std::map<int, std::map<int, Region>> need_;
};

}  // namespace edgeplan
