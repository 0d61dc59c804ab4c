// Measured vs predicted: the replay's records turned into latencies, per-device breakdowns
// and timelines on the simulator's terms, written as edgeplan.replay/v1 JSON.
#pragma once
#include <string>
#include <vector>

#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/replay/launcher.h"

namespace edgeplan {

struct LatencyStats {
  double median_ms = 0, p10_ms = 0, p90_ms = 0, min_ms = 0, max_ms = 0;
};
// Percentiles by linear interpolation between order statistics; throws on an empty list.
LatencyStats latency_stats(std::vector<double> samples_ms);

struct ReplayReport {
  std::string scenario_path, plan_path, model, network_mode, network;
  std::string scenario_network;      // the scenario's network, one line (what was predicted with)
  std::vector<std::string> devices;  // the ranks, in order
  int repeat = 0, warmup = 0, threads = 0;
  SimResult predicted;               // on the replay's devices (in rank order)
  std::vector<double> measured_ms;   // end-to-end latency of each timed repeat
  LatencyStats measured;
  SimResult measured_median;         // the median repeat as a timeline (devices averaged over all timed repeats)
  double max_rel_error = 0;          // worst over every repeat, against the monolithic output
                                     // (fp16 on the wire: the same plan run in one process with the same roundings)
  ElementSizes wire;                 // what the messages carried
  double wire_rel_error = -1;        // fp16: that reference against the fp32 monolithic output (-1: none)
  std::vector<RankRecord> ranks;     // provenance: hosts, cores, clock sync
  std::vector<SimResult> measured_runs;  // every timed repeat as a timeline (not written)
  // What one message costs beyond its bytes through the replay's own messaging path (set
  // by fit_message_cost; transfers == 0 when not fitted).
  struct MessageCost {
    int transfers = 0;               // transfers between devices over every timed repeat
    int isolated = 0;                // of them, alone on their route's resources while in flight
    LatencyStats fixed;              // per isolated transfer: measured time - bytes at the link's rate
    double fixed_mean_ms = 0;        // their mean: what a sum of messages costs (the tail included)
    LatencyStats fixed_all;          // the same over every transfer (queueing behind others included)
    double charged_ms = 0;           // what the scenario charges per message (latency + overhead, median)
  } messages;
  double error() const { return (predicted.latency_ms - measured.median_ms) / measured.median_ms; }
};

// `predicted` is the simulator's result over the scenario's devices (`scenario_devices`);
// it is projected onto the replay's devices. `wire`: bytes per element the messages carried.
ReplayReport build_replay_report(const Dataflow& flow, const JobResult& job, const SimResult& predicted,
                                 const std::vector<std::string>& scenario_devices, int warmup, const ElementSizes& wire = {});

// Per-message cost through the replay's messaging path: for every transfer of every timed
// repeat that no other transfer overlapped on its route's resources (as the scenario's
// network defines them), its measured time (sender hands it over -> receiver has it all)
// less its bytes at the route's idle rate. `rank_device[k]` is rank k's device in `net`.
// Tells how far the scenario's latency + overhead per message is from what a message costs
// while ranks compute (docs/replay.md); `calibrate-network --from-replay` adopts it.
void fit_message_cost(ReplayReport& r, const NetworkModel& net, const std::vector<int>& rank_device);

std::string replay_report_json(const ReplayReport& r);

}  // namespace edgeplan
