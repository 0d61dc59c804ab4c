// Dense latency tables from device profiles.
#include "edgeplan/costmodel/layer_cost_model.h"

#include <algorithm>
#include <limits>
#include <cmath>

namespace edgeplan {

ProfileCostModel::ProfileCostModel(const Graph& graph, const std::vector<const DeviceProfile*>& profiles)
    : n_devices_(static_cast<int>(profiles.size())), n_layers_(graph.size()) {
  for (int l = 0; l < n_layers_; ++l) height_.push_back(graph.layer(l).out.h);
  for (const DeviceProfile* p : profiles) overhead_.push_back(p ? p->executor : ExecutorOverhead{});
  for (int d = 0; d < n_devices_; ++d)
    for (int l = 0; l < n_layers_; ++l) {
      offset_.push_back(ms_.size());
      bool fb = false;
      const int h = height_[static_cast<std::size_t>(l)];
      const DeviceProfile* p = profiles[static_cast<std::size_t>(d)];
      // A node without a profile does not compute: every layer takes forever there.
      for (int r = 0; r <= h; ++r) ms_.push_back(!p ? (r ? std::numeric_limits<double>::infinity() : 0.0) : p->latency_ms(graph, l, r, &fb));
      fallback_.push_back(fb ? 1 : 0);
    }
}

double ProfileCostModel::layer_ms(int device, int layer, double rows) const {
  const std::size_t k = static_cast<std::size_t>(device * n_layers_ + layer);
  const double* t = ms_.data() + offset_[k];
  const int h = height_[static_cast<std::size_t>(layer)];
  if (rows <= 0) return 0.0;
  if (rows >= h) return t[h] * rows / h;
  const int lo = static_cast<int>(rows);
  const double f = rows - lo;
  return t[lo] + f * (t[lo + 1] - t[lo]);
}

bool ProfileCostModel::uses_fallback(int device, int layer) const {
  return fallback_[static_cast<std::size_t>(device * n_layers_ + layer)] != 0;
}

int ProfileCostModel::fallback_layer_count(int device) const {
  return static_cast<int>(std::count(fallback_.begin() + device * n_layers_, fallback_.begin() + (device + 1) * n_layers_, 1));
}

}  // namespace edgeplan
