// Planners on every repository scenario, exactness of their plans, and `opt` against brute force.
#include <algorithm>
#include <filesystem>
#include <set>
#include <functional>

#include <catch2/catch.hpp>

#include "../costmodel/fake_costs.h"
#include "../repo_files.h"
#include "edgeplan/bench/suite.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/planners/registry.h"
#include "edgeplan/planners/run_suite.h"
#include "edgeplan/strategy/opt_planner.h"

using namespace edgeplan;

namespace {

// Every scenario file in the repository and every scenario any suite names (142 in suite.json).
std::vector<std::string> scenario_files() {
  const std::string root = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks";
  std::set<std::string> files;
  for (const auto& p : std::filesystem::recursive_directory_iterator(root + "/scenarios"))
    if (p.path().extension() == ".json") files.insert(std::filesystem::canonical(p.path()).string());
  for (const auto& suite : json_files_in(root)) {
    if (suite.find("/suite") == std::string::npos) continue;
    for (const SuiteEntry& e : load_suite_file(suite).entries) files.insert(std::filesystem::canonical(e.scenario_path).string());
  }
  return {files.begin(), files.end()};
}

}  // namespace

// opt is never worse than the planners it starts from: by construction (their plans are among
// its starting points and it only keeps improvements); this checks the construction holds.
TEST_CASE("every planner on every scenario of every suite: valid, above the bound, opt never worse", "[planners]") {
  const std::vector<std::string> files = scenario_files();
  CHECK(files.size() >= 142);
  for (const auto& f : files) {
    const Scenario s = load_scenario_file(f);
    const Simulator sim(s);
    const PlanningContext ctx = PlanningContext::of(s, sim);
    double opt_ms = 0, best_other = 1e300;
    for (const auto& name : planner_names()) {
      if (name == "distredge") continue;  // trained separately (test_distredge.cpp)
      INFO(f << " " << name);
      const auto planner = make_planner(name);
      if (!planner->applies(ctx)) {  // d3 and its references: tiered networks only
        CHECK_THROWS_AS(planner->plan(ctx), Error);
        continue;
      }
      const Plan p = planner->plan(ctx);
      CHECK_NOTHROW(validate_plan(p, s.graph));
      const double ms = sim.latency_ms(p);
      CHECK(ms >= sim.lower_bound_ms() * (1 - 1e-12));
      if (name == "opt") opt_ms = ms;
      else best_other = std::min(best_other, ms);
    }
    INFO(f);
    CHECK(opt_ms <= best_other * (1 + 1e-9));
  }
}

TEST_CASE("bench records the bytes over each backbone link of a tiered scenario (D3's traffic figure)", "[planners]") {
  const std::string dir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/";
  const Scenario tiered = load_scenario_file(dir + "device-edge-cloud.json");
  const Simulator sim(tiered);
  const ScenarioResult r = evaluate_planners(tiered, sim, {"single", "neurosurgeon"}, {});
  const PlanningContext ctx = PlanningContext::of(tiered, sim);
  for (const PlannerResult& p : r.planners) {
    INFO(p.planner);
    REQUIRE(p.backbone_bytes.size() == 2);
    CHECK(p.backbone_bytes == sim.simulate(make_planner(p.planner)->plan(ctx)).backbone_bytes);
  }
  // The image leaves the device tier whatever runs where, unless everything stays on it.
  CHECK(r.planners.front().backbone_bytes[0] > 0);
  BenchResults all;
  all.scenarios.push_back(r);
  CHECK(results_to_json(all, "{}").find("\"backbone_bytes\"") != std::string::npos);
  // Networks without tiers record none.
  const Scenario flat = load_scenario_file(dir + "default.json");
  const Simulator flat_sim(flat);
  CHECK(evaluate_planners(flat, flat_sim, {"single"}, {}).planners.front().backbone_bytes.empty());
}

