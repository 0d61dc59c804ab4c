// One rank of a replay: the program every device runs under mpirun (`edgeplan replay-rank`).
#pragma once
#include <string>
#include <vector>

#include "edgeplan/model/element_type.h"

namespace edgeplan {

// A fault to inject (tests of failure handling): at the first task of `device` in volume
// `volume` (1-based; 0 = its first task), the rank kills itself ("kill") or computes
// but never sends that task's outputs ("stall").
struct FaultInjection {
  std::string kind;  // "" (none), "kill", "stall"
  std::string device;
  int volume = 0;
};
FaultInjection parse_fault(const std::string& text);  // "kill:DEVICE:VOLUME"; throws ReplayError

struct RankOptions {
  std::string plan_path;
  std::vector<std::string> devices;  // rank k runs devices[k]
  int input_device = 0, output_device = 0;
  std::string dir;                   // where records, progress and errors go
  int repeat = 5, warmup = 1;
  int threads = 1;                   // libtorch intra-op threads
  ElementSizes wire;                 // what messages carry: fp32 / fp16 activations, a float or 8-bit image
  int core = -1;                     // the core to pin this rank to (-1: not pinned)
  std::string cpu_group;             // wait until the launcher has moved this process into this cgroup
  double stall_timeout_s = 60;       // a wanted message that does not arrive by then fails the run
  FaultInjection fault;
  // calibrate-network instead of a plan: every ordered pair of ranks exchanges messages of
  // these sizes (each answered by a 1-byte acknowledgement), `calibrate_repeats` times.
  std::vector<long long> calibrate_bytes;
  int calibrate_repeats = 3;
};

// Files in `dir` (the launcher reads them):
std::string rank_record_path(const std::string& dir, int rank);  // written at the end, atomically
std::string rank_error_path(const std::string& dir, int rank);   // one line, on failure
std::string rank_progress_path(const std::string& dir, int rank);  // what the rank is doing now
std::string rank_calibration_path(const std::string& dir, int rank);  // calibrate mode: its pairs
std::string rank_pid_path(const std::string& dir, int rank);       // its process id, for the launcher

// Runs the rank (MPI_Init ... MPI_Finalize); returns the exit code. On any failure it writes
// its error file and aborts the whole job (MPI_Abort), so no rank waits forever.
int run_replay_rank(const RankOptions& options);

}  // namespace edgeplan
