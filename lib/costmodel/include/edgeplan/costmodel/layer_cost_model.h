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
};

// Dense per-(device, layer) tables of latency at every integer row count 0..H, built once
// from the profiles; lookups interpolate linearly between integers (tiles) and allocate nothing.
class ProfileCostModel : public LayerCostModel {
 public:
  ProfileCostModel(const Graph& graph, const std::vector<const DeviceProfile*>& profiles);
  int device_count() const override { return n_devices_; }
  double layer_ms(int device, int layer, double rows) const override;
  bool uses_fallback(int device, int layer) const override;
  int fallback_layer_count(int device) const;

 private:
  int n_devices_ = 0;
  int n_layers_ = 0;
  std::vector<std::size_t> offset_;  // (device, layer) -> start of its table in ms_
  std::vector<int> height_;          // per layer
  std::vector<double> ms_;
  std::vector<char> fallback_;
};

}  // namespace edgeplan
