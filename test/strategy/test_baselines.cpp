// Each published baseline on tiny cases whose answer follows by hand from its paper's rule.
#include <catch2/catch.hpp>

#include "../costmodel/fake_costs.h"
#include "edgeplan/planners/registry.h"

using namespace edgeplan;

namespace {

// A chain of `n` 3x3 convolutions on a 1 x h x 8 map (each its own per-layer unit).
Graph chain(int n, int h) {
  Graph g("chain", Shape{1, h, 8});
  int x = kModelInput;
  for (int i = 0; i < n; ++i) x = g.conv("c" + std::to_string(i), x, 1, 3, 1, 1);
  return g;
}

struct Setup {
  Graph graph;
  testing::FakeCost cost;
  NetworkModel net;
  SimulatorConfig cfg;
  Simulator sim;
  PlanningContext ctx;
  Setup(Graph g, std::vector<std::vector<double>> per_row, std::vector<double> mbps, int output = 0)
      : graph(std::move(g)),
        cost(std::move(per_row)),
        net(NetworkModel::switched(mbps, 0, 0)),
        cfg(config(static_cast<int>(mbps.size()), output)),
        sim(graph, cost, net, cfg),
        ctx{PlanningContext::of(sim)} {}
  static SimulatorConfig config(int n, int output) {
    SimulatorConfig c;
    for (int i = 0; i < n; ++i) c.device_ids.push_back("d" + std::to_string(i));
    c.output_device = output;
    return c;
  }
  Plan plan(const std::string& name) const { return make_planner(name)->plan(ctx); }
};

std::vector<int> rows_of(const Volume& v) {
  std::vector<int> r;
  for (const Part& p : v.parts) r.push_back(p.region.rows.size());
  return r;
}

}  // namespace

TEST_CASE("modnn splits every layer in proportion to device speed (1 and 3 give 1:3)", "[baselines]") {
  const Setup s(chain(3, 16), {{3, 3, 3}, {1, 1, 1}}, {1000, 1000});
  const Plan p = s.plan("modnn");
  REQUIRE(p.volumes.size() == 3);
  for (const Volume& v : p.volumes) CHECK(rows_of(v) == std::vector<int>{4, 12});
}

TEST_CASE("coedge adds each device's transfer per row to its compute per row", "[baselines]") {
  // d0 (the source) 2 ms/row; d1 1 ms/row plus its link: input + output = 2 x 32 B per row
  // at 16 B/ms = 4 ms/row. Rows go 1/2 : 1/5, i.e. 16 rows as 11 : 5 (largest remainder).
  const Setup s(chain(1, 16), {{2}, {1}}, {1000, 0.128});
  const Plan p = s.plan("coedge");
  REQUIRE(p.volumes.size() == 1);
  CHECK(rows_of(p.volumes[0]) == std::vector<int>{11, 5});
}

TEST_CASE("meddnn hands 2-D blocks to whichever device finishes them first", "[baselines]") {
  const Setup s(chain(1, 16), {{1}, {1}}, {1000, 1000});
  const Plan p = s.plan("meddnn");
  REQUIRE(p.volumes.size() == 1);
  REQUIRE(p.volumes[0].parts.size() == 16);  // 4 x 4 blocks of 4 x 2
  int d0 = 0;
  for (const Part& part : p.volumes[0].parts) d0 += part.device == "d0";
  CHECK(d0 == 8);
  CHECK(p.volumes[0].parts[0].region == Region{{0, 4}, {0, 2}});
}

