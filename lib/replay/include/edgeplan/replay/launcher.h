// Starts a replay: one MPI rank per device under mpirun, over loopback or the emulated
// network, with a deadline; turns any failure into one line naming the device and task.
#pragma once
#include <string>
#include <vector>

#include "edgeplan/model/element_type.h"
#include "edgeplan/replay/rank_record.h"

namespace edgeplan {

struct ReplayJob {
  std::string self_exe;   // the edgeplan binary the ranks run (`edgeplan replay-rank`)
  std::string plan_path;  // absolute
  std::vector<std::string> devices;  // rank k = devices[k]
  int input_device = 0, output_device = 0;
  bool emulate = false;              // namespaces + tbf at rates_mbps; else loopback, unshaped
  std::vector<double> rates_mbps;    // per device (emulate)
  int repeat = 5, warmup = 1, threads = 1;
  ElementSizes wire;                 // what messages carry (the scenario's precision)
  bool pin = true;                   // pin ranks to cores, packed so quotas on a core sum to at most 1
  std::vector<double> cpu_quota;     // per rank: CPUs' worth of time (< 1: a slower device); empty: none
  double stall_timeout_s = 60;       // a rank waiting this long for a message fails the run
  double timeout_s = 600;            // the whole job
  std::string fault;                 // tests: kill|stall:DEVICE:VOLUME
  std::vector<long long> calibrate_bytes;  // non-empty: measure the links instead (no plan)
};

struct JobResult {
  std::vector<RankRecord> ranks;
  std::string network;  // what the ranks ran on, one line
  std::vector<std::string> calibrations;  // calibrate mode: each rank's pairs (JSON arrays)
};

// Runs the job; throws ReplayError with one line on any failure (after cleaning up).
JobResult run_replay_job(const ReplayJob& job);

// The mpirun command (and hostfile) that runs the same ranks on real hosts, one per device.
std::string launch_command_for_hosts(const ReplayJob& job);

}  // namespace edgeplan
