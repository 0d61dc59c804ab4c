// Property tests of every loader of files we read (plans, scenarios, profiles, suites,
// benchmark results): byte- and structure-mutated documents either load or fail with a
// one-line error of the loader's type; nothing crashes, hangs or throws anything else.
// EDGEPLAN_FUZZ_CASES sets the cases per loader and mutation kind (default 1500; the
// sanitizer job in scripts/sanitize.sh runs 10^5 per loader under ASan + UBSan).
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../plan/plan_fixtures.h"
#include "../temp_dir.h"
#include "edgeplan/bench/suite.h"
#include "edgeplan/costmodel/device_profile.h"
#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/scenario_events.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/plan/plan.h"
#include "edgeplan/plan/plan_exits.h"
#include "edgeplan/strategy/simple_plans.h"

using namespace edgeplan;
using nlohmann::json;

namespace {

const std::string kRoot = EDGEPLAN_SOURCE_DIR;

int cases() {
  const char* v = std::getenv("EDGEPLAN_FUZZ_CASES");
  const int n = v ? std::atoi(v) : 0;
  return n > 0 ? n : 1500;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string mutate_bytes(std::string s, std::mt19937_64& rng) {
  const char alphabet[] = "{}[],:\"0123456789-.eE xtrufalsn\\";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    const std::size_t pos = rng() % s.size();
    switch (rng() % 4) {
      case 0: s.erase(pos, 1 + rng() % 8); break;
      case 1: s.insert(pos, 1, alphabet[rng() % (sizeof alphabet - 1)]); break;
      case 2: s[pos] = alphabet[rng() % (sizeof alphabet - 1)]; break;
      default: s[pos] = static_cast<char>(rng() % 256); break;
    }
  }
  return s;
}

// Replaces, removes or adds one node somewhere in the document.
void mutate_tree(json& j, std::mt19937_64& rng) {
  json* node = &j;
  for (int depth = 0; depth < 8; ++depth) {
    if (!(node->is_object() || node->is_array()) || node->empty()) break;
    auto it = node->begin();
    std::advance(it, static_cast<long>(rng() % node->size()));
    if (rng() % 3 == 0) break;
    node = &*it;
  }
  const json choices[] = {json(-1), json(0), json(1), json(3.5), json("d0"), json(nullptr), json::array(),
                          json::object(), json(1LL << 40), json(static_cast<long long>(rng() % 300)), json(true), json(-1e308)};
  switch (rng() % 3) {
    case 0: *node = choices[rng() % (sizeof choices / sizeof choices[0])]; break;
    case 1:
      if (node->is_object() && !node->empty()) node->erase(node->begin());
      else if (node->is_array() && !node->empty()) node->erase(node->begin() + static_cast<long>(rng() % node->size()));
      break;
    default:
      if (node->is_array()) node->push_back(choices[rng() % 4]);
      else if (node->is_object()) (*node)["extra"] = 1;
      break;
  }
}

// Runs `load` on `count` byte mutations and `count` structural mutations of each base
// document; returns how many loaded. Every failure must be a one-line E.
template <class E, class Load>
int fuzz(const std::vector<std::string>& bases, std::uint64_t seed, Load load) {
  std::mt19937_64 rng(seed);
  int loaded = 0;
  const int n = cases();
  for (int i = 0; i < n; ++i) {
    const std::string& base = bases[static_cast<std::size_t>(i) % bases.size()];
    std::string text;
    if (i % 2 == 0) {
      text = mutate_bytes(base, rng);
    } else {
      json j = json::parse(base);
      for (int e = 0; e < 1 + static_cast<int>(rng() % 3); ++e) mutate_tree(j, rng);
      text = j.dump();
    }
    try {
      load(text);
      ++loaded;
    } catch (const E& e) {
      const std::string msg = e.what();
      if (msg.empty() || msg.find('\n') != std::string::npos) FAIL("not a one-line error: '" << msg << "' for: " << text);
    }
  }
  return loaded;
}

}  // namespace

TEST_CASE("mutated plans never crash the plan loader, what loads is valid and round-trips", "[plan][fuzz]") {
  std::vector<std::string> bases = {valid_plan_text()};
  const Graph g = build_model("googlenet", Shape{3, 64, 64});
  for (std::uint64_t s = 0; s < 8; ++s) bases.push_back(plan_to_json(make_random_plan(g, s)));
  const int loaded = fuzz<PlanError>(bases, 12345, [](const std::string& text) {
    const Plan p = parse_plan(text);
    validate_plan(p, plan_graph(p));
    if (!(parse_plan(plan_to_json(p)) == p)) FAIL("a loaded plan did not survive a round trip: " << text);
  });
  CHECK(loaded < cases());
}

