// calibrate-network: from ping-pong times over each emulated link to the network block of a
// scenario (achieved rate per device, one-way latency, per-message overhead).
#pragma once
#include <string>
#include <vector>

namespace edgeplan {

struct PairMeasurement {
  std::string from, to;
  double rtt_ms = 0;                 // 1-byte message + 1-byte acknowledgement (median)
  std::vector<long long> bytes;      // message sizes
  std::vector<double> round_trip_ms; // message + acknowledgement (median per size)
};

struct PairFit {
  std::string from, to;
  double mbps = 0;      // achieved rate: 8 / slope of one-way time over bytes
  double fixed_ms = 0;  // one-way time of an empty message: latency + overhead
};

struct NetworkCalibration {
  std::vector<PairFit> pairs;
  std::vector<double> device_mbps;  // per device: its fastest pair (a pair runs at the slower end)
  double latency_ms = 0;            // half the median 1-byte round trip
  double overhead_ms = 0;           // median over pairs of fixed_ms - latency (>= 0)
};

// Parses one rank's measurements (a JSON array); throws ReplayError on a malformed one.
std::vector<PairMeasurement> parse_pair_measurements(const std::string& text);

// Least squares of one-way time (round trip - half the 1-byte round trip) on bytes. Throws
// ReplayError if fewer than two sizes or the rate comes out non-positive.
PairFit fit_pair(const PairMeasurement& m);

NetworkCalibration calibrate(const std::vector<std::string>& devices, const std::vector<PairMeasurement>& all);

// Sizes for a link of `mbps`: the largest takes about 0.25 s at that rate (64 KiB to 16 MiB),
// then a quarter, a sixteenth and a sixty-fourth of it.
std::vector<long long> calibration_sizes(double mbps);

}  // namespace edgeplan
