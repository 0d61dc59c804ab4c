// Tasks run from only their messages (what each replay rank does) reproduce the monolithic
// output: random plans on every zoo model at a small input, and message helpers by hand.
#include <tuple>

#include <catch2/catch.hpp>

#include "edgeplan/model/zoo.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/runtime/executor_overhead.h"
#include "edgeplan/runtime/flow_runner.h"
#include "edgeplan/runtime/wire_format.h"
#include "edgeplan/strategy/simple_plans.h"

using namespace edgeplan;

TEST_CASE("flow runner: crop and paste move exactly the named rows and columns") {
  RegionData whole = make_region_data(Region{{2, 5}, {0, 3}}, 2);  // rows 2..4, cols 0..2, 2 channels
  for (std::size_t i = 0; i < whole.values.size(); ++i) whole.values[i] = static_cast<float>(i);
  const RegionData piece = crop(whole, Region{{3, 5}, {1, 3}});
  // channel 0 rows 3,4 cols 1,2 -> values 4,5,7,8; channel 1 adds 9.
  CHECK(piece.values == std::vector<float>{4, 5, 7, 8, 13, 14, 16, 17});
  RegionData target = make_region_data(Region{{0, 6}, {0, 3}}, 2);
  paste(target, piece);
  CHECK(target.values[static_cast<std::size_t>(3 * 3 + 1)] == 4.0f);
  CHECK(target.values[static_cast<std::size_t>(18 + 4 * 3 + 2)] == 17.0f);
  CHECK_THROWS(crop(whole, Region{{1, 3}, {0, 3}}));
}

TEST_CASE("flow runner: every zoo model, random plans, tasks run from their messages only") {
  for (const std::string& name : zoo_model_names()) {
    const Graph full = build_model(name);
    // A quarter of the input, rounded down to a multiple of 32 (YOLOv2 needs one), at least 64.
    const int side = std::max(64, full.input_shape().h / 4 / 32 * 32);
    const Shape small{3, side, side};
    const Graph g = build_model(name, small);
    ExecutorOptions o;
    o.threads = 1;
    PartRunner runner(g, o);
    const RegionData want = runner.monolithic();
    for (std::uint64_t seed = 1; seed <= 2; ++seed) {
      const Plan plan = make_random_plan(g, seed * 31 + 5);
      const Dataflow flow = compile_dataflow(g, plan, plan.devices, 0, static_cast<int>(plan.devices.size()) - 1);
      const RegionData got = run_locally(flow, runner);
      INFO(name << " " << to_string(small) << " seed " << seed);
      CHECK(got.values.size() == want.values.size());
      CHECK(max_relative_error(got.values, want.values) <= 1e-4);
    }
  }
}

TEST_CASE("wire formats: fp16 rounds to nearest even, 8-bit levels round-trip, packed sizes", "[runtime]") {
  const std::vector<float> v = {1.0f, 0.1f, -2.5f, 65504.0f, 1.0f + 1.0f / 4096, 3.0e-8f};
  std::vector<unsigned char> bytes;
  pack_wire(v, ElementType::F16, bytes);
  REQUIRE(bytes.size() == v.size() * 2);
  CHECK((bytes[0] | bytes[1] << 8) == 0x3C00);  // 1.0
  CHECK((bytes[2] | bytes[3] << 8) == 0x2E66);  // 0.1 -> 0.0999755859375
  std::vector<float> back(v.size());
  unpack_wire(bytes, ElementType::F16, back);
  CHECK(back[1] == 0.0999755859375f);
  CHECK(back[3] == 65504.0f);
  CHECK(back[4] == 1.0f);  // halfway between 1 and 1 + 2^-10: to even
  std::vector<float> rounded = v;
  round_to_wire(rounded, ElementType::F16);
  CHECK(rounded == back);
  // The image as an 8-bit frame: 256 levels over [-1, 1], exact through the wire.
  std::vector<float> levels;
  for (int q = 0; q < 256; ++q) levels.push_back(u8_level(q));
  CHECK(levels.front() == -1.0f);
  CHECK(levels.back() == 1.0f);
  CHECK(quantize_to_u8_levels(levels) == levels);
  pack_wire(levels, ElementType::U8, bytes);
  REQUIRE(bytes.size() == 256);
  for (int q = 0; q < 256; ++q) CHECK(bytes[static_cast<std::size_t>(q)] == q);
  std::vector<float> got(256);
  unpack_wire(bytes, ElementType::U8, got);
  CHECK(got == levels);
  CHECK(quantize_to_u8_levels({0.0039f, -3.0f})[1] == -1.0f);
  CHECK_FALSE(wire_supported(ElementType::I8));
  CHECK_THROWS(pack_wire(v, ElementType::I8, bytes));
}

TEST_CASE("run_locally with fp16 on the wire: rounded where messages cross, close to fp32", "[runtime]") {
  const Graph g = build_model("resnet18", Shape{3, 64, 64});
  ExecutorOptions o;
  o.threads = 1;
  PartRunner runner(g, o);
  const RegionData want = runner.monolithic();
  const Plan plan = make_random_plan(g, 7);
  const Dataflow flow = compile_dataflow(g, plan, plan.devices, 0, static_cast<int>(plan.devices.size()) - 1);
  CHECK(max_relative_error(run_locally(flow, runner, ElementSizes{}).values, want.values) <= 1e-4);
  const double fp16 = max_relative_error(run_locally(flow, runner, ElementSizes{ElementType::F16, ElementType::F32}).values, want.values);
  INFO("fp16 transport: relative error " << fp16);
  CHECK(fp16 > 1e-6);   // the roundings happen
  CHECK(fp16 < 1e-2);   // half precision keeps about 3 decimal digits per message
}

TEST_CASE("executor overhead fit: exact coefficients from clean samples, never negative", "[runtime]") {
  auto sample = [](double parts, double layers, double mb, double extra_ms) {
    OverheadSample s;
    s.parts = parts;
    s.layers = layers;
    s.bytes = mb * 1e6;
    s.layers_ms = 10;
    s.layer_scale = 0.9;
    s.measured_ms = 9 + extra_ms;
    return s;
  };
  // 0.2 ms per part + 0.01 ms per layer + 0.1 ms per MB.
  auto truth = [](double p, double l, double mb) { return 0.2 * p + 0.01 * l + 0.1 * mb; };
  std::vector<OverheadSample> clean;
  for (const auto& [p, l, mb] : std::vector<std::tuple<double, double, double>>{{1, 10, 1}, {10, 10, 50}, {20, 40, 5}, {3, 100, 20}})
    clean.push_back(sample(p, l, mb, truth(p, l, mb)));
  const ExecutorOverhead o = fit_executor_overhead(clean);
  CHECK(o.per_part_ms == Approx(0.2));
  CHECK(o.per_layer_ms == Approx(0.01));
  CHECK(o.ms_per_mb == Approx(0.1));
  // Measured faster than the curves with more parts: the unconstrained fit would go negative.
  const ExecutorOverhead neg = fit_executor_overhead({sample(1, 1, 0, 1.0), sample(10, 1, 0, 0.1), sample(20, 1, 0, 0.0)});
  CHECK(neg.per_part_ms >= 0);
  CHECK(neg.per_layer_ms >= 0);
  CHECK(neg.ms_per_mb >= 0);
  CHECK_THROWS(fit_executor_overhead({sample(1, 1, 1, 0)}));
}
