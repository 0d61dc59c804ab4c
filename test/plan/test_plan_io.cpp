// edgeplan.plan/v1 reading, writing and the one-line errors for every kind of bad plan.
#include <cstdio>
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "edgeplan/model/zoo.h"
#include "edgeplan/plan/plan.h"
#include "../temp_dir.h"
#include "plan_errors.h"
#include "plan_fixtures.h"

using namespace edgeplan;
using nlohmann::json;

namespace {

// Applies `edit` to the valid plan and returns the loader's message ("" if it loaded).
std::string error_after(const std::function<void(json&)>& edit) { return plan_error_after(json::parse(valid_plan_text()), edit); }

}  // namespace

TEST_CASE("a valid plan loads, fills full-width columns and round-trips", "[plan]") {
  const Plan p = parse_plan(valid_plan_text());
  CHECK(p.model == "resnet18");
  CHECK(p.input == Shape{3, 64, 64});
  REQUIRE(p.volumes.size() == 2);
  CHECK(p.volumes[0].parts[1].region == Region{{9, 16}, {0, 16}});
  CHECK(p.volumes[1].parts[1].region == Region{{0, 2}, {1, 2}});
  REQUIRE(p.tail);
  CHECK(p.tail->device == "jetson");
  CHECK(json::parse(p.predicted_json)["latency_ms"] == 12.5);
  const std::string text = plan_to_json(p);
  CHECK(text.find("\"cols\": [\n        0,\n        16") == std::string::npos);  // full width omitted
  CHECK(parse_plan(text) == p);
}

TEST_CASE("plan files are written atomically and read back", "[plan]") {
  const Plan p = parse_plan(valid_plan_text());
  const TempDir tmp;
  const std::string path = tmp / "roundtrip.json";
  save_plan_file(p, path);
  CHECK(load_plan_file(path) == p);
  CHECK_THROWS_WITH(save_plan_file(p, "/nonexistent-dir/plan.json"), Catch::Contains("cannot write"));
  CHECK_THROWS_WITH(load_plan_file("/nonexistent-dir/plan.json"), Catch::Contains("cannot open"));
}

TEST_CASE("malformed JSON and trailing garbage are rejected", "[plan]") {
  CHECK_THROWS_WITH(parse_plan("{"), Catch::Contains("malformed JSON"));
  CHECK_THROWS_WITH(parse_plan(valid_plan_text() + " x"), Catch::Contains("malformed JSON"));
  CHECK_THROWS_WITH(parse_plan("[]"), Catch::Contains("JSON object"));
  CHECK_THROWS_WITH(parse_plan(""), Catch::Contains("malformed JSON"));
}

TEST_CASE("every inconsistency gets its own one-line reason", "[plan]") {
  CHECK_THAT(error_after([](json& j) { j["format"] = "edgeplan.plan/v2"; }), Catch::Contains("expected 'edgeplan.plan/v1'"));
  CHECK_THAT(error_after([](json& j) { j.erase("format"); }), Catch::Contains("missing field 'format'"));
  CHECK_THAT(error_after([](json& j) { j["model"]["name"] = "resnet19"; }), Catch::Contains("unknown model 'resnet19'"));
  CHECK_THAT(error_after([](json& j) { j["model"]["input"] = {3, 64}; }), Catch::Contains("[C, H, W]"));
  CHECK_THAT(error_after([](json& j) { j["model"]["input"] = {3, 64, 0}; }), Catch::Contains("positive"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][1]["layers"] = {11, 66}; }), Catch::Contains("should start at layer 10"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][1]["layers"] = {10, 60}; }), Catch::Contains("spatial layers end at 66"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][1]["layers"] = {10, 67}; }), Catch::Contains("reaches past"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["parts"][1]["rows"] = {8, 16}; }), Catch::Contains("overlap"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["parts"][1]["rows"] = {10, 16}; }),
             Catch::Contains("gap at row 9"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["parts"][1]["rows"] = {9, 17}; }), Catch::Contains("outside"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["parts"][1]["rows"] = {16, 9}; }), Catch::Contains("before begin"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["parts"][1]["rows"] = {-1, 16}; }), Catch::Contains("non-negative integer"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["parts"][1]["rows"] = {9.5, 16}; }), Catch::Contains("non-negative integer"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["parts"][1]["rows"] = {9, 1e12}; }), Catch::Contains("non-negative integer"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["parts"][1]["rows"] = {9, 4294967296LL}; }), Catch::Contains("too large"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["parts"][1]["device"] = "gpu"; }), Catch::Contains("unknown device 'gpu'"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["parts"] = json::array(); }), Catch::Contains("has no parts"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][1]["parts"][1]["cols"] = {2, 2}; }), Catch::Contains("empty"));
  CHECK_THAT(error_after([](json& j) { j["devices"] = {"jetson", "pi", "pi"}; }), Catch::Contains("listed twice"));
  CHECK_THAT(error_after([](json& j) { j["devices"] = json::array(); }), Catch::Contains("no devices"));
  CHECK_THAT(error_after([](json& j) { j.erase("tail"); }), Catch::Contains("no tail"));
  CHECK_THAT(error_after([](json& j) { j["tail"]["layers"] = {67, 69}; }), Catch::Contains("must cover [66,69)"));
  CHECK_THAT(error_after([](json& j) { j["tail"]["device"] = "cloud"; }), Catch::Contains("unknown device 'cloud'"));
  CHECK_THAT(error_after([](json& j) { j["volumes"][0]["speed"] = 1; }), Catch::Contains("unknown field 'speed'"));
  CHECK_THAT(error_after([](json& j) { j["predicted"] = 3; }), Catch::Contains("must be an object"));
  CHECK_THAT(error_after([](json& j) { j["volumes"] = json::array(); }), Catch::Contains("no volumes"));
  CHECK(error_after([](json&) {}).empty());
}

TEST_CASE("a tail on a fully convolutional model is an error", "[plan]") {
  const Graph g = build_model("yolov2", Shape{3, 64, 64});
  Plan p;
  p.model = "yolov2";
  p.input = g.input_shape();
  p.devices = {"a"};
  p.volumes.push_back(Volume{LayerRange{0, g.size()}, {Part{"a", full_region(g.layer(g.size() - 1).out)}}});
  CHECK_NOTHROW(validate_plan(p, g));
  p.tail = Tail{LayerRange{g.size(), g.size()}, "a"};
  CHECK_THROWS_WITH(validate_plan(p, g), Catch::Contains("no non-spatial layers"));
}
