// What one rank of a replay measured, written by the rank and read by the launcher. Times
// are milliseconds on rank 0's steady clock (each rank measures its offset at start-up).
#pragma once
#include <string>
#include <vector>

#include "edgeplan/model/error.h"

namespace edgeplan {

class ReplayError : public Error {
 public:
  using Error::Error;
};

struct TaskTiming {
  int task = 0;
  double start_ms = 0, end_ms = 0;
};

struct MessageTiming {
  int message = 0;
  double start_ms = 0;  // a send: when it was handed to MPI; a receive: when it was posted
  double end_ms = 0;    // a send: when MPI completed it; a receive: when the data was there
};

struct RepeatRecord {
  std::vector<TaskTiming> tasks;
  std::vector<MessageTiming> sends, receives;
  double image_ms = -1;    // the input rank: when the image was there (the repeat's time 0)
  double result_ms = -1;   // the output rank: when the whole result had arrived
  double max_rel_error = -1;  // the output rank: against the monolithic output (with exits: the one-process run)
  // A plan with early exits (repeat r runs Fashion-MNIST test image r): the head that
  // answered (exits in order, then the final head; every rank), and on the output rank the
  // predicted class, the label and the top softmax probability. -1 without exits.
  int head = -1;
  int predicted = -1, label = -1;
  double confidence = -1;
};

struct RankRecord {
  int rank = 0;
  std::string device;
  std::string host;
  double clock_offset_ms = 0;  // added to this rank's clock to get rank 0's
  double clock_rtt_ms = 0;     // round trip of the best synchronisation exchange
  int threads = 0;
  int core = -1;               // the core it was pinned to (-1: not pinned)
  std::string mpi_library;
  // The output rank with fp16 on the wire: how far the reference it checks against (the plan
  // with the wire's roundings) is from the fp32 monolithic output; -1 otherwise.
  double wire_rel_error = -1;
  std::vector<RepeatRecord> repeats;  // warm-ups first
};

std::string rank_record_to_json(const RankRecord& r);
// Throws ReplayError (one line naming the path) on a malformed or truncated record.
RankRecord parse_rank_record(const std::string& text, const std::string& path);
RankRecord load_rank_record(const std::string& path);

}  // namespace edgeplan
