// Property test of the halo math: for random volumes of every zoo model and random output
// regions, computing from only the input slices it names reproduces the monolithic slice.
#include <random>

#include <catch2/catch.hpp>

#include "edgeplan/model/zoo.h"
#include "edgeplan/runtime/cpu_executor.h"

using namespace edgeplan;

namespace {

Interval random_interval(std::mt19937_64& rng, int extent) {
  const int a = static_cast<int>(rng() % static_cast<std::uint64_t>(extent));
  const int b = a + 1 + static_cast<int>(rng() % static_cast<std::uint64_t>(extent - a));
  return Interval{a, b};
}

}  // namespace

TEST_CASE("random volume slices of every zoo model are exact", "[region][exact]") {
  for (const auto& name : zoo_model_names()) {
    const Shape input = name == "yolov2" ? Shape{3, 64, 96} : Shape{3, 67, 73};
    const Graph g = build_model(name, input);
    const CpuExecutor exec(g);
    std::mt19937_64 rng(std::hash<std::string>{}(name));
    const int body = g.body_end();
    for (int trial = 0; trial < 12; ++trial) {
      const int first = static_cast<int>(rng() % static_cast<std::uint64_t>(body));
      const int last = first + 1 + static_cast<int>(rng() % static_cast<std::uint64_t>(std::min(body - first, 40)));
      const LayerRange range{first, last};
      std::map<int, Region> want;
      for (int t : g.live_outputs(range)) {
        const Shape& s = g.tensor_shape(t);
        // Row stripes mostly; every third trial a 2-D tile.
        want[t] = Region{random_interval(rng, s.h), trial % 3 == 0 ? random_interval(rng, s.w) : Interval{0, s.w}};
      }
      const Comparison c = exec.check_volume_slice(range, want);
      INFO(name << " layers [" << first << "," << last << "): rel error " << c.max_rel_error);
      CHECK(c.max_rel_error <= 1e-5);
    }
  }
}
