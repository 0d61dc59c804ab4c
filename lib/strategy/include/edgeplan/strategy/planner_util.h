// Shared pieces of the planners (the baselines, opt, DistrEdge): layer units, row splits,
// plan skeletons, and what one part of a volume needs (regions, input bytes, compute time).
#pragma once
#include <string>
#include <vector>

#include "edgeplan/model/region.h"
#include "edgeplan/strategy/planner.h"

namespace edgeplan::detail {

// "Layers" as the per-layer papers mean them: a convolution or pooling layer together
// with the batch norm / activation layers after it. Volumes end at single-tensor cut
// points followed by a windowed layer (and at the end of the body); residual and
// inception blocks therefore stay whole.
std::vector<LayerRange> layer_units(const Graph& graph);

// Volumes ending right after each downsampling layer (and at the end of the body).
std::vector<LayerRange> scale_blocks(const Graph& graph);

// Splits n rows into integer shares proportional to `weights` (largest remainder).
std::vector<int> proportional_rows(int n, const std::vector<double>& weights);

// Time of a range on a device for its full output (ms), from the cost model.
double range_ms(const PlanningContext& ctx, int device, LayerRange range);

// A plan skeleton for the context's model and devices, with the tail (if any) on `tail_device`.
Plan empty_plan(const PlanningContext& ctx, int tail_device);

// Adds a volume cut into row stripes: rows[i] rows for device order[i] (zero rows skipped).
void add_row_volume(const PlanningContext& ctx, Plan& plan, LayerRange range, const std::vector<int>& order,
                    const std::vector<int>& rows);

// A quantity sampled at increasing row counts `r` (values `v`), at `rows`: linear between
// samples, linear to 0 below the first, the last value beyond the last; 0 for rows <= 0.
double at_rows(const std::vector<int>& r, const std::vector<double>& v, int rows);

// Milliseconds per byte from a to b on an idle network (latency excluded; 0 when a == b).
double ms_per_byte(const PlanningContext& ctx, int a, int b);

// Bytes of the full input (all external inputs) of a range.
double range_input_bytes(const Graph& graph, LayerRange range, const ElementSizes& elements);

// One part of a volume: the region of every layer and input it needs to compute `want` of
// the volume's last layer (halos included, by the exact region math), with every live
// output of the range (`live`: graph.live_outputs(range), computed once by the caller)
// scaled to `want`.
VolumeRegions part_regions(const Graph& graph, LayerRange range, const Region& want, const std::vector<int>& live);
// `start` plus the bytes of a part's input regions, and `start` plus
// the part's compute time on `device` (ms) from the cost model, each added term by term
// (callers summing over several parts pass their running total, keeping its order).
double part_input_bytes(const Graph& graph, const VolumeRegions& regions, const ElementSizes& elements, double start = 0);
double part_compute_ms(const PlanningContext& ctx, int device, LayerRange range, const VolumeRegions& regions,
                       double start = 0);

}  // namespace edgeplan::detail
