// DistrEE's exit policy (issue 18): per-exit confidence thresholds chosen for a quality of
// service (a deadline, or an accuracy floor) from measured per-image outcomes of every head
// and the completion time of every head under a plan; and the plan's head times.
#pragma once
#include <string>
#include <vector>

#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/model/exit_models.h"
#include "edgeplan/strategy/planner.h"

namespace edgeplan {

// Every head's outcome per image (exits in order, then the final head), as train-exits
// measures them (calibration.json: "validation" or "test").
struct ExitOutcomes {
  std::vector<std::string> heads;
  std::vector<int> after;                       // cut point each head reads (the final head: the model's size)
  std::vector<std::vector<float>> confidence;   // [head][image] top softmax probability
  std::vector<std::vector<int>> predicted;      // [head][image]
  std::vector<int> labels;
  int images() const { return static_cast<int>(labels.size()); }
};

// Reads calibration.json's "validation" or "test" block. Throws Error (one line naming the
// file) on anything malformed or inconsistent.
ExitOutcomes parse_exit_outcomes(const std::string& text, const std::string& split, const std::string& name);
ExitOutcomes load_exit_outcomes(const std::string& path, const std::string& split);

struct ExitQoS {
  double deadline_ms = 0;    // > 0: every image answered by then, accuracy as high as possible
  double min_accuracy = 0;   // > 0: accuracy at least this, expected latency as low as possible
};

struct ExitPolicy {
  static constexpr double kNever = PlanExit::kNever;  // a threshold no confidence reaches (one value with the plan format's "never")
  std::vector<double> thresholds;  // per head: exit when confidence >= threshold (0: always; above 1: never)
  int last_head = 0;               // images still running stop here (its threshold is 0)
  // Every image stops at head `last` of `heads` (the heads before never fire); the final
  // head (last = heads - 1) is the model without exits.
  static ExitPolicy forced_at(int last, int heads) {
    ExitPolicy p;
    p.last_head = last;
    p.thresholds.assign(static_cast<std::size_t>(heads), kNever);
    p.thresholds[static_cast<std::size_t>(last)] = 0;
    return p;
  }
};

struct PolicyOutcome {
  double accuracy = 0;
  double expected_ms = 0, p95_ms = 0;
  double deadline_hit_rate = 1;      // share answered by the deadline (1 without one)
  double computation_saved = 0;      // 1 - mean MACs / the model's MACs
  std::vector<double> exit_share;    // per head
};

// Walks every image through the heads: it stops at the first head whose confidence reaches
// its threshold, or at the last head. `head_ms` are the heads' completion times (ms) and
// `head_macs` the work done by then; `slowdown` multiplies every time (resources that
// fluctuate). With `runtime_rule`, an image also stops at a head that answers in time when
// the next head would answer after `deadline_ms` (the elapsed time says the deadline would be
// missed).
PolicyOutcome evaluate_exit_policy(const ExitOutcomes& o, const ExitPolicy& p, const std::vector<double>& head_ms,
                                   const std::vector<double>& head_macs, double deadline_ms = 0, double slowdown = 1,
                                   bool runtime_rule = false);

// Whether outcome `a` serves `qos` better than `b`: for a deadline a higher accuracy, then a
// lower expected latency; for an accuracy floor a lower expected latency, then a higher accuracy.
bool better_for(const PolicyOutcome& a, const PolicyOutcome& b, const ExitQoS& qos);

// The best policy on `o` for `qos` among every last head and every threshold in
// {0.3, 0.4, ..., 0.99, 0.999, never} for the heads before it (exhaustive: at most 13^exits
// combinations). Deadline: every image answered by the deadline (the last head completes by
// then), the highest accuracy, then the lowest expected latency. Accuracy floor: the lowest
// expected latency, then the highest accuracy. Throws Error (one line) for an impossible QoS.
ExitPolicy choose_exit_policy(const ExitOutcomes& o, const std::vector<double>& head_ms, const std::vector<double>& head_macs,
                              const ExitQoS& qos);

// When each head of `model` answers under `plan` (ms, exits then the final head): every part
// of the volume holding the head's cut has computed the layers up to the cut (a part's
// compute interval shared among its layers by their full-map costs on its device: layers run
// in order) and sent its pooled channel sums (4 bytes per channel, idle-rate transfer) to the
// device evaluating the head, which sends the scores to the output device; the final head at
// the plan's latency. The heads' own compute (a pooling and a 10-way classifier) is not
// counted. Exit k is evaluated on devices[k] (a device index of the simulator's scenario)
// where given and >= 0, else where the plan's exits say, else on the output device.
std::vector<double> head_times_ms(const Simulator& sim, const Plan& plan, const ExitModel& model, const std::vector<int>& devices = {});
// The device the plan evaluates the exit at `e.after` on (the output device if it does not say).
int exit_device_in_plan(const PlanningContext& ctx, const Plan& plan, const ExitHead& e);
// Per exit, the device where its head answers first under `plan` (every device tried; the
// first on a tie).
std::vector<int> fastest_exit_devices(const Simulator& sim, const Plan& plan, const ExitModel& model);
// head_times_ms with every exit on its fastest device, from one simulation; those devices
// go to `devices` when given.
std::vector<double> fastest_head_times_ms(const Simulator& sim, const Plan& plan, const ExitModel& model, std::vector<int>* devices = nullptr);
// The multiply-accumulates done when each head answers (backbone so far plus the head).
std::vector<double> head_macs(const ExitModel& model);

}  // namespace edgeplan