TEST_CASE("mutated plans with exits and mutated heads files never crash their loaders", "[plan][exits][fuzz]") {
  // A small heads file (the trained ones are large) and the resnet18 plan with exits naming it:
  // what loads passes validation and round-trips; the heads check refuses the zoo model.
  TempDir dir;
  const std::string heads = R"({"format": "edgeplan.exits/v1", "model": "resnet18", "onnx_sha256": "x",
    "exits": [{"name": "e1", "after": 10, "classes": 2, "channels": 2, "weight": [1, 2, 3, 4], "bias": [0.5, 1]}]})";
  std::ofstream(dir / "heads.json") << heads;
  json plan = json::parse(valid_plan_text());
  plan["exits"] = {{"format", "edgeplan.plan-exits/v1"},
                   {"heads", dir / "heads.json"},
                   {"sha256", parse_exit_heads(heads, "heads").sha256},
                   {"exits", json::array({{{"name", "e1"}, {"after", 10}, {"device", "pi"}, {"threshold", 0.75}}})}};
  fuzz<PlanError>({plan.dump(2)}, 777, [](const std::string& text) {
    const Plan p = parse_plan(text);
    if (!(parse_plan(plan_to_json(p)) == p)) FAIL("a loaded plan did not survive a round trip: " << text);
  });
  const int loaded = fuzz<PlanError>({heads}, 778, [](const std::string& text) {
    const TrainedHeads t = parse_exit_heads(text, "heads");
    for (const TrainedHead& h : t.heads)
      if (h.weight.size() != static_cast<std::size_t>(h.classes) * h.channels || h.bias.size() != static_cast<std::size_t>(h.classes))
        FAIL("heads of the wrong size loaded: " << text);
  });
  CHECK(loaded > 0);
}

TEST_CASE("mutated scenarios never crash the scenario loader", "[scenario][fuzz]") {
  const std::string dir = kRoot + "/benchmarks/scenarios";
  const std::vector<std::string> bases = {slurp(dir + "/wifi-trace-drop.json"), slurp(dir + "/device-edge-cloud.json")};
  const int loaded = fuzz<ScenarioError>(bases, 99, [&](const std::string& text) { parse_scenario(text, dir); });
  CHECK(loaded < cases());
}

TEST_CASE("mutated tiered scenarios never crash replan's events or trace freezing", "[scenario][fuzz]") {
  const std::string dir = kRoot + "/benchmarks/scenarios/tiered";
  const std::vector<std::string> bases = {slurp(dir + "/vgg16-e4-trace.json"), slurp(dir + "/alexnet-e2-lan1000-bb50.json")};
  const std::vector<ScenarioEvent> events = {parse_event("bandwidth:edge-cloud=20"), parse_event("bandwidth:edge-0=30"),
                                             parse_event("slow:edge-1=2"), parse_event("gone:edge-1")};
  const int loaded = fuzz<ScenarioError>(bases, 2024, [&](const std::string& text) {
    for (double t : trace_times(text)) parse_scenario(scenario_at(text, t), dir);
    parse_scenario(apply_events(text, events), dir);
  });
  CHECK(loaded < cases());
}

TEST_CASE("mutated profiles never crash the profile loader", "[scenario][fuzz]") {
  const std::vector<std::string> bases = {slurp(kRoot + "/profiles/modeled/jetson-nano.json")};
  const int loaded = fuzz<ScenarioError>(bases, 7, [](const std::string& text) { parse_profile(text); });
  CHECK(loaded < cases());
}

TEST_CASE("mutated suites never crash the suite loader", "[bench][fuzz]") {
  const std::string text = R"({"format": "edgeplan.suite/v1", "planners": ["single", "opt"],
    "scenarios": [{"scenario": "scenarios/default.json", "group": "default", "quick": true},
                  {"scenario": "/abs/x.json", "group": "g"}]})";
  const int loaded = fuzz<Error>({text}, 5, [](const std::string& t) {
    const Suite s = parse_suite(t, "suite.json", [](const std::string& name) {
      if (name != "single" && name != "opt") throw Error("unknown planner '" + name + "'");
    });
    if (s.entries.empty() || s.planners.empty()) FAIL("an empty suite loaded: " << t);
  });
  CHECK(loaded < cases());
}

TEST_CASE("mutated benchmark results never crash the results loader", "[bench][fuzz]") {
  const std::string text = R"({"format": "edgeplan.bench/v1", "provenance": {},
    "scenarios": [{"name": "a", "group": "g", "planners": [
      {"planner": "single", "latency_ms": 10, "speedup_vs_single": 1, "speedup_vs_best_baseline": 0.9, "valid": true},
      {"planner": "opt", "latency_ms": 8, "speedup_vs_single": 1.25, "valid": true}]}]})";
  const int loaded = fuzz<Error>({text}, 3, [](const std::string& t) { results_from_json(t, "baseline.json"); });
  CHECK(loaded < cases());
}

TEST_CASE("loader errors name the file", "[bench]") {
  CHECK_THROWS_WITH(parse_suite("{", "my-suite.json"), Catch::StartsWith("my-suite.json: malformed JSON"));
  CHECK_THROWS_WITH(results_from_json("[1,", "my-baseline.json"), Catch::StartsWith("my-baseline.json: malformed JSON"));
  CHECK_THROWS_WITH(results_from_json(R"({"format": "edgeplan.bench/v1", "scenarios": [{"name": "a"}]})", "b.json"),
                    Catch::Contains("b.json: scenarios[0]") && Catch::Contains("group"));
  CHECK_THROWS_WITH(parse_suite(R"({"format": "edgeplan.suite/v1", "planners": ["x"], "scenarios": []})", "s.json",
                                [](const std::string& n) { throw Error("unknown planner '" + n + "'"); }),
                    Catch::StartsWith("s.json: planners[0]: unknown planner 'x'"));
  CHECK_THROWS_WITH(load_results_file("/nonexistent-dir/r.json"), Catch::Contains("/nonexistent-dir/r.json"));
}