TEST_CASE("opt's plans are local optima of its row moves, and restarts escape the one-start optimum", "[planners][opt]") {
  const std::string dir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/distredge/";
  for (const char* name : {"DA-300", "DB-300", "NA-nano", "ND-nano", "NC-xavier", "LB"}) {
    const Scenario s = load_scenario_file(dir + name + std::string(".json"));
    const Simulator sim(s);
    const PlanningContext ctx = PlanningContext::of(s, sim);
    const Plan best = make_planner("opt")->plan(ctx);
    const double with = sim.latency_ms(best);
    const double without = sim.latency_ms(make_planner("opt:restarts=0")->plan(ctx));
    INFO(name << ": " << with << " ms with restarts, " << without << " ms without");
    // No single move of one row between neighbouring stripes, and no other tail device,
    // makes opt's plan faster (it fails if the search stops early or misses a move).
    int neighbours = 0;
    for (std::size_t v = 0; v < best.volumes.size(); ++v) {
      const auto& parts = best.volumes[v].parts;
      for (std::size_t k = 0; k + 1 < parts.size(); ++k) {
        if (parts[k].region.cols != parts[k + 1].region.cols) continue;  // tiles: not a row move
        for (int step : {-1, 1}) {
          Plan moved = best;
          moved.volumes[v].parts[k].region.rows.end += step;
          moved.volumes[v].parts[k + 1].region.rows.begin += step;
          if (moved.volumes[v].parts[k].region.rows.empty() || moved.volumes[v].parts[k + 1].region.rows.empty()) continue;
          ++neighbours;
          CHECK(sim.latency_ms(moved) >= with * (1 - 1e-9));
        }
      }
    }
    for (int d = 0; d < s.compute_devices && best.tail; ++d) {
      Plan moved = best;
      moved.tail->device = s.devices[static_cast<std::size_t>(d)].id;
      ++neighbours;
      CHECK(sim.latency_ms(moved) >= with * (1 - 1e-9));
    }
    CHECK(neighbours > 0);
    // Four Nanos behind 50 Mbit/s: the whole model on one device is a local optimum of
    // single moves; a new volume boundary together with a new split (one compound move)
    // escapes it even without restarts, by over 20%.
    if (std::string(name) == "NA-nano") {
      const double single = sim.latency_ms(make_planner("single")->plan(ctx));
      CHECK(without < 0.8 * single);
    }
  }
  CHECK_THROWS_WITH(make_planner("opt:restarts=-1"), Catch::Contains("restarts must be a whole number"));
  CHECK_THROWS_WITH(make_planner("opt:fast=1"), Catch::Contains("unknown setting 'fast'"));
  CHECK(make_planner("opt:restarts=0:max_evaluations=500")->name() == "opt");
}

