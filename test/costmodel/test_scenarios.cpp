// Every profile and scenario in the repository loads; bad ones fail with one line; properties
// of the simulator on real scenarios (bound, monotonicity, cost tables).
#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/model/zoo.h"
#include "../repo_files.h"
#include "edgeplan/strategy/simple_plans.h"

using namespace edgeplan;
using nlohmann::json;

namespace {

const std::string kRoot = EDGEPLAN_SOURCE_DIR;

std::vector<std::string> json_files(const std::string& dir) { return json_files_in(dir); }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string error_of(const std::string& text) {
  try {
    parse_scenario(text, kRoot + "/benchmarks/scenarios");
  } catch (const ScenarioError& e) {
    const std::string msg = e.what();
    CHECK(msg.find('\n') == std::string::npos);
    return msg;
  }
  return "";
}

// The error of the default scenario after `edit` ("" if it loads).
std::string with(const std::function<void(json&)>& edit) {
  json j = json::parse(slurp(kRoot + "/benchmarks/scenarios/default.json"));
  edit(j);
  return error_of(j.dump());
}

}  // namespace

TEST_CASE("every profile in the repository loads, modeled ones name their sources", "[scenario]") {
  const auto files = json_files(kRoot + "/profiles/modeled");
  CHECK(files.size() >= 9);
  for (const auto& f : files) {
    INFO(f);
    const DeviceProfile p = load_profile_file(f);
    CHECK(p.provenance_type == "modeled");
    CHECK(json::parse(p.provenance_json)["sources"].size() >= 1);
    CHECK(p.curves.empty());
    CHECK(parse_profile(profile_to_json(p)).fallback.peak_gmacs == p.fallback.peak_gmacs);
  }
  for (const auto& f : json_files(kRoot + "/profiles/measured")) {
    INFO(f);
    CHECK(load_profile_file(f).provenance_type == "measured");
  }
}

TEST_CASE("every scenario in the repository loads and simulates an even plan above its lower bound", "[scenario]") {
  auto files = json_files(kRoot + "/benchmarks/scenarios");
  for (const auto& f : json_files(kRoot + "/benchmarks/scenarios/distredge")) files.push_back(f);
  for (const auto& f : json_files(kRoot + "/benchmarks/scenarios/distredge/models")) files.push_back(f);
  for (const auto& f : json_files(kRoot + "/benchmarks/scenarios/distredge/onboard")) files.push_back(f);
  CHECK(files.size() >= 158);
  for (const auto& f : files) {
    INFO(f);
    const Scenario s = load_scenario_file(f);
    const Simulator sim(s);
    const std::vector<std::string> ids = s.device_ids();
    Plan p = make_even_plan(s.graph, {ids.begin(), ids.begin() + s.compute_devices}, per_layer_volumes(s.graph));
    p.devices = ids;
    const SimResult r = sim.simulate(p);
    CHECK(r.latency_ms > 0);
    CHECK(r.latency_ms >= r.lower_bound_ms);
    CHECK(sim.latency_ms(p) == Approx(r.latency_ms));
  }
}

