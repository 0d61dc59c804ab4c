// Runs single tasks of a plan, as one device of a distributed replay does: a part from only
// the input rows it received (halos included), or the tail from whole tensors. Plain float
// buffers in and out, so callers (the MPI replay) never see libtorch.
#pragma once
#include <map>
#include <memory>
#include <vector>

#include "edgeplan/model/graph.h"
#include "edgeplan/model/region.h"
#include "edgeplan/runtime/cpu_executor.h"

namespace edgeplan {

// Rows x cols of one tensor, all channels, row-major [channels][rows][cols].
struct RegionData {
  Region region;
  int channels = 0;
  std::vector<float> values;
};

RegionData make_region_data(const Region& region, int channels);  // zero-filled
// The sub-region `want` of `from`; throws std::logic_error unless `from` holds it.
RegionData crop(const RegionData& from, const Region& want);
// Copies `piece` into the same rows and columns of `into` (which must hold them).
void paste(RegionData& into, const RegionData& piece);

class PartRunner {
 public:
  // Weights are made only for the layers this runner is asked to compute (on first use).
  PartRunner(const Graph& graph, const ExecutorOptions& options = {});
  ~PartRunner();
  PartRunner(const PartRunner&) = delete;
  PartRunner& operator=(const PartRunner&) = delete;

  // Makes the weights of `layers` now, so that timed runs do not pay for them.
  void prepare(LayerRange layers);
  // The rows of the input image (the same deterministic image as CpuExecutor's).
  RegionData image(const Region& region) const;
  // Replaces the input image (C*H*W values, row-major): the next input of a stream.
  void set_image(const std::vector<float>& chw);
  // Computes `owned` (live output tensor -> region) of the volume `layers` from `inputs`,
  // which must hold at least what required_regions() asks of each external tensor.
  std::map<int, RegionData> run_part(LayerRange layers, const std::map<int, Region>& owned,
                                     const std::map<int, RegionData>& inputs) const;
  // Runs the tail whole from the full tensors it reads; returns the model output.
  RegionData run_tail(LayerRange layers, const std::map<int, RegionData>& inputs) const;
  // Model output of a monolithic run (all weights are made).
  RegionData monolithic();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeplan
