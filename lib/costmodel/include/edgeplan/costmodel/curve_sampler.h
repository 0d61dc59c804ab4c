// Adaptive sampling of a latency-vs-rows curve: dense where it bends or steps, sparse where straight.
#pragma once
#include <functional>
#include <vector>

namespace edgeplan {

// One measured point: latency spread over repetitions (ms).
struct LatencySample {
  int rows = 0;
  double p10_ms = 0, p50_ms = 0, p90_ms = 0;
};

struct SamplerOptions {
  int initial_points = 9;     // evenly spread first pass (1 and the full height included)
  int max_points = 40;        // budget of measured row counts per curve
  double rel_tolerance = 0.05;  // refine where straight-line interpolation misses the midpoint by more
  double abs_tolerance_ms = 0.002;
};

// Measures `measure(rows)` at a first spread of row counts in [1, max_rows], then bisects
// the interval whose midpoint deviates most from the straight line through its ends
// (beyond tolerance and beyond the measured spread), until the budget is spent or every
// deviating interval is one row wide. A step between two row counts is thus located to
// one row. Returns samples sorted by rows.
std::vector<LatencySample> sample_curve(int max_rows, const std::function<LatencySample(int rows)>& measure,
                                        const SamplerOptions& options = {});

}  // namespace edgeplan