TEST_CASE("bad scenarios get a one-line reason", "[scenario]") {
  CHECK(with([](json&) {}).empty());
  CHECK_THAT(error_of("{"), Catch::Contains("malformed JSON"));
  CHECK_THAT(with([](json& j) { j["format"] = "x"; }), Catch::Contains("expected 'edgeplan.scenario/v1'"));
  CHECK_THAT(with([](json& j) { j["model"]["name"] = "vgg17"; }), Catch::Contains("unknown model 'vgg17'"));
  CHECK_THAT(with([](json& j) { j["devices"][1]["profile"] = "nope.json"; }), Catch::Contains("cannot open profile file"));
  CHECK_THAT(with([](json& j) { j["devices"][1]["id"] = "nano-1"; }), Catch::Contains("used twice"));
  CHECK_THAT(with([](json& j) { j["devices"] = json::array(); }), Catch::Contains("at least one device"));
  CHECK_THAT(with([](json& j) { j["input_device"] = "phone"; }), Catch::Contains("unknown device 'phone'"));
  CHECK_THAT(with([](json& j) { j["network"]["rates_mbps"] = -50; }), Catch::Contains("outside"));
  CHECK_THAT(with([](json& j) { j["network"]["rates_mbps"] = json{{"nano-0", 50}}; }), Catch::Contains("no rate for device"));
  CHECK_THAT(with([](json& j) { j["network"]["rates_mbps"] = json{{"phone", 50}}; }), Catch::Contains("unknown device 'phone'"));
  CHECK_THAT(with([](json& j) { j["network"]["type"] = "carrier-pigeon"; }), Catch::Contains("unknown network type"));
  CHECK_THAT(with([](json& j) { j["network"]["latency_ms"] = -1; }), Catch::Contains("outside"));
  CHECK_THAT(with([](json& j) { j["network"]["traces"] = json{{"nano-0", {{5, 10}, {5, 20}}}}; }), Catch::Contains("times must increase"));
  CHECK_THAT(with([](json& j) { j["network"]["bandwidth"] = 5; }), Catch::Contains("unknown field 'bandwidth'"));
  // A Wi-Fi channel's capacity: wifi_star only, positive, not with a shared channel.
  CHECK(with([](json& j) { j["network"]["channel_mbps"] = 400; }).empty());
  CHECK_THAT(with([](json& j) { j["network"]["channel_mbps"] = 0; }), Catch::Contains("scenario.network.channel_mbps"));
  CHECK_THAT(with([](json& j) { j["network"]["channel_mbps"] = "fast"; }), Catch::Contains("scenario.network.channel_mbps"));
  CHECK_THAT(with([](json& j) {
               j["network"]["channel_mbps"] = 400;
               j["network"]["shared_channel"] = true;
             }),
             Catch::Contains("give one of them"));
  CHECK_THAT(with([](json& j) {
               j["network"]["type"] = "switched";
               j["network"]["channel_mbps"] = 400;
             }),
             Catch::Contains("channel_mbps: only for wifi_star"));
  // A calibration block may hold only the per-message overhead's provenance (--from-replay).
  CHECK(with([](json& j) { j["network"]["calibration"] = {{"overhead_method", "replay"}}; }).empty());
  CHECK_THAT(with([](json& j) { j["network"]["calibration"] = {{"overhead_method", 5}}; }),
             Catch::Contains("calibration.overhead_method: must be a string"));
  CHECK_THAT(with([](json& j) { j["model"]["input"] = {3, 8, 8}; }), Catch::Contains("too small"));
}

TEST_CASE("dense cost tables agree with the profiles", "[scenario]") {
  const Scenario s = load_scenario_file(kRoot + "/benchmarks/scenarios/default.json");
  std::vector<const DeviceProfile*> profiles;
  for (const auto& d : s.devices) profiles.push_back(&d.profile);
  const ProfileCostModel cost(s.graph, profiles);
  for (int d = 0; d < cost.device_count(); ++d)
    for (int l = 0; l < s.graph.size(); l += 3)
      for (int r : {1, 2, 7, s.graph.layer(l).out.h}) {
        if (r > s.graph.layer(l).out.h) continue;
        CHECK(cost.layer_ms(d, l, r) == Approx(profiles[static_cast<std::size_t>(d)]->latency_ms(s.graph, l, r)));
      }
  CHECK(cost.fallback_layer_count(0) == s.graph.size());  // modeled: everything from the fallback model
}

