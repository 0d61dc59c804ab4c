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

// How a plan's exits cut its parts into steps, and the heads' arithmetic: shared by the
// one-process ExitRunner and the replay's ranks. `graph`, `flow`, `plan` and `heads` must
// outlive it.
class ExitSteps {
 public:
  ExitSteps(const Graph& graph, const Dataflow& flow, const Plan& plan, const TrainedHeads& heads);

  int exits() const { return static_cast<int>(exits_.size()); }
  const TrainedHead& head(int k) const { return *exits_.at(static_cast<std::size_t>(k)).head; }
  double threshold(int k) const { return exits_.at(static_cast<std::size_t>(k)).threshold; }
  int volume_of(int k) const { return exits_.at(static_cast<std::size_t>(k)).volume; }
  // The part tasks of the volume holding exit k's cut, in part order: whose sums it adds.
  const std::vector<int>& part_tasks(int k) const { return exits_.at(static_cast<std::size_t>(k)).tasks; }
  // Where the parts of `volume` end their steps: the exit cuts inside it, then its end.
  const std::vector<int>& step_ends(int volume) const { return ends_.at(static_cast<std::size_t>(volume)); }
  // The exit whose cut is `end` (-1: none).
  int exit_at(int end) const;

  // Computes part task `task` from layer `from` up to `end` (a step end of its volume) from
  // `have` (its assembled inputs and what its earlier steps produced); returns what it
  // produced, and adds the tensor at `end` to `have` when this is not its last step.
  std::map<int, RegionData> step(PartRunner& runner, int task, int from, int end, std::map<int, RegionData>& have) const;
  // Part task `task`'s channel sums over its share of exit k's tensor, from what the step
  // ending at that cut produced.
  std::vector<double> sums(int k, int task, const std::map<int, RegionData>& produced) const;
  // Exit k's scores from every part's sums (in part_tasks order).
  std::vector<float> scores(int k, const std::vector<std::vector<double>>& sums) const;

 private:
  struct Exit {
    const TrainedHead* head = nullptr;
    int after = 0;               // its cut point; the tensor read is the output of layer after - 1
    int volume = 0;              // the plan volume holding the cut
    std::vector<int> tasks;      // that volume's part tasks
    std::vector<Region> shares;  // per part of that volume: where it pools
    long long cells = 0;         // rows x cols of that tensor
    double threshold = 0;
  };
  const Dataflow& flow_;
  std::vector<Exit> exits_;
  std::vector<std::vector<int>> ends_;  // per plan volume
  // Per part task and step end inside its volume: the region of the tensor there it computes.
  std::map<int, std::map<int, Region>> need_;
};

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
  const Dataflow& flow_;
  FlowRunner tasks_;
  PartRunner& runner_;
  ExitSteps steps_;
};

}  // namespace edgeplan
