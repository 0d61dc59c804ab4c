// DistrEdge's DDPG: learns a known optimum, is reproducible, saves and resumes, refuses bad settings.
#include <cstdio>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "../costmodel/fake_costs.h"
#include "../temp_dir.h"
#include "edgeplan/compute/threads.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/learn/distredge.h"

using namespace edgeplan;

namespace {

// Two identical devices, one volume (a chain of 3x3 convs), a fast link: the optimum
// splits the rows 50/50.
struct Twin {
  Graph graph = [] {
    Graph g("twin", Shape{1, 32, 8});
    int x = kModelInput;
    for (int i = 0; i < 2; ++i) x = g.conv("c" + std::to_string(i), x, 1, 3, 1, 1);
    return g;
  }();
  testing::FakeCost cost{{{1, 1}, {1, 1}}};
  NetworkModel net = NetworkModel::switched({1000, 1000}, 0, 0);
  SimulatorConfig cfg = [] {
    SimulatorConfig c;
    c.device_ids = {"a", "b"};
    return c;
  }();
  Simulator sim{graph, cost, net, cfg};
  PlanningContext ctx = PlanningContext::of(sim);
};

}  // namespace

TEST_CASE("two identical devices: the trained policy itself splits about 50/50 within 300 episodes", "[distredge]") {
  Twin t;
  DistrEdgeOptions o;
  o.episodes = 300;
  o.alpha = 1.0;              // one volume
  o.demonstrations = false;  // the paper's method alone must learn it
  const TrainResult r = train_distredge(t.ctx, o);
  REQUIRE(r.best_plan.volumes.size() == 1);
  // Optimum: 16 rows each, 2 layers x (16 + 1 halo row) ms on each device, plus tiny transfers.
  const double optimum = t.sim.latency_ms([&] {
    Plan p = r.best_plan;
    p.volumes[0].parts = {Part{"a", Region{{0, 16}, {0, 8}}}, Part{"b", Region{{16, 32}, {0, 8}}}};
    return p;
  }());
  // What the trained actor does without noise, not the best plan any (random) episode met.
  REQUIRE(r.policy_plan.volumes.size() == 1);
  const auto& parts = r.policy_plan.volumes[0].parts;
  INFO("best " << r.best_ms << " ms, policy " << r.policy_ms << " ms, optimum " << optimum << " ms, policy parts "
               << parts.size());
  CHECK(r.policy_ms <= optimum * 1.05);
  REQUIRE(parts.size() == 2);
  CHECK(std::abs(parts[0].region.rows.size() - 16) <= 2);  // rows: within 2 of the 16 / 16 optimum
  CHECK(r.best_ms <= optimum * 1.05);
  CHECK(r.episodes == 300);
  CHECK(r.best_ms_curve.back() == r.best_ms);
}

TEST_CASE("demonstrations come first: each device alone, then the equal split", "[distredge]") {
  Twin t;
  DistrEdgeOptions o;
  o.episodes = 5;
  o.alpha = 1.0;
  const int blas_before = blas_threads();
  const TrainResult r = train_distredge(t.ctx, o);
  CHECK(blas_threads() == blas_before);  // training's one-thread setting is undone
  REQUIRE(r.episode_ms.size() == 5);
  const auto plan_with = [&](std::vector<Part> parts) {
    Plan p = r.best_plan;
    p.volumes[0].parts = std::move(parts);
    if (p.tail) p.tail->device = p.volumes[0].parts.front().device;
    return t.sim.latency_ms(p);
  };
  // Episodes 1-3 are the demonstrations; with identical devices the speed split is equal too.
  CHECK(r.episode_ms[0] == plan_with({Part{"a", Region{{0, 32}, {0, 8}}}}));
  CHECK(r.episode_ms[1] == plan_with({Part{"b", Region{{0, 32}, {0, 8}}}}));
  const double half = plan_with({Part{"a", Region{{0, 16}, {0, 8}}}, Part{"b", Region{{16, 32}, {0, 8}}}});
  CHECK(r.episode_ms[2] == half);
  CHECK(r.episode_ms[3] == half);
  CHECK(r.best_ms_curve[3] == half);
  CHECK(r.best_ms <= half);
}