TEST_CASE("random plans: never below the lower bound, more bandwidth or a faster device never hurts", "[scenario]") {
  const Graph g("chain", Shape{3, 48, 40});
  Graph chain = g;
  int x = kModelInput;
  for (int i = 0; i < 6; ++i) x = chain.relu("r" + std::to_string(i), chain.conv("c" + std::to_string(i), x, 8, 3, 1 + i % 2, 1));
  DeviceProfile nano = load_profile_file(kRoot + "/profiles/modeled/jetson-nano.json");
  DeviceProfile pi = load_profile_file(kRoot + "/profiles/modeled/raspberry-pi-4.json");
  DeviceProfile fast_pi = pi;
  fast_pi.fallback.peak_gmacs *= 2;
  fast_pi.fallback.memory_bandwidth_gbs *= 2;
  const ProfileCostModel cost(chain, {&nano, &pi, &pi});
  const ProfileCostModel faster(chain, {&nano, &fast_pi, &pi});
  SimulatorConfig cfg;
  cfg.device_ids = {"d0", "d1", "d2"};
  for (bool shared : {false, true}) {
    const NetworkModel net = NetworkModel::wifi_star({20, 50, 80}, shared, 1, 0.1);
    const NetworkModel wide = NetworkModel::wifi_star({40, 100, 160}, shared, 1, 0.1);
    const Simulator base(chain, cost, net, cfg), more_bw(chain, cost, wide, cfg), fast(chain, faster, net, cfg);
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      RandomPlanOptions o;
      o.max_parts = 3;
      const Plan p = make_random_plan(chain, seed, o);
      const double t = base.latency_ms(p);
      INFO("seed " << seed << (shared ? " shared" : ""));
      CHECK(t >= base.lower_bound_ms() * (1 - 1e-12));
      CHECK(more_bw.latency_ms(p) <= t + 1e-9);
      CHECK(fast.latency_ms(p) <= t + 1e-9);
    }
  }
}

TEST_CASE("precision and non-computing nodes: bad values get one line", "[scenario]") {
  CHECK_THAT(with([](json& j) { j["precision"] = {{"activations", "fp8"}}; }), Catch::Contains("unknown type 'fp8'"));
  CHECK_THAT(with([](json& j) { j["precision"] = {{"activations", "uint8"}}; }), Catch::Contains("unknown type 'uint8'"));
  CHECK_THAT(with([](json& j) { j["precision"] = {{"input", "rgb"}}; }), Catch::Contains("scenario.precision.input"));
  CHECK_THAT(with([](json& j) { j["precision"] = {{"bits", 8}}; }), Catch::Contains("unknown field 'bits'"));
  CHECK_THAT(with([](json& j) { j["precision"] = "fp16"; }), Catch::Contains("scenario.precision"));
  // The profiles are modeled at one precision; a scenario running another is refused.
  const std::string p = json::parse(slurp(kRoot + "/benchmarks/scenarios/default.json"))["devices"][1]["profile"];
  const std::string other = p.find("fp16") != std::string::npos ? "fp32" : "fp16";
  CHECK_THAT(with([&](json& j) { j["precision"] = {{"activations", other}}; }), Catch::Contains("profile but the scenario runs"));
  CHECK_THAT(with([](json& j) { j["devices"].push_back({{"id", "phone"}}); }), Catch::Contains("\"compute\": false"));
  CHECK_THAT(with([](json& j) { j["devices"][1]["compute"] = false; }), Catch::Contains("has no profile"));
  CHECK_THAT(with([](json& j) { j["devices"] = json::array({{{"id", "camera"}, {"compute", false}}}); }),
             Catch::Contains("no device computes"));
}

