// CPU reference executor (libtorch): monolithic runs and partitioned runs that prove a plan exact.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "edgeplan/model/graph.h"
#include "edgeplan/model/region.h"
#include "edgeplan/plan/plan.h"

namespace edgeplan {

struct ExecutorOptions {
  std::uint64_t weight_seed = 1;  // deterministic pseudo-random weights per layer
  std::uint64_t input_seed = 7;   // deterministic pseudo-random input image
  int threads = 0;                // intra-op threads for libtorch; 0 keeps libtorch's default
  std::vector<float> input;       // the image (C*H*W, row-major) instead of the seeded one
};

// Every layer's weights as the executor uses them: the graph's own (imported) or seeded.
ModelWeights model_weights(const Graph& graph, std::uint64_t seed);
// One layer's parameters of model_weights() (made alone: profilers need one layer at a time).
LayerParams layer_params(const Graph& graph, int layer, std::uint64_t seed);
// The image a run with these options starts from (C*H*W, row-major).
std::vector<float> model_input_values(const Graph& graph, const ExecutorOptions& options);

// Difference between a partitioned and a monolithic result. The relative error is the max
// absolute difference divided by the max absolute value of the monolithic result (a
// per-element ratio is meaningless where the reference is near zero).
struct Comparison {
  double max_abs_error = 0;
  double max_rel_error = 0;
  double reference_max_abs = 0;
};

struct VerifyResult {
  Comparison error;
  Shape output;
  int parts_run = 0;
  double monolithic_ms = 0;   // wall time of the monolithic run
  double partitioned_ms = 0;  // wall time of all parts run one after another, plus stitching
};

class CpuExecutor {
 public:
  CpuExecutor(const Graph& graph, const ExecutorOptions& options = {});
  ~CpuExecutor();
  CpuExecutor(const CpuExecutor&) = delete;
  CpuExecutor& operator=(const CpuExecutor&) = delete;

  const Graph& graph() const;

  // Model output of a monolithic run (flattened C*H*W, row-major).
  std::vector<float> run_monolithic() const;

  // Runs every part of the plan from only the input rows it would receive (halos included),
  // stitches the results as the devices would hand them on, runs the tail, and compares
  // with the monolithic output. Throws PlanError if the plan does not fit the graph.
  VerifyResult verify(const Plan& plan) const;

  // Computes `requested` (tensor id -> region, tensors produced in `volume`) from only the
  // input slices that required_regions() names, cropped out of the monolithic feature maps,
  // and compares each requested region with the same region of the monolithic run.
  Comparison check_volume_slice(LayerRange volume, const std::map<int, Region>& requested) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeplan
