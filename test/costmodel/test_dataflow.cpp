// The dataflow the replay executes equals the simulator's: the same bytes cross every link,
// in the same number of messages, for random plans on every zoo model (branches, tiles,
// volumes cut anywhere, input and output on any device).
#include <catch2/catch.hpp>

#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/strategy/simple_plans.h"
#include "fake_costs.h"

using namespace edgeplan;

TEST_CASE("dataflow: cross-device bytes and message count equal the simulator's, every zoo model") {
  constexpr int kDevices = 5;
  const std::vector<std::string> ids = numbered_devices(kDevices);
  for (const std::string& name : zoo_model_names()) {
    const Graph g = build_model(name);
    const testing::FakeCost cost(std::vector<std::vector<double>>(kDevices, std::vector<double>(static_cast<std::size_t>(g.size()), 0.01)));
    const NetworkModel net = NetworkModel::switched(std::vector<double>(kDevices, 100.0), 0.1, 0.05);
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
      const Plan plan = make_random_plan(g, seed * 7919 + g.size());
      SimulatorConfig cfg;
      cfg.device_ids = ids;
      cfg.input_device = static_cast<int>(seed % kDevices);
      cfg.output_device = static_cast<int>((seed * 3) % kDevices);
      const SimResult sim = Simulator(g, cost, net, cfg).simulate(plan);
      const Dataflow flow = compile_dataflow(g, plan, ids, cfg.input_device, cfg.output_device);
      std::vector<std::int64_t> bytes(static_cast<std::size_t>(kDevices * kDevices), 0);
      int crossing = 0;
      for (std::size_t m = 0; m < flow.messages.size(); ++m) {
        if (!flow.crosses(static_cast<int>(m))) continue;
        ++crossing;
        const FlowMessage& msg = flow.messages[m];
        bytes[static_cast<std::size_t>(flow.device_of(msg.src_task) * kDevices + flow.device_of(msg.dst_task))] += msg.elements() * 4;
      }
      INFO(name << " seed " << seed);
      CHECK(bytes == sim.link_bytes);
      CHECK(crossing == sim.transfers);
      // Every part and the tail appear once, in plan order on their device.
      int computing = 0;
      for (const auto& list : flow.device_tasks) {
        computing += static_cast<int>(list.size());
        CHECK(std::is_sorted(list.begin(), list.end()));
      }
      int parts = plan.tail ? 1 : 0;
      for (const Volume& v : plan.volumes) parts += static_cast<int>(v.parts.size());
      CHECK(computing == parts);
      CHECK(flow.tasks.front().kind == FlowTask::Kind::Image);
      CHECK(flow.tasks.back().kind == FlowTask::Kind::Result);
    }
  }
}

TEST_CASE("dataflow: a two-device row split of a 3x3 convolution sends exactly the halo rows") {
  const Graph g = build_model("vgg16", Shape{3, 32, 32});
  Plan plan;
  plan.model = "vgg16";
  plan.input = Shape{3, 32, 32};
  plan.devices = {"a", "b"};
  // Layer 0 (3x3 conv, pad 1) split at row 16; everything else on a.
  const Shape& out0 = g.layer(0).out;
  plan.volumes.push_back(Volume{LayerRange{0, 1}, {Part{"a", Region{{0, 16}, {0, out0.w}}}, Part{"b", Region{{16, out0.h}, {0, out0.w}}}}});
  plan.volumes.push_back(Volume{LayerRange{1, g.body_end()}, {Part{"a", full_region(g.layer(g.body_end() - 1).out)}}});
  plan.tail = Tail{LayerRange{g.body_end(), g.size()}, "a"};
  validate_plan(plan, g);
  const Dataflow flow = compile_dataflow(g, plan, {"a", "b"}, 0, 0);
  // Image -> b: rows 15..31 (one halo row above 16); b -> a: its 16 output rows of 64 channels.
  int image_to_b = 0, b_to_a = 0;
  for (std::size_t m = 0; m < flow.messages.size(); ++m) {
    const FlowMessage& msg = flow.messages[m];
    if (!flow.crosses(static_cast<int>(m))) continue;
    if (msg.tensor == kModelInput) {
      ++image_to_b;
      CHECK(msg.region.rows.begin == 15);
      CHECK(msg.region.rows.end == 32);
      CHECK(msg.elements() == 17 * 32 * 3);
    } else {
      ++b_to_a;
      CHECK(msg.tensor == 0);
      CHECK(msg.region.rows.begin == 16);
      CHECK(msg.elements() == 16 * 32 * 64);
    }
  }
  CHECK(image_to_b == 1);
  CHECK(b_to_a == 1);
  CHECK(flow.describe(2) == "part 2 of volume 1 (layers 0-0)");
}