TEST_CASE("a camera that does not compute: uint8 image and fp16 activations on the wire, parts refused there", "[scenario]") {
  // Files of the test scenario: a one-device profile and a matrix network with the camera listed first.
  const std::string dir = kRoot + "/profiles/modeled";
  json j = json::parse(slurp(kRoot + "/benchmarks/scenarios/default.json"));
  const std::string nano = j["devices"][3]["profile"];  // the fp16 Nano: the scenario runs fp16
  j["devices"] = json::array({{{"id", "camera"}, {"compute", false}}, {{"id", "nano"}, {"profile", nano}}});
  j["model"] = {{"name", "alexnet"}, {"input", {3, 67, 67}}};
  j["input_device"] = "camera";
  j["output_device"] = "camera";
  j["network"] = {{"type", "matrix"}, {"mbps", {{0, 8}, {16, 0}}}};  // camera -> nano 8 Mbit/s, back 16
  const Scenario s = parse_scenario(j.dump(), kRoot + "/benchmarks/scenarios");
  REQUIRE(s.compute_devices == 1);
  CHECK(s.devices[0].id == "nano");  // computing devices first
  CHECK(s.devices[1].id == "camera");
  CHECK(s.input_device == 1);
  CHECK(s.elements.input == ElementType::U8);  // default: an 8-bit camera frame
  const Simulator sim(s);
  Plan p = make_even_plan(s.graph, {"nano"}, {LayerRange{0, s.graph.body_end()}});
  p.devices = s.device_ids();
  const SimResult r = sim.simulate(p);
  // uint8, and only rows and columns 0..64: at 67x67 the last two feed no output of AlexNet
  // (conv 11/4 pad 2, then max pools 3/2: 16 -> 7 rows keep 15 rows of conv1, which read 0..64).
  const std::int64_t image = 3 * 65 * 65 * 1;
  const std::int64_t result = s.graph.layer(s.graph.size() - 1).out.elements() * element_bytes(s.elements.activations);
  CHECK(r.link_bytes[1 * 2 + 0] == image);   // camera -> nano, at 8 Mbit/s (the file's row 0)
  CHECK(r.link_bytes[0 * 2 + 1] == result);  // nano -> camera, at 16 Mbit/s
  CHECK(r.transfers == 2);
  CHECK(r.latency_ms == Approx(image * 8 / 8e3 + r.devices[0].compute_ms + result * 8 / 16e3));
  Plan on_camera = make_even_plan(s.graph, {"camera"}, {LayerRange{0, s.graph.body_end()}});
  on_camera.devices = s.device_ids();
  CHECK_THROWS_WITH(sim.simulate(on_camera), Catch::Contains("'camera' does not compute"));
}

namespace {

// Squeeze-and-excitation blocks (as ONNX import builds them): a pooling whose window is the
// whole map, 1x1 layers on the vector, the map scaled by it; then a classifier.
Graph se_graph(Shape in) {
  Graph g("se", in);
  auto squeeze_excite = [&g](const std::string& name, int x, int channels) {
    const Shape s = g.tensor_shape(x);
    Layer sq;
    sq.name = name + ".squeeze";
    sq.kind = LayerKind::AvgPool;
    sq.inputs = {x};
    sq.win_h = Window{s.h, s.h, 0, 1, -1};
    sq.win_w = Window{s.w, s.w, 0, 1, -1};
    const int v = g.conv(name + ".fc2", g.relu(name + ".r", g.conv(name + ".fc1", g.add(sq), channels / 2, 1)), channels, 1);
    Layer gate;
    gate.name = name + ".gate";
    gate.kind = LayerKind::Sigmoid;
    gate.inputs = {v};
    Layer mul;
    mul.name = name + ".scale";
    mul.kind = LayerKind::Mul;
    mul.inputs = {x, g.add(gate)};
    return g.add(mul);
  };
  int x = g.relu("r0", g.conv("c0", kModelInput, 16, 3, 2, 1));
  x = squeeze_excite("se1", x, 16);
  x = g.relu("r1", g.conv("c1", x, 32, 3, 2, 1));
  x = squeeze_excite("se2", g.conv("dw", x, 32, 3, 1, 1, 32), 32);
  x = g.conv("c2", x, 32, 3, 2, 1);
  g.linear("fc", g.flatten("flat", g.global_avg_pool("gap", x)), 10);
  return g;
}

// A decoder: transposed convolutions (2x with output padding, taps that skip outputs, dilated).
Graph decoder_graph(Shape in) {
  Graph g("decoder", in);
  Window up{3, 2, 1, 1, -1};
  up.extra = 1;
  int x = g.relu("r0", g.conv("c0", kModelInput, 16, 3, 4, 1));
  x = g.relu("r1", g.conv_transpose("up1", x, 8, up, up));
  x = g.conv_transpose("gaps", g.conv("c1", x, 8, 3, 2, 1), 8, Window{1, 2, 0, 1, -1}, Window{3, 1, 2, 2, 0});
  g.conv("head", g.conv_transpose("up2", x, 4, Window{4, 2, 1, 1, -1}, Window{4, 2, 1, 1, -1}), 2, 3, 1, 1);
  return g;
}

}  // namespace

