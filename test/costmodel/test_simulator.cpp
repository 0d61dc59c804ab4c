// The simulator on tiny models whose latency is computed by hand.
#include <catch2/catch.hpp>

#include "edgeplan/costmodel/simulator.h"
#include "fake_costs.h"

using namespace edgeplan;
using edgeplan::testing::FakeCost;

namespace {

constexpr double k16BytesPerMs = 0.128;  // Mbit/s: 16 bytes per ms

// 1x4x4 input, two layers, 16 bytes per row of every tensor.
Graph tiny(int kernel) {
  Graph g("tiny", Shape{1, 4, 4});
  const int a = g.conv("a", kModelInput, 1, kernel, 1, kernel / 2);
  g.conv("b", a, 1, kernel, 1, kernel / 2);
  return g;
}

Part rows(const std::string& d, int r0, int r1) { return Part{d, Region{{r0, r1}, {0, 4}}}; }

Plan plan_of(const Graph& g, std::vector<std::string> devices, std::vector<Volume> volumes) {
  Plan p;
  p.model = g.name();
  p.input = g.input_shape();
  p.devices = std::move(devices);
  p.volumes = std::move(volumes);
  return p;
}

SimulatorConfig config(int n, int input = 0, int output = 0) {
  SimulatorConfig c;
  for (int i = 0; i < n; ++i) c.device_ids.push_back("d" + std::to_string(i));
  c.input_device = input;
  c.output_device = output;
  return c;
}

}  // namespace

TEST_CASE("two devices, one volume: compute, input scatter and result gather add up by hand", "[sim]") {
  const Graph g = tiny(1);
  const FakeCost cost({{1, 1}, {1, 1}});  // 1 ms per row per layer
  const Plan p = plan_of(g, {"d0", "d1"}, {Volume{{0, 2}, {rows("d0", 0, 2), rows("d1", 2, 4)}}});
  // d1 receives 2 input rows (32 B, 2 ms), computes 2 rows x 2 layers (4 ms), sends 32 B back (2 ms).
  const NetworkModel net = NetworkModel::switched({k16BytesPerMs, k16BytesPerMs}, 0, 0);
  const Simulator sim(g, cost, net, config(2));
  CHECK(sim.latency_ms(p) == Approx(8.0));
  const SimResult r = sim.simulate(p);
  CHECK(r.latency_ms == Approx(8.0));
  CHECK(r.total_bytes == 64);
  CHECK(r.transfers == 2);
  CHECK(r.devices[0].compute_ms == Approx(4.0));
  CHECK(r.devices[1].compute_ms == Approx(4.0));
  CHECK(r.devices[1].receive_ms == Approx(2.0));
  CHECK(r.devices[1].send_ms == Approx(2.0));
  CHECK(r.devices[1].idle_ms == Approx(0.0));
  CHECK(r.devices[0].idle_ms == Approx(2.0));  // d0: busy 0-4 computing, 6-8 receiving
  // Link latency and per-message overhead: +0.25 ms per message on the wire, +0.5 ms in flight.
  const NetworkModel slow = NetworkModel::switched({k16BytesPerMs, k16BytesPerMs}, 0.5, 0.25);
  CHECK(Simulator(g, cost, slow, config(2)).latency_ms(p) == Approx(9.5));
}

TEST_CASE("halo rows travel between neighbours, and only those", "[sim]") {
  const Graph g = tiny(3);
  const FakeCost cost({{0, 0}, {0, 0}});
  const Plan p = plan_of(g, {"d0", "d1"},
                         {Volume{{0, 1}, {rows("d0", 0, 2), rows("d1", 2, 4)}}, Volume{{1, 2}, {rows("d0", 0, 2), rows("d1", 2, 4)}}});
  const NetworkModel net = NetworkModel::switched({k16BytesPerMs, k16BytesPerMs}, 0, 0);
  const SimResult r = Simulator(g, cost, net, config(2)).simulate(p);
  // d0 -> d1: image rows 1..3 (48 B) + halo row 1 of layer a (16 B). d1 -> d0: halo row 2 (16 B) + result rows 2..3 (32 B).
  CHECK(r.link_bytes[0 * 2 + 1] == 64);
  CHECK(r.link_bytes[1 * 2 + 0] == 48);
  // Timing: image 3 ms; halos both ways at 3..4; d1's result 4..6.
  CHECK(r.latency_ms == Approx(6.0));
}

