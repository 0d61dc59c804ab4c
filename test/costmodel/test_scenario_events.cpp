// Scenario events (replan): parsing, applying to a scenario, traces frozen at an instant.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/scenario_events.h"
#include "edgeplan/jsonio/fields.h"

using namespace edgeplan;

namespace {

const std::string kDir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/tiered";

std::string text_of(const std::string& name) { return jsonio::read_file<ScenarioError>(kDir + "/" + name, "scenario"); }

Scenario parse(const std::string& text) { return parse_scenario(text, kDir); }

}  // namespace

TEST_CASE("events: parsed, or refused with one line", "[events]") {
  const ScenarioEvent b = parse_event("bandwidth:edge-cloud=20");
  CHECK(b.kind == ScenarioEvent::Kind::Bandwidth);
  CHECK(b.target == "edge-cloud");
  CHECK(b.value == 20);
  const ScenarioEvent s = parse_event("slow:edge-1=2.5");
  CHECK(s.kind == ScenarioEvent::Kind::Slow);
  CHECK(s.value == 2.5);
  CHECK(parse_event("gone:edge-0").kind == ScenarioEvent::Kind::Gone);
  for (const char* bad : {"bandwidth", "bandwidth:x", "bandwidth:x=", "bandwidth:x=-3", "bandwidth:x=0", "bandwidth:x=1e99",
                          "slow:a=abc", "slow:a=2x", "gone:", "gone:a=1", "fast:a=1", ":a=1", "bandwidth:=5"}) {
    INFO(bad);
    try {
      parse_event(bad);
      FAIL("accepted");
    } catch (const ScenarioError& e) {
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("events: a backbone rate, a device rate, a slowdown, a device gone", "[events]") {
  const std::string text = text_of("resnet50-e4-lan1000-bb50.json");
  const Scenario before = parse(text);
  const int n = static_cast<int>(before.devices.size());
  const Scenario bb = parse(apply_events(text, {parse_event("bandwidth:edge-cloud=20")}));
  CHECK(bb.network.rate_at(n + 1, 0) == 20);
  CHECK(bb.network.rate_at(n, 0) == 1000);
  const Scenario dev = parse(apply_events(text, {parse_event("bandwidth:pi4=30"), parse_event("bandwidth:cloud-edge=70")}));
  CHECK(dev.network.rate_at(dev.device_index("pi4"), 0) == 30);
  CHECK(dev.network.rate_at(dev.device_index("edge-0"), 0) == 1000);
  CHECK(dev.network.rate_at(n + 1, 0) == 70);
  const Scenario slow = parse(apply_events(text, {parse_event("slow:edge-2=2"), parse_event("slow:edge-2=1.5")}));
  CHECK(slow.devices[static_cast<std::size_t>(slow.device_index("edge-2"))].profile.time_scale == 3.0);
  const auto e2 = static_cast<std::size_t>(before.device_index("edge-2"));
  CHECK(slow.devices[e2].profile.latency_ms(slow.graph, 5, 10) == Approx(3.0 * before.devices[e2].profile.latency_ms(before.graph, 5, 10)));
  const Scenario gone = parse(apply_events(text, {parse_event("gone:edge-1")}));
  CHECK(gone.devices.size() == before.devices.size() - 1);
  CHECK(gone.device_index("edge-1") < 0);
  CHECK(gone.network.tier_of(gone.device_index("edge-2")) == 1);
  CHECK(gone.network.tier_of(gone.device_index("cloud")) == 2);
  for (const char* bad : {"bandwidth:nobody=5", "bandwidth:device-cloud=5", "slow:nobody=2", "gone:nobody", "gone:pi4"}) {
    INFO(bad);
    CHECK_THROWS_AS(apply_events(text, {parse_event(bad)}), ScenarioError);
  }
}

TEST_CASE("events: a scenario's slowdown field scales its device's times, bad values refused", "[events]") {
  nlohmann::json j = nlohmann::json::parse(text_of("alexnet-e2-lan1000-bb50.json"));
  j["devices"][1]["slowdown"] = 4;
  const Scenario s = parse(j.dump());
  CHECK(s.devices[1].profile.time_scale == 4);
  j["devices"][1]["slowdown"] = -1;
  CHECK_THROWS_AS(parse(j.dump()), ScenarioError);
  j["devices"][1]["slowdown"] = "x";
  CHECK_THROWS_AS(parse(j.dump()), ScenarioError);
}

TEST_CASE("traces: change times and the scenario frozen at each", "[events]") {
  const std::string text = text_of("vgg16-e4-trace.json");
  const std::vector<double> t = trace_times(text);
  CHECK(t == std::vector<double>{0, 2000, 4000, 6000, 8000, 10000, 12000, 14000});
  const Scenario traced = parse(text);
  const int link = static_cast<int>(traced.devices.size()) + 1;
  for (double at : {0.0, 1999.0, 2000.0, 5000.0, 99999.0}) {
    const Scenario frozen = parse(scenario_at(text, at));
    CHECK_FALSE(frozen.network.has_traces());
    CHECK(frozen.network.rate_at(link, 0) == traced.network.rate_at(link, at));
  }
  CHECK(trace_times(text_of("vgg16-e4-lan1000-bb50.json")) == std::vector<double>{0});
}
