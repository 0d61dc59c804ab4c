// The compute-cost interface planners and the simulator depend on, and its profile-backed tables.
#pragma once
#include <vector>

#include "edgeplan/costmodel/device_profile.h"
#include "edgeplan/model/graph.h"

namespace edgeplan {

// Latency of one layer on one device for a number of output rows. Tiles pass fractional
// rows (rows * cols / width). Tests plug in fakes with hand-chosen costs.
class LayerCostModel {
 public:
  virtual ~LayerCostModel() = default;
  virtual int device_count() const = 0;
  virtual double layer_ms(int device, int layer, double rows) const = 0;
  virtual bool uses_fallback(int /*device*/, int /*layer*/) const { return false; }
  // The executor's own cost of one part (or the tail) computing `layers` layers and moving
  // `bytes` of received inputs and owned outputs (ExecutorOverhead); 0 unless measured.
  virtual double part_overhead_ms(int /*device*/, int /*layers*/, double /*bytes*/) const { return 0.0; }
};

// Dense per-(device, layer) tables of latency at every integer row count 0..H, built once
// from the profiles; lookups interpolate linearly between integers (tiles) and allocate nothing.
class ProfileCostModel : public LayerCostModel {
 public:
  // A null profile: a node that does not compute (every layer costs +infinity there).
  ProfileCostModel(const Graph& graph, const std::vector<const DeviceProfile*>& profiles);
  int device_count() const override { return n_devices_; }
  double layer_ms(int device, int layer, double rows) const override;
  bool uses_fallback(int device, int layer) const override;
  double part_overhead_ms(int device, int layers, double bytes) const override {
    return overhead_[static_cast<std::size_t>(device)].ms(layers, bytes);
  }
  int fallback_layer_count(int device) const;

 private:
  std::vector<ExecutorOverhead> overhead_;
  int n_devices_ = 0;
  int n_layers_ = 0;
  std::vector<std::size_t> offset_;  // (device, layer) -> start of its table in ms_
  std::vector<int> height_;          // per layer
  std::vector<double> ms_;
  std::vector<char> fallback_;
};

}  // namespace edgeplan
