// Even and random plans are valid for every zoo model and split as promised.
#include <catch2/catch.hpp>

#include "edgeplan/model/zoo.h"
#include "edgeplan/strategy/simple_plans.h"

using namespace edgeplan;

TEST_CASE("even plans give every device rows differing by at most one", "[plans]") {
  const Graph g = build_model("vgg16", Shape{3, 64, 64});
  const Plan p = make_even_plan(g, numbered_devices(3), per_layer_volumes(g));
  CHECK(p.volumes.size() == static_cast<std::size_t>(g.body_end()));
  for (const Volume& v : p.volumes) {
    const int h = g.layer(v.anchor()).out.h;
    const auto n = static_cast<int>(v.parts.size());
    CHECK(n == std::min(3, h));
    for (const Part& part : v.parts) {
      CHECK(part.region.rows.size() >= h / n);
      CHECK(part.region.rows.size() <= h / n + 1);
    }
  }
  // Last pool output is 2x2: only two of three devices get rows.
  CHECK(p.volumes.back().parts.size() == 2);
  REQUIRE(p.tail);
  CHECK(p.tail->layers == LayerRange{g.body_end(), g.size()});
}

TEST_CASE("random plans are valid, reproducible and varied", "[plans]") {
  for (const auto& name : zoo_model_names()) {
    const Graph g = build_model(name, Shape{3, 64, 64});
    bool saw_tiles = false, saw_multi = false;
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
      const Plan p = make_random_plan(g, seed);
      CHECK_NOTHROW(validate_plan(p, g));
      CHECK(make_random_plan(g, seed) == p);
      for (const Volume& v : p.volumes) {
        saw_multi |= v.parts.size() > 1;
        for (const Part& part : v.parts) saw_tiles |= part.region.cols.size() < g.layer(v.anchor()).out.w;
      }
    }
    CHECK(saw_tiles);
    CHECK(saw_multi);
  }
}