TEST_CASE("a shared Wi-Fi channel serializes what switched links carry in parallel", "[sim]") {
  const Graph g = tiny(1);
  const FakeCost cost({{0, 0}, {0, 0}, {0, 0}, {0, 0}});
  const Plan p = plan_of(g, {"d0", "d1", "d2", "d3"},
                         {Volume{{0, 1}, {rows("d0", 0, 2), rows("d1", 2, 4)}}, Volume{{1, 2}, {rows("d2", 0, 2), rows("d3", 2, 4)}}});
  const std::vector<double> rates(4, k16BytesPerMs);
  // Switched: d0->d2 and d1->d3 overlap; the two results queue on d0's downlink.
  CHECK(Simulator(g, cost, NetworkModel::switched(rates, 0, 0), config(4)).latency_ms(p) == Approx(8.0));
  // Wi-Fi radios (half duplex, own channel each): same here.
  CHECK(Simulator(g, cost, NetworkModel::wifi_star(rates, false, 0, 0), config(4)).latency_ms(p) == Approx(8.0));
  // Shared channel: each 32 B message takes 2 + 2 ms of airtime, and all five queue on it.
  CHECK(Simulator(g, cost, NetworkModel::wifi_star(rates, true, 0, 0), config(4)).latency_ms(p) == Approx(20.0));
}

TEST_CASE("a Wi-Fi channel with its own capacity: transfers in flight share it, first come first served", "[sim]") {
  const double r = k16BytesPerMs;
  // Idle: a transfer runs at its devices' rate, or at half the channel (it crosses it twice).
  const NetworkModel wide = NetworkModel::wifi_channel({r, r, r, r}, 3 * r, 0, 0);
  CHECK(wide.transfer_end(wide.route(0, 1), 0, 32) == Approx(2.0));
  CHECK(wide.min_transfer_ms(0, 1, 32) == Approx(2.0));
  const NetworkModel narrow = NetworkModel::wifi_channel({r, r, r, r}, r, 0, 0.5);
  CHECK(narrow.transfer_end(narrow.route(0, 1), 0, 32) == Approx(4.5));  // overhead 0.5 ms, then 8 B/ms
  // Loaded, channel of 3 rates: the first transfer takes 2 of them (up and down) for 2 ms; the
  // second gets half of what is left (8 B/ms) until then, the full rate after: 16 B + 16 B by 3 ms;
  // the third gets nothing until 2 ms, 8 B/ms from 2 to 3 ms, then 16 B/ms: 8 B + 24 B by 4.5 ms.
  ChannelLoad load;
  CHECK(load.commit(wide, wide.route(0, 1), 0, 0, 32) == Approx(2.0));
  CHECK(load.commit(wide, wide.route(2, 3), 0, 0, 32) == Approx(3.0));
  CHECK(load.commit(wide, wide.route(1, 0), 0, 0, 32) == Approx(4.5));
  // Later transfers see only what is still in flight; what ended before `now` is dropped.
  CHECK(load.commit(wide, wide.route(3, 2), 10, 10, 32) == Approx(12.0));
  load.reset();
  CHECK(load.commit(wide, wide.route(2, 3), 0, 0, 32) == Approx(2.0));

  // In the simulator, five 32 B messages (see the shared-channel case below): with a channel of
  // twice one device's rate only one transfer runs at a time, at the device's rate: 5 x 2 ms.
  const Graph g = tiny(1);
  const FakeCost cost({{0, 0}, {0, 0}, {0, 0}, {0, 0}});
  const Plan p = plan_of(g, {"d0", "d1", "d2", "d3"},
                         {Volume{{0, 1}, {rows("d0", 0, 2), rows("d1", 2, 4)}}, Volume{{1, 2}, {rows("d2", 0, 2), rows("d3", 2, 4)}}});
  const std::vector<double> rates(4, r);
  CHECK(Simulator(g, cost, NetworkModel::wifi_channel(rates, 2 * r, 0, 0), config(4)).latency_ms(p) == Approx(10.0));
  // A channel wide enough for every transfer at once is the unshared Wi-Fi star.
  CHECK(Simulator(g, cost, NetworkModel::wifi_channel(rates, 100 * r, 0, 0), config(4)).latency_ms(p) == Approx(8.0));
  // The bound (with its channel airtime row) stays below.
  const NetworkModel one_at_a_time = NetworkModel::wifi_channel(rates, 2 * r, 0, 0);
  const Simulator sim(g, cost, one_at_a_time, config(4));
  CHECK(sim.latency_ms(p) >= sim.lower_bound_ms());
}