TEST_CASE("lower bound: the issue's counterexamples, random plans at odd sizes, a camera source", "[scenario][bound]") {
  const DeviceProfile nano = load_profile_file(kRoot + "/profiles/modeled/jetson-nano.json");
  const DeviceProfile tx2 = load_profile_file(kRoot + "/profiles/modeled/jetson-tx2.json");
  // The old bound charged every row of every layer; plans compute only the rows the result
  // reads. VGG16 at 225x225 on one Nano (a pool drops row 224) and AlexNet at 227x227 on
  // four Nanos behind 50 ms links (single is optimal) put the old bound above `single`.
  {
    const Graph g = build_model("vgg16", Shape{3, 225, 225});
    const ProfileCostModel cost(g, {&nano});
    SimulatorConfig cfg;
    cfg.device_ids = {"nano"};
    const NetworkModel net = NetworkModel::switched({100}, 1, 0.2);
    const Simulator sim(g, cost, net, cfg);
    const double single = sim.latency_ms(make_even_plan(g, {"nano"}, {LayerRange{0, g.body_end()}}));
    INFO("vgg16 225: single " << single << " ms, bound " << sim.lower_bound_ms() << " ms");
    CHECK(sim.lower_bound_ms() <= single);
    CHECK(sim.lower_bound_ms() >= 0.999 * single);  // one device: the bound is its own time, tight
  }
  {
    const Graph g = build_model("alexnet", Shape{3, 227, 227});
    const ProfileCostModel cost(g, {&nano, &nano, &nano, &nano});
    SimulatorConfig cfg;
    cfg.device_ids = {"n0", "n1", "n2", "n3"};
    const NetworkModel net = NetworkModel::wifi_star({100, 100, 100, 100}, false, 50, 0.2);
    const Simulator sim(g, cost, net, cfg);
    Plan p = make_even_plan(g, {"n0"}, {LayerRange{0, g.body_end()}});
    p.devices = cfg.device_ids;
    INFO("alexnet 227: single " << sim.latency_ms(p) << " ms, bound " << sim.lower_bound_ms() << " ms");
    CHECK(sim.lower_bound_ms() <= sim.latency_ms(p));
  }
  // Random plans (tiles, odd sizes, volumes cut anywhere) never beat the bound, with the
  // image on a device or on a camera that computes nothing, fp32 or uint8 / fp16 bytes.
  int plans = 0;
  for (const std::string model : {"alexnet", "vgg16", "resnet18", "mobilenet_v2", "googlenet", "se", "decoder"})
    for (const Shape in : {Shape{3, 83, 69}, Shape{3, 99, 97}}) {
      const Graph g = model == "se" ? se_graph(in) : model == "decoder" ? decoder_graph(in) : build_model(model, in);
      const ProfileCostModel cost(g, {&nano, &tx2, &nano, nullptr});
      for (bool camera : {false, true})
        for (int radio : {0, 1, 2}) {  // own radios, a shared channel, a channel with a capacity
          const bool shared = radio == 1;
          SimulatorConfig cfg;
          cfg.device_ids = {"d0", "d1", "d2", "cam"};
          cfg.compute_devices = 3;
          cfg.input_device = camera ? 3 : 1;
          cfg.output_device = camera ? 3 : 0;
          if (camera) cfg.elements = ElementSizes{ElementType::F16, ElementType::U8};
          // 150 Mbit/s of channel is less than two transfers at the devices' rates need.
          const NetworkModel net = radio == 2 ? NetworkModel::wifi_channel({40, 100, 200, 300}, 150, 1, 0.1)
                                              : NetworkModel::wifi_star({40, 100, 200, 300}, shared, 1, 0.1);
          const Simulator sim(g, cost, net, cfg);
          REQUIRE(sim.lower_bound().lp_solved);
          for (std::uint64_t seed = 0; seed < 12; ++seed) {
            RandomPlanOptions o;
            o.max_parts = 3;
            Plan p = make_random_plan(g, seed, o);
            p.devices = cfg.device_ids;
            const double t = sim.latency_ms(p);
            INFO(model << " " << to_string(in) << (camera ? " camera" : "") << " radio " << radio << " seed " << seed << ": "
                       << t << " ms, bound " << sim.lower_bound_ms() << " ms");
            CHECK(t >= sim.lower_bound_ms());
            ++plans;
          }
        }
    }
  CHECK(plans == 7 * 2 * 6 * 12);
}
