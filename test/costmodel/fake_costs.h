// Hand-chosen costs for exact simulator tests: latency = rows * ms_per_row[device][layer].
#pragma once
#include <vector>

#include "edgeplan/costmodel/layer_cost_model.h"

namespace edgeplan::testing {

class FakeCost : public LayerCostModel {
 public:
  explicit FakeCost(std::vector<std::vector<double>> ms_per_row) : per_row_(std::move(ms_per_row)) {}
  int device_count() const override { return static_cast<int>(per_row_.size()); }
  double layer_ms(int device, int layer, double rows) const override {
    return rows * per_row_[static_cast<std::size_t>(device)][static_cast<std::size_t>(layer)];
  }

 private:
  std::vector<std::vector<double>> per_row_;
};

}  // namespace edgeplan::testing
