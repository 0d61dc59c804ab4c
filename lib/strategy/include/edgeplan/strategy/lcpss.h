// DistrEdge's LC-PSS partitioner: greedy insertion of layer-volume boundaries that trade
// transmitted data against (redundant) operations.
#pragma once
#include <cstdint>
#include <vector>

#include "edgeplan/model/error.h"
#include "edgeplan/model/graph.h"

namespace edgeplan {

struct LcpssOptions {
  double alpha = 0.75;     // weight of transmitted data; 1 - alpha weighs operations
  int samples = 100;       // random split decisions averaged per score
  int devices = 4;         // devices the random splits divide each volume among
  std::uint64_t seed = 1;  // the random splits (the same for every candidate: common random numbers)
};

// Score of a segmentation: C = alpha * T / T_ref + (1 - alpha) * O / O_ref, averaged over
// random split decisions (device shares drawn uniformly, applied to every volume's rows)
// among `devices` devices, where T is the bytes the
// parts of every volume receive (their input regions, halos included) and O the
// multiply-accumulates they perform (halo rows recomputed included). T_ref is the bytes of
// every layer unit's output (what a per-layer split moves at least once) and O_ref the
// model's MACs, so both terms are about 1.
double lcpss_score(const Graph& graph, const std::vector<int>& boundaries, const LcpssOptions& options);

// Greedy insertion: start from {0, body_end}; repeatedly add, among all candidate points
// (the starts of conv / pool layer units), the one that lowers the score most; stop when no
// point lowers it. Returns the sorted boundaries, 0 and body_end included. Throws
// Error for alpha outside [0, 1] or samples < 1.
std::vector<int> lcpss_partition(const Graph& graph, const LcpssOptions& options = {});

}  // namespace edgeplan
