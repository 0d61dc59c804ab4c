// The exits extension of plans (edgeplan.plan-exits/v1) and the trained heads it names
// (edgeplan.exits/v1): round trips and a one-line reason for every inconsistency.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "edgeplan/onnx/onnx_model.h"
#include "edgeplan/plan/plan_exits.h"
#include "plan_errors.h"

using namespace edgeplan;
using nlohmann::json;

namespace {

const std::string kDir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/exits/vgg-fm/";

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// vgg-fm (the committed trained backbone): 15 spatial layers, exits after layers 4 and 9.
json exits_plan() {
  const std::string onnx = kDir + "model.onnx", heads = kDir + "exits.json";
  return json::parse(R"({
    "format": "edgeplan.plan/v1",
    "model": {"name": "model", "input": [1, 28, 28]},
    "devices": ["a", "b"],
    "volumes": [
      {"layers": [0, 5], "parts": [{"device": "a", "rows": [0, 14]}]},
      {"layers": [5, 10], "parts": [{"device": "a", "rows": [0, 4]}, {"device": "b", "rows": [4, 7]}]},
      {"layers": [10, 15], "parts": [{"device": "b", "rows": [0, 3]}]}
    ],
    "tail": {"layers": [15, 18], "device": "a"},
    "exits": {"format": "edgeplan.plan-exits/v1", "heads": "", "sha256": "", "deadline_ms": 1.5,
              "exits": [{"name": "exit1", "after": 5, "device": "b", "threshold": 0.9},
                        {"name": "exit2", "after": 10, "device": "a", "threshold": "never"}]}
  })")
      .patch(json::array({{{"op", "add"}, {"path", "/model/onnx"}, {"value", onnx}},
                          {{"op", "add"}, {"path", "/model/sha256"}, {"value", sha256_hex(file_text(onnx))}},
                          {{"op", "replace"}, {"path", "/exits/heads"}, {"value", heads}},
                          {{"op", "replace"}, {"path", "/exits/sha256"}, {"value", sha256_hex(file_text(heads))}}}));
}

std::string error_after(const std::function<void(json&)>& edit) { return plan_error_after(exits_plan(), edit); }

}  // namespace

TEST_CASE("a plan with exits loads, names its heads and round-trips", "[plan][exits]") {
  const Plan p = parse_plan(exits_plan().dump());
  REQUIRE(p.exits);
  REQUIRE(p.exits->exits.size() == 2);
  CHECK(p.exits->exits[0] == PlanExit{"exit1", 5, "b", 0.9});
  CHECK(p.exits->exits[1].threshold == PlanExit::kNever);
  CHECK(p.exits->deadline_ms == 1.5);
  CHECK(parse_plan(plan_to_json(p)) == p);
  CHECK(json::parse(plan_to_json(p))["exits"]["exits"][1]["threshold"] == "never");
  const TrainedHeads h = plan_heads(p, plan_graph(p));
  REQUIRE(h.heads.size() == 2);
  CHECK(h.heads[0].channels == 16);
  CHECK(h.heads[1].channels == 32);
  CHECK(h.heads[0].weight.size() == 160);
  CHECK(h.find("exit2")->after == 10);
  // A plan without exits writes no exits block.
  Plan plain = p;
  plain.exits.reset();
  CHECK(json::parse(plan_to_json(plain)).count("exits") == 0);
}

