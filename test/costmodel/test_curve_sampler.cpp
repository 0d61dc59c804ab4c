// The adaptive sampler finds steps and knees of synthetic curves with known shapes.
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "edgeplan/costmodel/curve_sampler.h"
#include "edgeplan/costmodel/latency_curve.h"

using namespace edgeplan;

namespace {

LatencySample exact(double ms) { return LatencySample{0, ms, ms, ms}; }

bool has(const std::vector<LatencySample>& s, int rows) {
  for (const auto& x : s)
    if (x.rows == rows) return true;
  return false;
}

}  // namespace

TEST_CASE("a step between two row counts is located to one row", "[sampler]") {
  // A GPU-like wave: flat 1 ms up to 37 rows, 2 ms from 38 on (224 rows in all).
  int calls = 0;
  const auto s = sample_curve(224, [&](int r) {
    ++calls;
    return exact(r <= 37 ? 1.0 : 2.0);
  });
  CHECK(has(s, 37));
  CHECK(has(s, 38));
  CHECK(has(s, 1));
  CHECK(has(s, 224));
  CHECK(calls == static_cast<int>(s.size()));  // every row count measured once
  CHECK(s.size() <= 40u);
  // The interpolated curve reproduces the step.
  std::vector<double> rows, ms;
  for (const auto& x : s) {
    rows.push_back(x.rows);
    ms.push_back(x.p50_ms);
  }
  const LatencyCurve c(rows, ms);
  CHECK(c.at(37) == Approx(1.0));
  CHECK(c.at(38) == Approx(2.0));
  CHECK(c.at(20) == Approx(1.0));
  CHECK(c.at(100) == Approx(2.0));
}

TEST_CASE("a straight line needs only one check per interval, a knee gets refined", "[sampler]") {
  const auto line = sample_curve(200, [](int r) { return exact(0.1 + 0.01 * r); });
  CHECK(line.size() == 17u);  // 9 first points + one midpoint check per interval, no further refinement
  // Fixed cost until 64 rows, then linear: sampled densely enough around the knee that the
  // interpolated curve stays within the 5% tolerance everywhere.
  auto f = [](int r) { return r < 64 ? 1.0 : 1.0 + 0.05 * (r - 64); };
  const auto knee = sample_curve(200, [&](int r) { return exact(f(r)); });
  CHECK(knee.size() > 9u);
  std::vector<double> rows, ms;
  for (const auto& x : knee) {
    rows.push_back(x.rows);
    ms.push_back(x.p50_ms);
  }
  const LatencyCurve c(rows, ms);
  for (int r = 1; r <= 200; ++r) CHECK(std::abs(c.at(r) - f(r)) <= 0.05 * f(r) + 1e-9);
}

TEST_CASE("measurement noise within the spread does not trigger refinement", "[sampler]") {
  std::mt19937 rng(1);
  const auto s = sample_curve(300, [&](int r) {
    const double base = 0.5 + 0.02 * r;
    const double jitter = (static_cast<double>(rng() % 1000) / 1000.0 - 0.5) * 0.04 * base;  // +-2%
    return LatencySample{0, base * 0.97 + jitter, base + jitter, base * 1.03 + jitter};
  });
  CHECK(s.size() <= 20u);  // half the budget at most
}

TEST_CASE("tiny heights are sampled completely", "[sampler]") {
  CHECK(sample_curve(1, [](int) { return exact(1); }).size() == 1u);
  CHECK(sample_curve(3, [](int r) { return exact(r); }).size() == 3u);
  CHECK(sample_curve(0, [](int) { return exact(1); }).empty());
}
