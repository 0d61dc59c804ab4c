// Runs a plan with early exits (DistrEE) one input at a time, as the devices would: tasks in
// dependency order; when every part of the volume before an exit's cut is done, each part's
// pooled channel sums go to the exit's device, which finishes the head (mean, linear,
// softmax); if the top probability reaches the exit's threshold the input stops there and no
// device runs another task for it. Plain floats in and out: callers never see libtorch.
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
  int tasks_run = 0;                 // part and tail tasks computed for this input
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
  // `flow` compiled from `plan` (which has exits), `heads` = plan_heads(plan, graph); both
  // must outlive the runner, as must `runner` (built for the plan's graph).
  ExitRunner(const Dataflow& flow, const Plan& plan, const TrainedHeads& heads, PartRunner& runner);

  // Runs one image (C*H*W, row-major) with the plan's thresholds.
  ExitRun run(const std::vector<float>& image) const;
  // The same with other thresholds (one per plan exit; above 1: never, 0: always).
  ExitRun run(const std::vector<float>& image, const std::vector<double>& thresholds) const;

  int part_and_tail_tasks() const;  // what an input that never exits computes

 private:
  struct Exit {
    const TrainedHead* head = nullptr;
    int volume = 0;              // the plan volume ending at the exit's cut
    int tensor = 0;              // the tensor crossing the cut (the output of layer after - 1)
    std::vector<int> tasks;      // the volume's part tasks
    long long cells = 0;         // rows x cols of that tensor
  };
  const Dataflow& flow_;
  FlowRunner tasks_;
  PartRunner& runner_;
  std::vector<Exit> exits_;
  std::vector<double> thresholds_;
};

}  // namespace edgeplan