TEST_CASE("every inconsistency of a plan's exits gets its own one-line reason", "[plan][exits]") {
  CHECK(error_after([](json&) {}).empty());
  CHECK(error_after([](json& j) { j["exits"]["format"] = "edgeplan.plan-exits/v9"; }).find("expected 'edgeplan.plan-exits/v1'") != std::string::npos);
  CHECK(error_after([](json& j) { j["exits"]["color"] = 1; }).find("unknown field 'color'") != std::string::npos);
  CHECK(error_after([](json& j) { j["exits"]["exits"] = json::array(); }).find("lists no exits") != std::string::npos);
  CHECK(error_after([](json& j) { j["exits"]["exits"][0]["threshold"] = 1.5; }).find("threshold") != std::string::npos);
  CHECK(error_after([](json& j) { j["exits"]["exits"][0]["threshold"] = "sometimes"; }).find("\"never\"") != std::string::npos);
  CHECK(error_after([](json& j) { j["exits"]["exits"][0]["device"] = "c"; }).find("unknown device 'c'") != std::string::npos);
  CHECK(error_after([](json& j) { j["exits"]["exits"][1]["name"] = "exit1"; }).find("listed twice") != std::string::npos);
  CHECK(error_after([](json& j) { std::swap(j["exits"]["exits"][0], j["exits"]["exits"][1]); }).find("not after the previous exit") != std::string::npos);
  CHECK(error_after([](json& j) { j["exits"]["exits"][1]["after"] = 15; }).find("exactly one tensor crosses") != std::string::npos);
  // Inside a fused volume an exit is fine where every part computes its share of the tensor
  // at the cut on its way (volume 1 now spans layers 5-12, exit2 reads cut 10 inside it)...
  CHECK(error_after([](json& j) {
          j["volumes"][1]["layers"] = {5, 12};
          j["volumes"][1]["parts"] = json::parse(R"([{"device": "a", "rows": [0, 3]}, {"device": "b", "rows": [3, 7]}])");
          j["volumes"][2]["layers"] = {12, 15};
        }).empty());
  // ...but not where a part's share holds cells it does not compute: cut 14 (the 7 x 7 map
  // before the last 2 x 2 pool, whose 3 output rows never read row 6).
  CHECK(error_after([](json& j) {
          j["volumes"][2]["parts"] = json::parse(R"([{"device": "a", "rows": [0, 1]}, {"device": "b", "rows": [1, 3]}])");
          j["exits"]["exits"][1]["after"] = 14;
        }).find("does not compute all of its share") != std::string::npos);
  // The heads file: its SHA-256, its existence, its heads.
  CHECK(error_after([](json& j) { j["exits"]["sha256"] = std::string(64, 'a'); }).find("now has") != std::string::npos);
  CHECK(error_after([](json& j) { j["exits"]["sha256"] = "abc"; }).find("64 lower-case hex digits") != std::string::npos);
  CHECK(error_after([](json& j) { j["exits"]["heads"] = "/nonexistent/exits.json"; }).find("/nonexistent/exits.json: cannot open") != std::string::npos);
  CHECK(error_after([](json& j) { j["exits"]["exits"][1]["name"] = "exit9"; }).find("no head 'exit9'") != std::string::npos);
  CHECK(error_after([](json& j) {
          j["exits"]["exits"][0]["after"] = 4;
          j["volumes"][0]["layers"] = {0, 4};
          j["volumes"][0]["parts"][0]["rows"] = {0, 28};
          j["volumes"][1]["layers"] = {4, 10};
        }).find("reads cut point 5, the plan says 4") != std::string::npos);
  // Heads trained with this backbone never run on the zoo model's seeded weights.
  CHECK(error_after([](json& j) {
          j["model"] = {{"name", "vgg-fm"}, {"input", {1, 28, 28}}};
        }).find("trained backbone") != std::string::npos);
}

TEST_CASE("the heads file loader rejects what does not fit with one line naming the file", "[plan][exits]") {
  const json good = json::parse(R"({"format": "edgeplan.exits/v1", "model": "m", "onnx_sha256": "x",
    "exits": [{"name": "e", "after": 3, "classes": 2, "channels": 2, "weight": [1, 2, 3, 4], "bias": [0, 1]}]})");
  const TrainedHeads t = parse_exit_heads(good.dump(), "h.json");
  CHECK(t.heads.at(0).weight == std::vector<float>{1, 2, 3, 4});
  CHECK(t.sha256 == sha256_hex(good.dump()));
  auto error = [&](const std::function<void(json&)>& edit) {
    json j = good;
    edit(j);
    try {
      parse_exit_heads(j.dump(), "h.json");
    } catch (const PlanError& e) {
      const std::string msg = e.what();
      CHECK(msg.rfind("h.json: ", 0) == 0);
      CHECK(msg.find('\n') == std::string::npos);
      return msg;
    }
    return std::string();
  };
  CHECK(error([](json& j) { j["format"] = "edgeplan.exits/v0"; }).find("expected 'edgeplan.exits/v1'") != std::string::npos);
  CHECK(error([](json& j) { j["exits"][0]["weight"] = {1, 2, 3}; }).find("has 3 values, expected 4") != std::string::npos);
  CHECK(error([](json& j) { j["exits"][0]["bias"][0] = "x"; }).find("must be a number") != std::string::npos);
  CHECK(error([](json& j) { j["exits"][0]["classes"] = 1; }).find("at least 2 classes") != std::string::npos);
  CHECK(error([](json& j) { j["exits"].push_back(j["exits"][0]); }).find("listed twice") != std::string::npos);
  CHECK(error([](json& j) { j["exits"] = json::array(); }).find("no heads") != std::string::npos);
  CHECK(error([](json& j) { j.erase("model"); }).find("missing field 'model'") != std::string::npos);
  CHECK_THROWS_WITH(load_exit_heads("/nonexistent/h.json"), Catch::Contains("/nonexistent/h.json: cannot open"));
}
