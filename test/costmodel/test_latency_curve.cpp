// Monotone interpolation of latency curves and the fallback model's shape.
#include <random>

#include <catch2/catch.hpp>

#include "edgeplan/costmodel/device_profile.h"
#include "edgeplan/costmodel/latency_curve.h"
#include "edgeplan/model/zoo.h"

using namespace edgeplan;

TEST_CASE("the curve passes through its samples and is 0 at 0 rows", "[curve]") {
  const LatencyCurve c({1, 2, 4, 8}, {0.5, 0.6, 1.0, 2.2});
  CHECK(c.at(0) == 0.0);
  CHECK(c.at(1) == Approx(0.5));
  CHECK(c.at(4) == Approx(1.0));
  CHECK(c.at(8) == Approx(2.2));
  CHECK(c.at(0.5) == Approx(0.25));
  CHECK(c.at(16) == Approx(4.4));  // beyond the last sample: its ms per row
}

TEST_CASE("monotone samples give a monotone curve without overshoot, steps included", "[curve]") {
  // A step between 31 and 33 rows (a GPU wave boundary), flat on both sides.
  const LatencyCurve step({1, 16, 31, 33, 48, 64}, {1.0, 1.0, 1.0, 2.0, 2.0, 2.0});
  double prev = 0;
  for (double r = 0.25; r <= 64; r += 0.25) {
    const double v = step.at(r);
    CHECK(v >= prev - 1e-12);
    CHECK(v <= 2.0 + 1e-12);
    if (r >= 1 && r <= 31) CHECK(v == Approx(1.0));
    if (r >= 33) CHECK(v == Approx(2.0));
    prev = v;
  }
  std::mt19937 rng(5);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<double> rows, ms;
    double r = 0, m = 0;
    for (int i = 0; i < 8; ++i) {
      r += 1 + rng() % 10;
      m += (rng() % 3 == 0) ? 0 : (rng() % 100) / 10.0;
      rows.push_back(r);
      ms.push_back(m);
    }
    const LatencyCurve c(rows, ms);
    double last = 0;
    for (double x = 0; x <= rows.back(); x += 0.1) {
      const double v = c.at(x);
      CHECK(v >= last - 1e-9);
      last = v;
    }
  }
}

TEST_CASE("bad curves are refused", "[curve]") {
  CHECK_THROWS(LatencyCurve({}, {}));
  CHECK_THROWS(LatencyCurve({1, 1}, {1, 2}));
  CHECK_THROWS(LatencyCurve({0, 1}, {1, 2}));
  CHECK_THROWS(LatencyCurve({1, 2}, {1, -2}));
  CHECK_THROWS(LatencyCurve({1, 2}, {1}));
}

TEST_CASE("the fallback model is nonlinear: fixed overhead, under-occupancy, wave steps", "[curve]") {
  const Graph g = build_model("vgg16");
  FallbackModel f;
  f.peak_gmacs = 100;
  f.memory_bandwidth_gbs = 20;
  f.saturation_mmacs = 50;
  f.beta = 0.6;
  f.wave_outputs = 64 * 224 * 8;  // 8 rows of layer 0's output per wave
  for (auto& k : f.kinds) k = {0.05, 0.5};
  const double one = f.latency_ms(g, 0, 1), full = f.latency_ms(g, 0, 224);
  CHECK(one > 0.05);
  CHECK(one > full / 224 * 2);  // small slices are inefficient: not linear
  CHECK(f.latency_ms(g, 0, 0) == 0.0);
  // Wave steps: 9 rows cost two waves, like 16 rows.
  CHECK(f.latency_ms(g, 0, 9) == Approx(f.latency_ms(g, 0, 16)));
  CHECK(f.latency_ms(g, 0, 17) > f.latency_ms(g, 0, 16));
  // Monotone in rows.
  for (int r = 1; r < 224; ++r) CHECK(f.latency_ms(g, 0, r + 1) >= f.latency_ms(g, 0, r));
}

TEST_CASE("layer signatures separate what costs differently and match across models", "[curve]") {
  const Graph a = build_model("vgg16");
  const Graph b = build_model("vgg16", Shape{3, 128, 128});
  CHECK(layer_signature(a, 0) == "conv k3x3 s1x1 p1x1 d1x1 g1 bias in3x224x224 out64x224x224");
  CHECK(layer_signature(a, 0) != layer_signature(b, 0));
  CHECK(layer_signature(a, 2) == layer_signature(a, 2));
  const Graph r18 = build_model("resnet18");
  const Graph r50 = build_model("resnet50");
  CHECK(layer_signature(r18, 0) == layer_signature(r50, 0));  // same 7x7 stem
}