TEST_CASE("bytes over each backbone link of a tiered network are counted per inference, by hand", "[sim]") {
  const Graph g = tiny(1);  // 64 B per tensor
  const FakeCost cost({{0, 0}, {0, 0}, {0, 0}});
  const double r = k16BytesPerMs;
  // d0 on the device tier, d1 on the edge, d2 in the cloud; image and result on d0.
  const NetworkModel net = NetworkModel::tiered({0, 1, 2}, {r, r, r}, {0, 0, 0}, {{r, 0}, {r, 0}}, 0);
  CHECK(net.backbone_count() == 2);
  const Simulator sim(g, cost, net, config(3));
  // All on the edge: the image up and the result down cross the device-edge link only.
  const SimResult edge = sim.simulate(plan_of(g, {"d0", "d1", "d2"}, {Volume{{0, 2}, {rows("d1", 0, 4)}}}));
  CHECK(edge.backbone_bytes == std::vector<std::int64_t>{128, 0});
  // First layer on the edge, second in the cloud: edge -> cloud 64 B, the result cloud -> device
  // crosses both links.
  const SimResult cloud = sim.simulate(plan_of(g, {"d0", "d1", "d2"}, {Volume{{0, 1}, {rows("d1", 0, 4)}}, Volume{{1, 2}, {rows("d2", 0, 4)}}}));
  CHECK(cloud.backbone_bytes == std::vector<std::int64_t>{128, 128});
  // Other topologies have none.
  const NetworkModel flat = NetworkModel::switched({r, r, r}, 0, 0);
  CHECK(Simulator(g, cost, flat, config(3)).simulate(plan_of(g, {"d0", "d1", "d2"}, {Volume{{0, 2}, {rows("d1", 0, 4)}}})).backbone_bytes.empty());
}

TEST_CASE("a bandwidth trace changes the result exactly when it changes", "[sim]") {
  const Graph g = tiny(1);
  const FakeCost cost({{1, 1}, {1, 1}});
  const Plan p = plan_of(g, {"d0", "d1"}, {Volume{{0, 2}, {rows("d0", 0, 2), rows("d1", 2, 4)}}});
  NetworkModel late = NetworkModel::switched({k16BytesPerMs, k16BytesPerMs}, 0, 0);
  late.set_trace(1, RateTrace{{0, 8}, {k16BytesPerMs, k16BytesPerMs / 2}});  // halves after everything is sent
  CHECK(Simulator(g, cost, late, config(2)).latency_ms(p) == Approx(8.0));
  NetworkModel early = NetworkModel::switched({k16BytesPerMs, k16BytesPerMs}, 0, 0);
  early.set_trace(1, RateTrace{{0, 1}, {k16BytesPerMs, k16BytesPerMs / 2}});  // halves 1 ms into the first send
  // Input: 16 B in the first ms, 16 B at 8 B/ms -> arrives at 3; compute 3..7; result 32 B at 8 B/ms -> 11.
  CHECK(Simulator(g, cost, early, config(2)).latency_ms(p) == Approx(11.0));
  CHECK(early.transfer_end(early.route(0, 1), 0, 32) == Approx(3.0));
  CHECK(early.transfer_end(early.route(0, 1), 0.5, 8) == Approx(1.0));
  NetworkModel down = NetworkModel::switched({k16BytesPerMs, k16BytesPerMs}, 0, 0);
  down.set_trace(1, RateTrace{{0, 1}, {k16BytesPerMs, 0}});  // link dies for good
  CHECK(std::isinf(Simulator(g, cost, down, config(2)).latency_ms(p)));
}