TEST_CASE("opt refines the plans it is given and is never worse than them", "[planners][opt]") {
  const Scenario s = load_scenario_file(std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/distredge/ND-nano.json");
  const Simulator sim(s);
  const PlanningContext ctx = PlanningContext::of(s, sim);
  // DistrEdge's best plan after 4000 episodes (seed 1), rows 2 off in its first volume.
  const auto stripes = [&](LayerRange layers, std::vector<std::pair<std::string, Interval>> rows) {
    Volume v{layers, {}};
    const int w = s.graph.layer(layers.last - 1).out.w;
    for (const auto& [device, r] : rows) v.parts.push_back(Part{device, Region{r, {0, w}}});
    return v;
  };
  Plan start;
  start.model = s.graph.name();
  start.input = s.graph.input_shape();
  start.devices = s.device_ids();
  start.volumes = {stripes({0, 17}, {{"nano-0", {0, 14}}, {"nano-1", {14, 21}}, {"nano-2", {21, 24}}, {"nano-3", {24, 28}}}),
                   stripes({17, 24}, {{"nano-0", {0, 8}}, {"nano-1", {8, 10}}, {"nano-2", {10, 12}}, {"nano-3", {12, 14}}}),
                   stripes({24, 31}, {{"nano-0", {0, 5}}, {"nano-2", {5, 6}}, {"nano-3", {6, 7}}})};
  start.tail = Tail{LayerRange{31, s.graph.size()}, "nano-0"};
  REQUIRE_NOTHROW(validate_plan(start, s.graph));
  const double start_ms = sim.latency_ms(start);
  const double alone_ms = sim.latency_ms(make_planner("opt")->plan(ctx));
  const double refined_ms = sim.latency_ms(make_planner("opt", {start})->plan(ctx));
  INFO("start " << start_ms << " ms, opt alone " << alone_ms << " ms, opt from the start " << refined_ms << " ms");
  CHECK(refined_ms < start_ms);                  // the local search moves the two rows back (and more)
  CHECK(refined_ms <= alone_ms * (1 + 1e-9));    // a start is searched from but never makes opt worse
  CHECK(alone_ms <= start_ms);                   // and opt alone already beats the agent's plan here
  CHECK_THROWS_WITH(make_planner("equal", {start}), Catch::Contains("only opt takes starting plans"));
}

TEST_CASE("plans of every planner replay exactly on every zoo model", "[planners][exact]") {
  const std::string profiles = std::string(EDGEPLAN_SOURCE_DIR) + "/profiles/modeled/";
  std::vector<DeviceProfile> devs = {load_profile_file(profiles + "jetson-tx2.json"),
                                     load_profile_file(profiles + "raspberry-pi-4.json"),
                                     load_profile_file(profiles + "jetson-nano.json")};
  for (const auto& model : zoo_model_names()) {
    const Graph g = build_model(model, Shape{3, 64, 64});
    std::vector<const DeviceProfile*> ptrs = {&devs[0], &devs[1], &devs[2]};
    const ProfileCostModel cost(g, ptrs);
    const CpuExecutor exec(g);
    // A fast switched network, a slow shared Wi-Fi channel and three tiers (the Pi holds the
    // image, the TX2 is the edge, the Nano the cloud) lead planners to different plans.
    for (const NetworkModel& net : {NetworkModel::switched({1000, 1000, 1000}, 0.1, 0.05),
                                    NetworkModel::wifi_star({20, 20, 20}, true, 2, 0.5),
                                    NetworkModel::tiered({1, 0, 2}, {100, 100, 100}, {0.1, 0.1, 0.1}, {{100, 0.1}, {20, 5}}, 0.05)}) {
      SimulatorConfig cfg;
      cfg.device_ids = {"tx2", "pi4", "nano"};
      cfg.input_device = cfg.output_device = 1;
      const Simulator sim(g, cost, net, cfg);
      const PlanningContext ctx = PlanningContext::of(sim);
      for (const auto& name : planner_names()) {
        if (name == "distredge") continue;  // trained separately (test_distredge.cpp)
        INFO(model << " " << name << " " << to_string(net.topology()));
        const auto planner = make_planner(name);
        if (!planner->applies(ctx)) continue;  // d3 and its references: tiered networks only
        const Plan p = planner->plan(ctx);
        CHECK(exec.verify(p).error.max_rel_error <= 1e-4);
        CHECK(sim.latency_ms(p) >= sim.lower_bound_ms() * (1 - 1e-12));
      }
    }
  }
}

TEST_CASE("opt is within 3% of a brute-force optimum on tiny chains", "[planners][opt]") {
  // 4 layers on a 1x16x8 map, two devices (one 3x faster per row), 16 B/ms links.
  Graph g("chain", Shape{1, 16, 8});
  int x = kModelInput;
  for (int i = 0; i < 4; ++i) x = g.conv("c" + std::to_string(i), x, 1, 3, 1, 1);
  for (const auto& per_row : std::vector<std::vector<std::vector<double>>>{
           {{1, 1, 1, 1}, {3, 3, 3, 3}}, {{1, 2, 1, 2}, {2, 1, 2, 1}}, {{0.5, 0.5, 0.5, 0.5}, {0.5, 0.5, 0.5, 0.5}}}) {
    const testing::FakeCost cost(per_row);
    const NetworkModel net = NetworkModel::switched({0.128, 0.128}, 0.1, 0.05);
    SimulatorConfig cfg;
    cfg.device_ids = {"a", "b"};
    const Simulator sim(g, cost, net, cfg);
    const PlanningContext ctx = PlanningContext::of(sim);
    // Brute force: every boundary set, each volume split at rows {0,4,8,12,16} in either order.
    double best = 1e300;
    for (int mask = 0; mask < 8; ++mask) {
      std::vector<LayerRange> vols;
      int start = 0;
      for (int p = 1; p <= 4; ++p)
        if (p == 4 || (mask >> (p - 1)) & 1) {
          vols.push_back({start, p});
          start = p;
        }
      const int nv = static_cast<int>(vols.size());
      int combos = 1;
      for (int v = 0; v < nv; ++v) combos *= 10;
      for (int c = 0; c < combos; ++c) {
        Plan p;
        p.model = "chain";
        p.input = g.input_shape();
        p.devices = {"a", "b"};
        int code = c;
        for (const auto& r : vols) {
          const int k = code % 10;
          code /= 10;
          const int cut = (k % 5) * 4;
          const bool swap = k >= 5;
          Volume v{r, {}};
          const std::string first = swap ? "b" : "a", second = swap ? "a" : "b";
          if (cut > 0) v.parts.push_back(Part{first, Region{{0, cut}, {0, 8}}});
          if (cut < 16) v.parts.push_back(Part{second, Region{{cut, 16}, {0, 8}}});
          p.volumes.push_back(v);
        }
        best = std::min(best, sim.latency_ms(p));
      }
    }
    const double opt = sim.latency_ms(make_planner("opt")->plan(ctx));
    INFO("brute force " << best << " ms, opt " << opt << " ms");
    CHECK(opt <= best * 1.03);
  }
}
