// Fritsch-Carlson monotone cubic interpolation of latency samples.
#include "edgeplan/costmodel/latency_curve.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace edgeplan {

LatencyCurve::LatencyCurve(std::vector<double> rows, std::vector<double> ms) : rows_(std::move(rows)), ms_(std::move(ms)) {
  if (rows_.empty() || rows_.size() != ms_.size()) throw std::invalid_argument("curve needs as many latencies as row counts");
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (!(rows_[i] > 0) || !std::isfinite(rows_[i]) || (i > 0 && !(rows_[i] > rows_[i - 1])))
      throw std::invalid_argument("curve row counts must be positive and strictly increasing");
    if (!(ms_[i] >= 0) || !std::isfinite(ms_[i])) throw std::invalid_argument("curve latencies must be finite and >= 0");
  }
  const std::size_t n = rows_.size();
  slope_.assign(n, 0.0);
  if (n == 1) return;
  std::vector<double> delta(n - 1);
  for (std::size_t i = 0; i + 1 < n; ++i) delta[i] = (ms_[i + 1] - ms_[i]) / (rows_[i + 1] - rows_[i]);
  slope_[0] = delta[0];
  slope_[n - 1] = delta[n - 2];
  for (std::size_t i = 1; i + 1 < n; ++i) {
    if (delta[i - 1] * delta[i] <= 0) {
      slope_[i] = 0;  // local extremum or flat: keep it flat, no overshoot
    } else {
      // Weighted harmonic mean (Fritsch-Butland), which satisfies the monotonicity condition.
      const double h0 = rows_[i] - rows_[i - 1], h1 = rows_[i + 1] - rows_[i];
      const double w0 = 2 * h1 + h0, w1 = h1 + 2 * h0;
      slope_[i] = (w0 + w1) / (w0 / delta[i - 1] + w1 / delta[i]);
    }
  }
  // End slopes: keep them within 3x the secant and of the right sign.
  for (std::size_t e : {std::size_t{0}, n - 1}) {
    const double d = delta[e == 0 ? 0 : n - 2];
    if (d == 0 || slope_[e] * d < 0) slope_[e] = 0;
    else if (std::abs(slope_[e]) > 3 * std::abs(d)) slope_[e] = 3 * d;
  }
}

double LatencyCurve::at(double r) const {
  if (rows_.empty() || r <= 0) return 0.0;
  if (r <= rows_.front()) return ms_.front() * r / rows_.front();
  if (r >= rows_.back()) return ms_.back() * r / rows_.back();
  const auto it = std::upper_bound(rows_.begin(), rows_.end(), r);
  const std::size_t i = static_cast<std::size_t>(it - rows_.begin()) - 1;
  const double h = rows_[i + 1] - rows_[i];
  const double t = (r - rows_[i]) / h;
  const double t2 = t * t, t3 = t2 * t;
  return (2 * t3 - 3 * t2 + 1) * ms_[i] + (t3 - 2 * t2 + t) * h * slope_[i] + (-2 * t3 + 3 * t2) * ms_[i + 1] +
         (t3 - t2) * h * slope_[i + 1];
}

}  // namespace edgeplan
