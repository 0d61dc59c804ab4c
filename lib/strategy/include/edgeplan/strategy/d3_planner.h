// D3 (Zhang et al., "D3: A Dynamic DNN Decomposition System for Synergistic Inference
// without Precision Loss", arXiv 2101.05952) on a tiered network: HPA cuts the layer
// sequence into a device part, an edge part and a cloud part; VSM cuts the edge part's
// feature maps into 2-D tiles computed in parallel on the edge nodes (exact halos: lossless);
// the cloud part runs whole on the cloud. Also the two one-tier references D3 compares with
// (edge-only, cloud-only). Only the paper's abstract is available to us: docs/planners.md
// says which parts of HPA and VSM are our reading.
#pragma once
#include <string>
#include <vector>

#include "edgeplan/strategy/planner.h"

namespace edgeplan {

// Who computes what in a tiered scenario (device indices).
struct D3Tiers {
  int device = -1;         // the input device when it computes, else -1 (the device part stays empty)
  std::vector<int> edges;  // computing devices of the tiers between the device's and the last, fastest first
  std::vector<double> edge_speed;  // per edge node (same order): 1 / its time for the whole model (ms)
  int cloud = -1;          // the fastest computing device of the last tier; -1: none (the cloud part stays empty)
};
// Throws Error (one line) unless the network is tiered with the input device below the last tier.
D3Tiers d3_tiers(const PlanningContext& ctx);

// A three-way cut of the layer sequence and the edge part's tile grid: layers [0, c1) on
// the device, [c1, c2) on the edge tiles, [c2, size) on the cloud (cut points: 0, every
// single-tensor cut, the end of the body, the end of the model; the tail runs whole on the
// device of the part it falls in).
struct D3Split {
  int c1 = 0, c2 = 0;
  int grid_rows = 1, grid_cols = 1;  // tiles of every edge volume; rows * cols edge nodes, fastest first
  bool operator==(const D3Split& o) const {
    return c1 == o.c1 && c2 == o.c2 && grid_rows == o.grid_rows && grid_cols == o.grid_cols;
  }
};

// The cut points of a model, increasing: 0, the single-tensor cuts, body_end, size.
std::vector<int> d3_cut_points(const Graph& graph);

// HPA's additive estimate of a split (ms): device part, its output to the edge, the edge
// part at the edge nodes' combined speed (halos ignored), its output over the backbone,
// the cloud part, the result to the output device; transfers at idle rates.
class D3Estimate {
 public:
  D3Estimate(const PlanningContext& ctx, const D3Tiers& tiers);
  // c1, c2: indices into points().
  double ms(int c1, int c2) const;
  const std::vector<int>& points() const { return points_; }
  // The edge part's share of ms() (unscaled), and a factor for it: what the tiles really
  // take over what combined speed promises, as measured (HPA's correction, below).
  double edge_ms(int c1, int c2) const;
  void set_edge_scale(double scale) { edge_scale_ = scale; }
  double edge_scale() const { return edge_scale_; }

 private:
  const PlanningContext& ctx_;
  D3Tiers tiers_;
  std::vector<int> points_;
  std::vector<double> device_ms_, edge_ms_, cloud_ms_;  // prefix sums over layers
  std::vector<double> bytes_;                            // bytes crossing each cut point
  double edge_scale_ = 1.0;
  double part_ms(const std::vector<double>& prefix, int a, int b) const;
  double send_ms(int from, int to, double bytes) const;
};

// HPA (our reading): the device's cut with the rest whole on the edge or whole on the cloud
// (the better of the two-tier cuts), then the edge/cloud cut with that fixed, then each cut
// again with the other fixed until neither moves (at most `max_passes` passes). Each pass is O(n) over the n cut points, O(n * passes) in all
// against O(n^2) for every pair. Starting from (c1, c2) when given (re-adjusting), the
// passes begin with the cut named by `first` (1 or 2).
struct HpaCuts {
  int c1 = 0, c2 = 0;
  int passes = 0;
};
HpaCuts hpa_cuts(const D3Estimate& est, int max_passes = 8);
HpaCuts hpa_adjust(const D3Estimate& est, int c1, int c2, int first, int max_passes = 8);

// HPA with measurement: the passes above, then the plan (with VSM's grid) measured on the
// simulator, the edge part's estimate scaled by measured over estimated, and the passes
// again, for at most `rounds` rounds or until the cuts repeat; the fastest plan measured
// wins. D3 re-adjusts "according to processing time"; this is that loop at planning time.
// Starts from (c1, c2) (point indices) when `from_c1` >= 0, the touched cut `first`.
D3Split hpa_measured(const PlanningContext& ctx, const D3Tiers& tiers, D3Estimate& est, int rounds = 4, double* ms = nullptr,
                     int from_c1 = -1, int from_c2 = -1, int first = 1);

// The plan of a split. Edge volumes: the edge part cut at single-tensor cuts into fused
// volumes as long as the tiles' recomputed halo rows stay under 10% of the volume's MACs.
Plan d3_plan(const PlanningContext& ctx, const D3Tiers& tiers, const D3Split& split);

// VSM: the tile grid for the cuts (c1, c2), among every rows x cols grid over at most the
// edge nodes (rows, cols no more than the edge part's smallest feature map), by simulated
// latency. Returns the split and sets *ms to its latency.
D3Split vsm_grid(const PlanningContext& ctx, const D3Tiers& tiers, int c1, int c2, double* ms = nullptr);

// The exact optimum of the family: every pair c1 <= c2 with VSM's grid, by simulated
// latency (O(n^2) pairs x grids). *evaluations counts the simulations.
D3Split d3_exhaustive(const PlanningContext& ctx, const D3Tiers& tiers, double* ms = nullptr, int* evaluations = nullptr);

// A plan of the family read back (for re-planning): its volumes in device, edge, cloud order
// by their devices' tiers. Throws Error (one line) saying why a plan is not one.
D3Split d3_split_of(const PlanningContext& ctx, const D3Tiers& tiers, const Plan& plan);

class D3Planner : public Planner {
 public:
  explicit D3Planner(bool exhaustive = false) : exhaustive_(exhaustive) {}
  std::string name() const override { return "d3"; }
  Plan plan(const PlanningContext& ctx) const override;
  bool applies(const PlanningContext& ctx) const override;
  std::string settings_json() const override;
  static std::unique_ptr<Planner> from_spec(const std::string& spec);  // "d3[:search=hpa|exhaustive]"

 private:
  bool exhaustive_;
};

// Edge-only: the whole model on the edge tier, as VSM tiles it (no device or cloud part).
class EdgeOnlyPlanner : public Planner {
 public:
  std::string name() const override { return "edge-only"; }
  Plan plan(const PlanningContext& ctx) const override;
  bool applies(const PlanningContext& ctx) const override;
};

// Cloud-only: the image to the cloud, the whole model there, the result back.
class CloudOnlyPlanner : public Planner {
 public:
  std::string name() const override { return "cloud-only"; }
  Plan plan(const PlanningContext& ctx) const override;
  bool applies(const PlanningContext& ctx) const override;
};

}  // namespace edgeplan
