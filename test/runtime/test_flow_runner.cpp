// Tasks run from only their messages (what each replay rank does) reproduce the monolithic
// output: random plans on every zoo model at a small input, and message helpers by hand.
#include <catch2/catch.hpp>

#include "edgeplan/model/zoo.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/runtime/flow_runner.h"
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
