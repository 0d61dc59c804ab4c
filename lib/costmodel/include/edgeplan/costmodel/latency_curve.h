// A measured latency-vs-rows curve with monotone piecewise-cubic (PCHIP) interpolation.
#pragma once
#include <vector>

namespace edgeplan {

// Latency (ms) of computing `rows` output rows of one layer, sampled at increasing row
// counts. Between samples, Fritsch-Carlson monotone cubic interpolation: it follows steps
// and knees without overshoot and never invents a minimum or maximum between samples.
// Below the first sample the curve goes linearly to 0 ms at 0 rows; above the last it is
// extended with the last sample's ms per row.
class LatencyCurve {
 public:
  LatencyCurve() = default;
  // rows strictly increasing and positive; ms non-negative, same length; throws
  // std::invalid_argument otherwise.
  LatencyCurve(std::vector<double> rows, std::vector<double> ms);

  double at(double rows) const;
  bool empty() const { return rows_.empty(); }
  const std::vector<double>& rows() const { return rows_; }
  const std::vector<double>& ms() const { return ms_; }

 private:
  std::vector<double> rows_, ms_, slope_;
};

}  // namespace edgeplan