TEST_CASE("same seed, same result, the policy saves and resumes", "[distredge]") {
  Twin t;
  DistrEdgeOptions o;
  o.episodes = 60;
  o.seed = 7;
  const TempDir tmp;
  const std::string path = tmp / "policy.pt";
  const TrainResult a = train_distredge(t.ctx, o, {}, path);
  const TrainResult b = train_distredge(t.ctx, o);
  CHECK(a.episode_ms == b.episode_ms);
  CHECK(std::ifstream(path).good());
  const TrainResult c = train_distredge(t.ctx, o, {}, "", path);  // resumes from the saved policy
  CHECK(c.episodes == 60);
  CHECK_THROWS_WITH(train_distredge(t.ctx, o, {}, "", tmp / "missing-policy.pt"), Catch::Contains("cannot read policy"));
  // Damaged policy files: every one is refused with one line naming the file, or (bytes
  // outside what libtorch reads) still loads; nothing else escapes.
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() > 100);
  std::mt19937_64 rng(4);
  o.episodes = 1;
  int refused = 0;
  for (int i = 0; i < 60; ++i) {
    std::string bad = bytes;
    if (i % 3 == 0) bad.resize(rng() % bad.size());
    else
      for (int k = 0; k < 1 + static_cast<int>(rng() % 8); ++k) bad[rng() % bad.size()] = static_cast<char>(rng() % 256);
    const std::string damaged = tmp / "damaged.pt";
    std::ofstream(damaged, std::ios::binary) << bad;
    try {
      train_distredge(t.ctx, o, {}, "", damaged);
    } catch (const Error& e) {
      ++refused;
      const std::string msg = e.what();
      CHECK(msg.rfind(damaged + ": ", 0) == 0);
      CHECK(msg.find('\n') == std::string::npos);
    }
  }
  CHECK(refused > 0);
}

TEST_CASE("DistrEdge plans validate and replay exactly on every zoo model", "[distredge][exact]") {
  const std::string dir = std::string(EDGEPLAN_SOURCE_DIR) + "/profiles/modeled/";
  const DeviceProfile tx2 = load_profile_file(dir + "jetson-tx2.json"), nano = load_profile_file(dir + "jetson-nano.json");
  for (const auto& model : zoo_model_names()) {
    const Graph g = build_model(model, Shape{3, 64, 64});
    const ProfileCostModel cost(g, {&tx2, &nano, &nano});
    const NetworkModel net = NetworkModel::wifi_star({300, 300, 300}, false, 1, 0.2);
    SimulatorConfig cfg;
    cfg.device_ids = {"tx2", "nano-a", "nano-b"};
    cfg.input_device = cfg.output_device = 1;
    const Simulator sim(g, cost, net, cfg);
    const PlanningContext ctx = PlanningContext::of(sim);
    DistrEdgeOptions o;
    o.episodes = 20;
    const TrainResult r = train_distredge(ctx, o);
    INFO(model);
    CHECK_NOTHROW(validate_plan(r.best_plan, g));
    CHECK(CpuExecutor(g).verify(r.best_plan).error.max_rel_error <= 1e-4);
  }
}

TEST_CASE("bad DistrEdge settings get one-line errors", "[distredge]") {
  DistrEdgeOptions o;
  o.episodes = 0;
  CHECK_THROWS_WITH(check_options(o), Catch::Contains("--episodes"));
  o = {};
  o.alpha = 1.5;
  CHECK_THROWS_WITH(check_options(o), Catch::Contains("--alpha"));
  o = {};
  o.noise_var = -0.5;
  CHECK_THROWS_WITH(check_options(o), Catch::Contains("noise"));
  o = {};
  o.budget_s = -1;
  CHECK_THROWS_AS(check_options(o), Error);
}