TEST_CASE("neurosurgeon picks the cheapest of: all on the source, one cut, all on the server", "[baselines]") {
  // conv (16 rows) -> 2x2 pool (8 rows) -> conv (8 rows), 16 B/ms links: the image is
  // 1024 B (64 ms), the pooled map 256 B (16 ms), the result 256 B (16 ms).
  Graph g("shrink", Shape{1, 16, 16});
  const int a = g.conv("a", kModelInput, 1, 3, 1, 1);
  const int p = g.max_pool("p", a, 2, 2);
  g.conv("b", p, 1, 3, 1, 1);
  // Slow source (10 ms/row), fast server (1 ms/row), result back at the source: offloading
  // everything costs 64 + 32 + 16 = 112 ms; cutting after the pool 240 + 16 + 8 + 16 = 280.
  const Setup offload(g, {{10, 10, 10}, {1, 1, 1}}, {0.128, 0.128});
  const Plan all_server = offload.plan("neurosurgeon");
  REQUIRE(all_server.volumes.size() == 1);
  CHECK(all_server.volumes[0].parts[0].device == "d1");
  // Source 1 ms/row, server 0.01 ms/row, result wanted on the server: all on the source
  // 32 + 16 = 48 ms; offloading 64 + 0.32 = 64.3 ms; cutting after the pool 24 + 16 + 0.08 = 40.1 ms.
  const Setup mid(g, {{1, 1, 1}, {0.01, 0.01, 0.01}}, {0.128, 0.128}, 1);
  const Plan cut = mid.plan("neurosurgeon");
  REQUIRE(cut.volumes.size() == 2);
  CHECK(cut.volumes[0].layers == LayerRange{0, 2});
  CHECK(cut.volumes[0].parts[0].device == "d0");
  CHECK(cut.volumes[1].parts[0].device == "d1");
  // A server that is barely faster: keep everything on the source.
  const Setup home(g, {{1, 1, 1}, {0.9, 0.9, 0.9}}, {0.128, 0.128});
  const Plan local = home.plan("neurosurgeon");
  REQUIRE(local.volumes.size() == 1);
  CHECK(local.volumes[0].parts[0].device == "d0");
}

TEST_CASE("deepthings: a 3x3 grid of ceil-sized tiles on the early block, the rest on the gateway", "[baselines]") {
  // 26 rows: tiles of 9, 9, 8 (ceil(26/3) each, the last takes the remainder).
  Graph g("ftp", Shape{1, 26, 26});
  int x = kModelInput;
  for (int i = 0; i < 3; ++i) x = g.conv("c" + std::to_string(i), x, 1, 3, 1, 1);
  const Setup s(std::move(g), {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}}, {1000, 1000, 1000});
  const Plan p = s.plan("deepthings");
  REQUIRE(p.volumes.size() >= 1);
  REQUIRE(p.volumes[0].parts.size() == 9);
  CHECK(p.volumes[0].parts[0].region == Region{{0, 9}, {0, 9}});
  CHECK(p.volumes[0].parts[8].region == Region{{18, 26}, {18, 26}});
  int used[3] = {0, 0, 0};
  for (const Part& part : p.volumes[0].parts) used[part.device[1] - '0']++;
  CHECK(used[0] == 3);  // equal devices share the tiles evenly
  CHECK(used[1] == 3);
  CHECK(used[2] == 3);
}

TEST_CASE("deeperthings gives each device one equal tile per fused block", "[baselines]") {
  Graph g("deeper", Shape{1, 16, 16});
  const int a = g.conv("a", kModelInput, 1, 3, 1, 1);
  g.conv("b", g.max_pool("p", a, 2, 2), 1, 3, 1, 1);
  const Setup s(std::move(g), {{1, 1, 1}, {5, 5, 5}, {1, 1, 1}, {1, 1, 1}}, {1000, 1000, 1000, 1000});
  const Plan p = s.plan("deeperthings");
  REQUIRE(p.volumes.size() == 2);  // [conv, pool] and [conv]
  for (const Volume& v : p.volumes) {
    REQUIRE(v.parts.size() == 4);  // 2 x 2, no heterogeneity weighting
    CHECK(v.parts[1].device == "d1");
    CHECK(v.parts[1].region.rows.size() * v.parts[1].region.cols.size() ==
          v.parts[0].region.rows.size() * v.parts[0].region.cols.size());
  }
}

TEST_CASE("aofl adds a device to a block only while it helps", "[baselines]") {
  // A fast link: both devices share every block in proportion to speed (1:1 here).
  const Setup fast(chain(2, 16), {{1, 1}, {1, 1}}, {1000, 1000});
  const Plan pf = fast.plan("aofl");
  REQUIRE(pf.volumes.size() >= 1);
  CHECK(pf.volumes[0].parts.size() == 2);
  // A hopeless link: the second device is never worth it.
  const Setup slow(chain(2, 16), {{1, 1}, {1, 1}}, {1000, 0.0001});
  for (const Volume& v : slow.plan("aofl").volumes) {
    REQUIRE(v.parts.size() == 1);
    CHECK(v.parts[0].device == "d0");
  }
}
