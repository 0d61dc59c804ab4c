// The executor's own cost of a part (profile "executor" block): charged once per part by the
// simulator with the layers it computes and the bytes it receives and owns, by hand on a tiny
// model; read and written by the profile loader.
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "edgeplan/costmodel/simulator.h"
#include "fake_costs.h"

using namespace edgeplan;

namespace {

// 1 ms per row per layer, plus 0.5 ms per part + 0.25 ms per layer + 0.01 ms per byte moved.
class CostWithOverhead : public testing::FakeCost {
 public:
  CostWithOverhead() : FakeCost({{1, 1}, {1, 1}}) {}
  double part_overhead_ms(int, int layers, double bytes) const override { return 0.5 + 0.25 * layers + 0.01 * bytes; }
};

}  // namespace

TEST_CASE("executor overhead: charged per part with its layers and bytes, by hand", "[sim]") {
  // 1x4x4 input, two 1x1 convolutions: 16 bytes per row of every tensor.
  Graph g("tiny", Shape{1, 4, 4});
  const int a = g.conv("a", kModelInput, 1, 1);
  g.conv("b", a, 1, 1);
  Plan p;
  p.model = g.name();
  p.input = g.input_shape();
  p.devices = {"d0", "d1"};
  p.volumes = {Volume{{0, 2}, {Part{"d0", Region{{0, 2}, {0, 4}}}, Part{"d1", Region{{2, 4}, {0, 4}}}}}};
  SimulatorConfig cfg;
  cfg.device_ids = {"d0", "d1"};
  const NetworkModel net = NetworkModel::switched({0.128, 0.128}, 0, 0);  // 16 bytes per ms
  // Each part: 2 rows x 2 layers = 4 ms, plus 0.5 + 2 x 0.25 + (32 B received + 32 B owned) x 0.01 = 1.64 ms.
  // d1 receives its 2 image rows (2 ms), computes 5.64 ms, sends its 2 rows back (2 ms): 9.64 ms.
  const SimResult r = Simulator(g, CostWithOverhead(), net, cfg).simulate(p);
  CHECK(r.devices[0].compute_ms == Approx(5.64));
  CHECK(r.devices[1].compute_ms == Approx(5.64));
  CHECK(r.latency_ms == Approx(9.64));
}

TEST_CASE("executor overhead: the profile block is read, written back and checked", "[sim]") {
  std::ifstream in(std::string(EDGEPLAN_SOURCE_DIR) + "/profiles/modeled/jetson-nano.json");
  nlohmann::json j = nlohmann::json::parse(in);
  j["executor"] = {{"per_part_ms", 0.5}, {"per_layer_ms", 0.25}, {"ms_per_mb", 0.1}, {"source", "a test"}};
  DeviceProfile p;
  try {
    p = parse_profile(j.dump());
  } catch (const ScenarioError& e) {
    FAIL(e.what());
  }
  CHECK(p.executor.present);
  CHECK(p.executor.ms(4, 2e6) == Approx(0.5 + 1.0 + 0.2));
  const DeviceProfile back = parse_profile(profile_to_json(p));
  CHECK(back.executor.per_layer_ms == 0.25);
  CHECK(back.executor.source == "a test");
  for (const auto& [key, value] : {std::pair<std::string, nlohmann::json>{"per_part_ms", -1}, {"ms_per_mb", "x"}, {"extra", 1}}) {
    nlohmann::json bad = j;
    bad["executor"][key] = value;
    try {
      parse_profile(bad.dump());
      FAIL("accepted executor." << key);
    } catch (const ScenarioError& e) {
      const std::string msg = e.what();
      CHECK(msg.find("profile.executor") != std::string::npos);
      CHECK(msg.find('\n') == std::string::npos);
    }
  }
  nlohmann::json none = j;
  none.erase("executor");
  CHECK_FALSE(parse_profile(none.dump()).executor.present);
  CHECK(parse_profile(none.dump()).executor.ms(10, 1e9) == 0.0);
}