TEST_CASE("a plan that exceeds a device's memory is flagged", "[sim]") {
  const Graph g = tiny(1);
  const FakeCost cost({{1, 1}, {1, 1}});
  const Plan p = plan_of(g, {"d0", "d1"}, {Volume{{0, 2}, {rows("d0", 0, 2), rows("d1", 2, 4)}}});
  SimulatorConfig c = config(2);
  c.memory_bytes = {100, 0};  // d0 needs 32 B input + 2 x 32 B outputs + 16 B weights = 112 B
  const SimResult r = Simulator(g, cost, NetworkModel::switched({1, 1}, 0, 0), c).simulate(p);
  CHECK(r.devices[0].peak_memory_bytes == 112);
  CHECK_FALSE(r.devices[0].fits);
  CHECK(r.devices[1].fits);  // 0 = unlimited
  CHECK_FALSE(r.fits_memory);
}

TEST_CASE("the simulator refuses plans naming devices it does not have", "[sim]") {
  const Graph g = tiny(1);
  const FakeCost cost({{1, 1}});
  const Plan p = plan_of(g, {"gpu"}, {Volume{{0, 2}, {rows("gpu", 0, 4)}}});
  const Simulator sim(g, cost, NetworkModel::switched({1}, 0, 0), config(1));
  CHECK_THROWS_AS(sim.latency_ms(p), PlanError);
  CHECK_THROWS_AS(Simulator(g, cost, NetworkModel::switched({1, 1}, 0, 0), config(1)), ScenarioError);
}

TEST_CASE("lower bound on tiny cases", "[sim]") {
  const Graph g = tiny(1);
  // Two devices at 1 and 3 ms per row: 8 rows of work at best 1 ms, capacity 1 + 1/3.
  const FakeCost cost({{1, 1}, {3, 3}});
  // With a fast network the LP is the compute split: 4 A = 12 B with A + B = 2 layer shares
  // -> 6 ms, plus under a microsecond of 64-byte transfers.
  const NetworkModel net = NetworkModel::switched({1000, 1000}, 0, 0);
  const LowerBound fast = compute_lower_bound(g, cost, net, config(2));
  CHECK(fast.lp_solved);
  CHECK(fast.ms == Approx(8.0 / (1.0 + 1.0 / 3.0)).epsilon(1e-3));
  // At 1 byte/ms every share b that device 1 takes of both layers costs it 64 b ms of
  // receiving (image rows, then layer a's rows) and device 0 64 b ms of receiving the result:
  // min over b of max(4 (2 - 2b), 12 (2b), 64 b) = 64/9 ms at b = 1/9 (by hand).
  const NetworkModel slow = NetworkModel::switched({8e-3, 8e-3}, 0, 0);
  CHECK(compute_lower_bound(g, cost, slow, config(2)).ms == Approx(64.0 / 9).epsilon(1e-6));
  // Output elsewhere: at least one hop of latency + overhead.
  const NetworkModel far = NetworkModel::switched({1000, 1000}, 50, 1);
  CHECK(compute_lower_bound(g, cost, far, config(2, 0, 1)).ms == Approx(51.0));
  // With the output at home, doing everything on the input device (8 ms) beats any hop.
  CHECK(compute_lower_bound(g, cost, far, config(2)).ms == Approx(8.0));
}
