// Fitting the links: one-way time = fixed + bytes * 8 / rate, per ordered pair.
#include "edgeplan/replay/calibration.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "edgeplan/compute/percentile.h"
#include "edgeplan/replay/rank_record.h"

namespace edgeplan {

using nlohmann::json;

std::vector<PairMeasurement> parse_pair_measurements(const std::string& text) {
  std::vector<PairMeasurement> out;
  try {
    const json j = json::parse(text);
    if (!j.is_array()) throw ReplayError("link measurements are not an array");
    for (const json& p : j) {
      PairMeasurement m;
      m.from = p.at("from").get<std::string>();
      m.to = p.at("to").get<std::string>();
      m.rtt_ms = p.at("rtt_ms").get<double>();
      m.bytes = p.at("bytes").get<std::vector<long long>>();
      m.round_trip_ms = p.at("round_trip_ms").get<std::vector<double>>();
      if (m.bytes.size() != m.round_trip_ms.size()) throw ReplayError("link measurement of " + m.from + " -> " + m.to + " is inconsistent");
      out.push_back(std::move(m));
    }
  } catch (const json::exception& e) {
    throw ReplayError("malformed link measurements: " + std::string(e.what()).substr(0, 200));
  }
  return out;
}

PairFit fit_pair(const PairMeasurement& m) {
  const std::size_t n = m.bytes.size();
  if (n < 2) throw ReplayError("calibration of " + m.from + " -> " + m.to + " needs at least two message sizes");
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(m.bytes[i]), y = m.round_trip_ms[i] - m.rtt_ms / 2;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const double dn = static_cast<double>(n);
  const double slope = (dn * sxy - sx * sy) / (dn * sxx - sx * sx);  // ms per byte
  if (!(slope > 0) || !std::isfinite(slope))
    throw ReplayError("calibration of " + m.from + " -> " + m.to + ": time does not grow with message size (is the link shaped?)");
  return PairFit{m.from, m.to, 8.0 / slope / 1000.0, (sy - slope * sx) / dn};
}

NetworkCalibration calibrate(const std::vector<std::string>& devices, const std::vector<PairMeasurement>& all) {
  NetworkCalibration c;
  c.device_mbps.assign(devices.size(), 0.0);
  std::vector<double> rtts, fixed;
  for (const PairMeasurement& m : all) {
    c.pairs.push_back(fit_pair(m));
    rtts.push_back(m.rtt_ms);
    fixed.push_back(c.pairs.back().fixed_ms);
    for (std::size_t d = 0; d < devices.size(); ++d)
      if (devices[d] == m.from || devices[d] == m.to) c.device_mbps[d] = std::max(c.device_mbps[d], c.pairs.back().mbps);
  }
  if (rtts.empty()) throw ReplayError("calibration needs at least two devices");
  c.latency_ms = percentile(rtts, 0.5) / 2;
  c.overhead_ms = std::max(0.0, percentile(fixed, 0.5) - c.latency_ms);
  return c;
}

std::vector<long long> calibration_sizes(double mbps) {
  const long long largest = std::clamp(static_cast<long long>(mbps * 1e6 / 8 * 0.25), 64LL << 10, 16LL << 20);
  return {largest / 64, largest / 16, largest / 4, largest};
}

}  // namespace edgeplan
