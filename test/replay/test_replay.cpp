// Plans run for real: one MPI process per device, exact outputs, faults that end in bounded
// time with one line naming the device and the task, and no leftovers.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../cli_run.h"
#include "../temp_dir.h"
#include "edgeplan/data/dataset.h"
#include "edgeplan/replay/calibration.h"
#include "edgeplan/replay/cpu_quota.h"
#include "edgeplan/replay/fidelity.h"
#include "edgeplan/replay/network_emulation.h"
#include "edgeplan/replay/rank.h"
#include "edgeplan/replay/rank_record.h"
#include "edgeplan/replay/replay_report.h"
#include "edgeplan/plan/plan.h"

using namespace edgeplan;
using nlohmann::json;

namespace {

const std::string kRoot = EDGEPLAN_SOURCE_DIR;

// A scenario of `n` devices d0.. (the measured 1-thread CPU profile; small inputs fall back
// to its fitted model), switched at `mbps`, image on d0, result on the last device.
std::string scenario(const std::string& model, const std::string& input, int n, double mbps) {
  json devs = json::array();
  for (int i = 0; i < n; ++i) devs.push_back({{"id", "d" + std::to_string(i)}, {"profile", kRoot + "/profiles/measured/cpu-1thread.json"}});
  const json j = {{"format", "edgeplan.scenario/v1"}, {"name", "replay-test"},
                  {"model", {{"name", model}, {"input", json::parse("[" + input + "]")}}}, {"devices", devs},
                  {"precision", {{"activations", "fp32"}, {"input", "fp32"}}},
                  {"input_device", "d0"}, {"output_device", "d" + std::to_string(n - 1)},
                  {"network", {{"type", "switched"}, {"rates_mbps", mbps}, {"latency_ms", 0.1}, {"overhead_ms", 0.2}}}};
  return j.dump();
}

std::string make_plan(const TempDir& tmp, const std::string& scen, const std::string& planner) {
  const std::string plan = tmp / (planner + ".json");
  const Run r = run("plan --scenario " + scen + " --planner " + planner + " -o " + plan);
  INFO(r.out);
  REQUIRE(r.code == 0);
  return plan;
}

// Namespaces and links this test process's replays might have left (names carry the pid
// of the edgeplan process, so any ep<digits> object whose process is gone counts).
int leftover_namespaces() {
  int n = 0;
  DIR* d = opendir("/var/run/netns");
  if (!d) return 0;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind("ep", 0) != 0 || name.size() < 3 || !std::isdigit(static_cast<unsigned char>(name[2]))) continue;
    // A namespace of a replay still running (another test under ctest -j) is not left over.
    std::size_t end = 2;
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
    const std::string proc = "/proc/" + name.substr(2, end - 2);
    if (access(proc.c_str(), F_OK) != 0) ++n;
  }
  closedir(d);
  return n;
}

bool namespaces_permitted(std::string& why) { return NetworkEmulation::permitted(&why); }

// Cases on shaped links report themselves skipped (CTest: "SKIPPED:") where namespaces are not permitted.
bool skip_without_namespaces() {
  std::string why;
  if (namespaces_permitted(why)) return false;
  WARN("SKIPPED: network namespaces are not permitted here: " << why);
  return true;
}

double seconds(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("replay: rank records round-trip and malformed ones fail with one line", "[replay]") {
  RankRecord r;
  r.rank = 1;
  r.device = "d1";
  r.host = "h";
  r.clock_offset_ms = 0.25;
  r.threads = 1;
  r.core = 1;
  r.mpi_library = "Open MPI v4.1.4";
  RepeatRecord rep;
  rep.tasks = {{3, 1.5, 2.5}};
  rep.sends = {{4, 2.5, 3.0}};
  rep.receives = {{2, 0.0, 1.25}};
  rep.result_ms = 3.5;
  rep.max_rel_error = 1e-7;
  r.repeats = {rep};
  const RankRecord back = parse_rank_record(rank_record_to_json(r), "x.json");
  CHECK(back.device == "d1");
  CHECK(back.repeats.at(0).tasks.at(0).end_ms == 2.5);
  CHECK(back.repeats.at(0).receives.at(0).end_ms == 1.25);
  CHECK(back.repeats.at(0).max_rel_error == 1e-7);
  CHECK(back.wire_rel_error == -1);
  CHECK(back.repeats.at(0).head == -1);  // no exits: none recorded
  // A plan with exits: the head that answered, the prediction, the label, the confidence.
  RankRecord ex = r;
  ex.repeats[0].head = 1;
  ex.repeats[0].predicted = 7;
  ex.repeats[0].label = 7;
  ex.repeats[0].confidence = 0.875;
  const RankRecord eb = parse_rank_record(rank_record_to_json(ex), "x.json");
  CHECK(eb.repeats.at(0).head == 1);
  CHECK(eb.repeats.at(0).predicted == 7);
  CHECK(eb.repeats.at(0).label == 7);
  CHECK(eb.repeats.at(0).confidence == 0.875);
  std::string etext = rank_record_to_json(ex);
  CHECK_THROWS_WITH(parse_rank_record(etext.replace(etext.find("\"exit\":["), 8, "\"exit\":[["), "x.json"), Catch::StartsWith("x.json: "));
  std::string text = rank_record_to_json(r);
  for (const std::string& bad : {text.substr(0, text.size() / 2), std::string("[]"), std::string("{\"format\": 1}"),
                                 text.replace(text.find("\"tasks\":[[3"), 11, "\"tasks\":[[\"x\"")}) {
    try {
      parse_rank_record(bad, "x.json");
      FAIL("accepted " << bad);
    } catch (const ReplayError& e) {
      const std::string msg = e.what();
      CHECK(msg.find('\n') == std::string::npos);
      CHECK(msg.rfind("x.json: ", 0) == 0);
    }
  }
}

TEST_CASE("replay: latency percentiles interpolate between order statistics", "[replay]") {
  const LatencyStats s = latency_stats({40, 10, 30, 20, 50});
  CHECK(s.median_ms == 30);
  CHECK(s.p10_ms == Approx(14));  // position 0.4 between 10 and 20
  CHECK(s.p90_ms == Approx(46));
  CHECK(s.min_ms == 10);
  CHECK(s.max_ms == 50);
  CHECK_THROWS_AS(latency_stats({}), ReplayError);
}

TEST_CASE("replay: fault specifications are checked", "[replay]") {
  CHECK(parse_fault("kill:d1:3").volume == 3);
  CHECK(parse_fault("stall:a:b:0").device == "a:b");
  for (const char* bad : {"kill", "kill:d1", "boom:d1:1", "kill:d1:x", "kill:d1:-1"}) CHECK_THROWS_AS(parse_fault(bad), ReplayError);
  CHECK(NetworkEmulation::burst_bytes(1) == 4 * 1024);
  CHECK(NetworkEmulation::burst_bytes(1000) == 125000);  // 1 ms at 125 MB/s
}

TEST_CASE("replay: exact over loopback for several planners and models, 2 and 3 ranks", "[replay]") {
  const TempDir tmp;
  struct Case {
    std::string model, input;
    int devices;
  };
  for (const Case& c : {Case{"resnet18", "3, 64, 64", 2}, Case{"googlenet", "3, 64, 64", 3}, Case{"mobilenet_v2", "3, 64, 64", 3}}) {
    const std::string scen = tmp / (c.model + ".scenario.json");
    write(scen, scenario(c.model, c.input, c.devices, 100));
    for (const std::string planner : {"equal", "opt", "deepthings", "modnn"}) {
      const std::string plan = make_plan(tmp, scen, planner);
      const std::string report = tmp / "report.json";
      const Run r = run("replay --network loopback --repeat 2 --warmup 0 --scenario " + scen + " --plan " + plan + " -o " + report, 120);
      INFO(c.model << " " << planner << ": " << r.out);
      REQUIRE(r.code == 0);
      const json j = json::parse(read_text(report));
      CHECK(j["format"] == "edgeplan.replay/v1");
      CHECK(j["measured"]["max_rel_error"].get<double>() <= 1e-4);
      CHECK(j["measured"]["latencies_ms"].size() == 2);
      CHECK(j["measured"]["latency_ms"]["median"].get<double>() > 0);
      CHECK(j["network"]["mode"] == "loopback");
      // The image starts on d0 and the result ends on the last device.
      CHECK(j["provenance"]["ranks"].size() >= 2);
    }
  }
}

TEST_CASE("replay: the per-message cost counts transfers alone on their route's resources, by hand", "[replay]") {
  // 8 Mbit/s: 1000 B take 1 ms. Latency 0.5 ms, overhead 0.1 ms: 0.6 ms charged per message.
  const NetworkModel switched = NetworkModel::switched({8, 8}, 0.5, 0.1);
  ReplayReport r;
  SimResult run;
  auto transfer = [&](int src, int dst, double start, double end) {
    run.timeline.push_back({TimelineEvent::Kind::Send, src, start, end, 0, dst, 1000});
    run.timeline.push_back({TimelineEvent::Kind::Receive, dst, start, end, 0, src, 1000});
  };
  transfer(0, 1, 0.0, 2.0);  // alone on d0's uplink and d1's downlink: 1 ms beyond its bytes
  transfer(1, 0, 0.5, 3.0);  // the other direction: other resources when switched; 1.5 ms
  transfer(0, 1, 4.0, 6.0);  // these two overlap on the same route: not counted
  transfer(0, 1, 5.0, 7.0);
  r.measured_runs = {run};
  fit_message_cost(r, switched, {0, 1});
  CHECK(r.messages.transfers == 4);
  CHECK(r.messages.isolated == 2);
  CHECK(r.messages.fixed.median_ms == Approx(1.25));
  CHECK(r.messages.fixed.min_ms == Approx(1.0));
  CHECK(r.messages.fixed_mean_ms == Approx(1.25));
  CHECK(r.messages.charged_ms == Approx(0.6));
  CHECK(r.messages.fixed_all.median_ms == Approx(1.0));  // 1, 1.5, 1, 1
  // Wi-Fi radios are half duplex: the first two share both radios, so none is alone.
  const NetworkModel radios = NetworkModel::wifi_star({8, 8}, false, 0.5, 0.1);
  fit_message_cost(r, radios, {0, 1});
  CHECK(r.messages.transfers == 4);
  CHECK(r.messages.isolated == 0);
  // Ranks map onto the scenario's devices (here rank 0 is device 1 of three).
  const NetworkModel three = NetworkModel::switched({8, 8, 8}, 0.5, 0.1);
  fit_message_cost(r, three, {1, 2});
  CHECK(r.messages.isolated == 2);
}

TEST_CASE("replay: calibrate-network --from-replay adopts the per-message cost a replay measured", "[replay]") {
  const TempDir tmp;
  const std::string scen = tmp / "s.json";
  write(scen, scenario("resnet18", "3, 64, 64", 2, 100));
  const std::string plan = make_plan(tmp, scen, "equal");
  // Over loopback the report says what messages cost, but not on the scenario's links: refused.
  const std::string loop = tmp / "loopback.json";
  const Run l = run("replay --network loopback --repeat 2 --warmup 0 --scenario " + scen + " --plan " + plan + " -o " + loop, 120);
  INFO(l.out);
  REQUIRE(l.code == 0);
  const json lj = json::parse(read_text(loop));
  REQUIRE(lj["messages"].is_object());
  CHECK(lj["messages"]["transfers"].get<int>() > 0);
  CHECK(lj["messages"]["charged_ms"].get<double>() == Approx(0.3));  // latency 0.1 + overhead 0.2
  const Run refused = run("calibrate-network --scenario " + scen + " --from-replay " + loop + " -o " + tmp / "never.json");
  CHECK(refused.code != 0);
  CHECK_THAT(refused.out, Catch::Contains("unshaped loopback"));
  // A report of another network, or a file that is no report: one line, nothing written.
  const std::string other = tmp / "other.json";
  write(other, scenario("resnet18", "3, 64, 64", 2, 50));
  const Run wrong = run("calibrate-network --scenario " + other + " --from-replay " + loop + " -o " + tmp / "never.json");
  CHECK(wrong.code != 0);
  CHECK_THAT(wrong.out, Catch::Contains("replayed a network other than"));
  const Run junk = run("calibrate-network --scenario " + scen + " --from-replay " + plan + " -o " + tmp / "never.json");
  CHECK(junk.code != 0);
  CHECK_THAT(junk.out, Catch::Contains("not an edgeplan.replay/v1 report"));
  CHECK(access((tmp / "never.json").c_str(), F_OK) != 0);

  // On the emulated links: the overhead becomes the mean less the latency.
  if (skip_without_namespaces()) return;
  const std::string report = tmp / "report.json";
  const Run r = run("replay --repeat 2 --warmup 0 --scenario " + scen + " --plan " + plan + " -o " + report, 120);
  INFO(r.out);
  REQUIRE(r.code == 0);
  const json j = json::parse(read_text(report));
  REQUIRE(j["messages"].is_object());
  if (j["messages"]["isolated"].get<int>() == 0) return;  // every transfer overlapped another: nothing to adopt
  CHECK_THAT(r.out, Catch::Contains("per message beyond its bytes"));
  const std::string out = tmp / "calibrated.json";
  const Run c = run("calibrate-network --scenario " + scen + " --from-replay " + report + " -o " + out);
  INFO(c.out);
  REQUIRE(c.code == 0);
  const json k = json::parse(read_text(out));
  const double fixed = j["messages"]["fixed_ms"]["mean"].get<double>();
  CHECK(k["network"]["overhead_ms"].get<double>() == Approx(std::max(0.0, fixed - 0.1)).margin(1e-4));
  CHECK(k["network"]["latency_ms"] == 0.1);
  CHECK_THAT(k["network"]["calibration"]["overhead_method"].get<std::string>(), Catch::Contains("--from-replay"));
  CHECK(run("plan --scenario " + out + " --planner equal -o " + tmp / "p2.json").code == 0);
  CHECK(leftover_namespaces() == 0);
}

TEST_CASE("replay: fp16 activations and an 8-bit image travel packed, exact against the same roundings", "[replay]") {
  const TempDir tmp;
  const std::string scen = tmp / "fp16.scenario.json";
  json s = json::parse(scenario("resnet18", "3, 64, 64", 3, 100));
  s["precision"] = {{"activations", "fp16"}, {"input", "uint8"}};
  for (json& d : s["devices"]) d["profile"] = kRoot + "/profiles/modeled/jetson-nano-fp16.json";  // profiles of the scenario's precision
  write(scen, s.dump());
  const std::string plan = make_plan(tmp, scen, "equal");
  const std::string report = tmp / "report.json";
  const Run r = run("replay --network loopback --repeat 2 --warmup 0 --scenario " + scen + " --plan " + plan + " -o " + report, 120);
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("messages carry fp16 activations, uint8 input") != std::string::npos);
  const json j = json::parse(read_text(report));
  CHECK(j["wire"]["activations"] == "fp16");
  CHECK(j["wire"]["input"] == "uint8");
  CHECK(j["measured"]["max_rel_error"].get<double>() <= 1e-4);
  // The roundings are real (the reference is not the fp32 output) and small.
  CHECK(j["wire"]["reference_rel_error_vs_fp32"].get<double>() > 1e-6);
  CHECK(j["wire"]["reference_rel_error_vs_fp32"].get<double>() < 1e-2);
  CHECK(r.out.find("fp16 on the wire costs accuracy") != std::string::npos);
  // Every measured transfer carried what the simulator charged: 2 bytes per activation,
  // 1 per image element (the image is 3x64x64 = 12288 elements, d0 sends some of its rows).
  auto bytes = [](const json& timeline) {
    std::int64_t sum = 0, image = 0;
    for (const json& e : timeline)
      if (e["kind"] == "send") {
        sum += e["bytes"].get<std::int64_t>();
        if (e["volume"] == 0) image += e["bytes"].get<std::int64_t>();
      }
    return std::pair{sum, image};
  };
  const auto predicted = bytes(j["predicted"]["timeline"]), measured = bytes(j["measured"]["median_timeline"]);
  CHECK(measured.first == predicted.first);
  CHECK(measured.first > 0);
  Dataflow f;
  {
    const Plan p = load_plan_file(plan);
    f = compile_dataflow(plan_graph(p), p, {"d0", "d1", "d2"}, 0, 2);
  }
  std::int64_t want = 0;
  for (std::size_t m = 0; m < f.messages.size(); ++m)
    if (f.crosses(static_cast<int>(m))) want += f.messages[m].elements() * (f.messages[m].tensor == kModelInput ? 1 : 2);
  CHECK(measured.first == want);
}

TEST_CASE("replay: a plan with exits answers each test image at the head the one-process run does, and an exit stops every rank", "[replay][exits]") {
  if (!std::ifstream(fashion_mnist_dir() + "/t10k-images-idx3-ubyte.gz").good()) {
    WARN("SKIPPED: Fashion-MNIST is not installed (scripts/install-deps.sh installs dataset-fashion-mnist)");
    return;
  }
  const TempDir tmp;
  const std::string scenario = kRoot + "/benchmarks/scenarios/exits/vgg-fm-pi3-nano.json";
  const std::string cal = kRoot + "/benchmarks/exits/vgg-fm/calibration.json";
  REQUIRE(run("plan --scenario " + scenario + " --planner opt:restarts=0 -o " + tmp / "plan.json").code == 0);
  const Run p = run("exit-policy --scenario " + scenario + " --plan " + tmp / "plan.json" + " --calibration " + cal + " --min-accuracy 0.86 -o " + tmp / "exits.json");
  INFO(p.out);
  REQUIRE(p.code == 0);
  const Run r = run("replay --scenario " + scenario + " --plan " + tmp / "exits.json" + " --network loopback --repeat 24 --warmup 1 -o " + tmp / "report.json", 600);
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("every answer equal to the one-process run") != std::string::npos);
  // fp16 activations: the reference is the fp32 one-process run, so they are refused.
  json fp16 = json::parse(read_text(scenario));
  fp16["model"]["onnx"] = kRoot + "/benchmarks/exits/vgg-fm/model.onnx";
  for (json& d : fp16["devices"]) d["profile"] = kRoot + "/profiles/modeled/jetson-nano-fp16.json";
  fp16["precision"] = {{"activations", "fp16"}, {"input", "uint8"}};
  write(tmp / "fp16.json", fp16.dump());
  const Run refused = run("replay --scenario " + tmp / "fp16.json" + " --plan " + tmp / "exits.json" + " --network loopback");
  CHECK(refused.code != 0);
  CHECK(lines(refused.out) == 1);
  CHECK(refused.out.find("fp32 activations") != std::string::npos);
  // (Each rank checked its answer against the one-process exit runner on the same image.)
  const json rep = json::parse(read_text(tmp / "report.json"));
  REQUIRE(rep["exits"].size() == 24);
  int at_exit = 0, full_tasks = 0, exit_tasks = 1 << 30;
  for (const json& x : rep["exits"]) {
    CHECK(x["latency_ms"].get<double>() > 0);
    if (x["head"].get<int>() < 2) {
      ++at_exit;
      exit_tasks = std::min(exit_tasks, x["tasks_started"].get<int>());
    } else {
      full_tasks = std::max(full_tasks, x["tasks_started"].get<int>());
    }
  }
  CHECK(at_exit > 0);
  // Images answered at an exit started fewer tasks than images that ran to the final head.
  if (full_tasks > 0) CHECK(exit_tasks < full_tasks);
}

TEST_CASE("replay: --launch-command prints a hostfile and the mpirun line, runs nothing", "[replay]") {
  const TempDir tmp;
  const std::string scen = tmp / "s.json";
  write(scen, scenario("resnet18", "3, 64, 64", 2, 100));
  const std::string plan = make_plan(tmp, scen, "equal");
  const Run r = run("replay --launch-command --network loopback --scenario " + scen + " --plan " + plan);
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(r.out.find("d0 slots=1\nd1 slots=1\n") != std::string::npos);
  CHECK(r.out.find("mpirun") != std::string::npos);
  CHECK(r.out.find("--hostfile hosts.txt") != std::string::npos);
  CHECK(r.out.find("replay-rank") != std::string::npos);
}

namespace {

// A 2-rank loopback replay of an equal split with a fault injected; returns its output after
// checking what every failure must do: exit 1 within a minute, one line, no report.
std::string failed_replay(const std::string& options) {
  const TempDir tmp;
  const std::string scen = tmp / "s.json";
  write(scen, scenario("resnet18", "3, 64, 64", 2, 100));
  const std::string plan = make_plan(tmp, scen, "equal");
  const std::string report = tmp / "report.json";
  const auto start = std::chrono::steady_clock::now();
  const Run r = run("replay --network loopback --repeat 2 --scenario " + scen + " --plan " + plan + " -o " + report + " " + options, 120);
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(seconds(start) < 60);
  CHECK(lines(r.out) == 1);
  CHECK(access(report.c_str(), F_OK) != 0);  // no partial report
  return r.out;
}

}  // namespace

TEST_CASE("replay: a killed rank ends the run in bounded time with one line naming it", "[replay]") {
  const std::string out = failed_replay("--inject-fault kill:d1:3");
  CHECK(out.find("edgeplan: error: replay failed: device 'd1' (rank 1) died (signal 9) while computing part 2 of volume 3") == 0);
}

TEST_CASE("replay: a stalled transfer ends the run after the stall timeout with one line", "[replay]") {
  const std::string out = failed_replay("--stall-timeout 2 --inject-fault stall:d1:2");
  CHECK(out.find("edgeplan: error: replay failed: device 'd0' waited 2 s for rows") == 0);
  CHECK(out.find("from device 'd1'") != std::string::npos);
}

TEST_CASE("replay: bad input is refused with one line before anything runs", "[replay]") {
  const TempDir tmp;
  const std::string scen = tmp / "s.json";
  write(scen, scenario("resnet18", "3, 64, 64", 2, 100));
  const std::string plan = make_plan(tmp, scen, "equal");
  const std::string other = tmp / "other.json";
  write(other, scenario("alexnet", "3, 64, 64", 2, 100));
  const std::string matrix = tmp / "matrix.json";
  json m = json::parse(scenario("resnet18", "3, 64, 64", 2, 100));
  m["network"] = {{"type", "matrix"}, {"mbps", {{0, 10}, {10, 0}}}, {"latency_ms", 0.1}, {"overhead_ms", 0.1}};
  write(matrix, m.dump());
  const std::string fp16 = tmp / "int8.json";  // int8 would need quantization scales
  json h = json::parse(scenario("resnet18", "3, 64, 64", 2, 100));
  h["precision"]["activations"] = "int8";
  write(fp16, h.dump());
  for (const std::string& args : {"replay --scenario " + fp16 + " --plan " + plan,"replay --scenario " + other + " --plan " + plan, "replay --scenario " + scen + " --plan " + plan + " --network wifi",
                                  "replay --scenario " + matrix + " --plan " + plan, "replay --scenario " + scen + " --plan " + tmp / "missing.json",
                                  "replay --scenario " + scen + " --plan " + plan + " --inject-fault boom:d0:1"}) {
    const Run r = run(args);
    INFO(args << " -> " << r.out);
    CHECK(r.code != 0);
    CHECK(lines(r.out) == 1);
    CHECK(r.out.rfind("edgeplan: error: ", 0) == 0);
  }
}

TEST_CASE("replay: shaped links follow the tbf rate, and nothing is left behind", "[replay]") {
  if (skip_without_namespaces()) return;
  const TempDir tmp;
  // The whole model on d1, so the 3x64x64 image (49,152 B) must cross d0 -> d1 at 2 Mbit/s:
  // at least 0.197 s on the wire, where loopback takes well under a millisecond.
  const std::string scen = tmp / "s.json";
  json s = json::parse(scenario("resnet18", "3, 64, 64", 2, 2));
  s["output_device"] = "d1";
  write(scen, s.dump());
  json p = json::parse(read_text(make_plan(tmp, scen, "single")));
  for (auto& v : p["volumes"])
    for (auto& part : v["parts"]) part["device"] = "d1";
  p["tail"]["device"] = "d1";
  const std::string plan = tmp / "on-d1.json";
  write(plan, p.dump());
  const std::string report = tmp / "report.json";
  const Run single = run("replay --repeat 2 --warmup 1 --scenario " + scen + " --plan " + plan + " -o " + report, 120);
  INFO(single.out);
  REQUIRE(single.code == 0);
  const json j = json::parse(read_text(report));
  CHECK(j["network"]["mode"] == "emulate");
  CHECK(j["measured"]["max_rel_error"].get<double>() <= 1e-4);
  const double measured = j["measured"]["latency_ms"]["median"].get<double>();
  const double wire_ms = 49152.0 * 8 / 2e6 * 1000;
  // TCP/IP headers make it slower than the raw rate, never faster.
  CHECK(measured >= wire_ms);
  CHECK(measured <= 3 * wire_ms + 500);
  CHECK(leftover_namespaces() == 0);

  // A killed rank in the emulated network: bounded, one line, namespaces removed.
  const std::string plan2 = make_plan(tmp, scen, "equal");
  const Run killed = run("replay --repeat 1 --scenario " + scen + " --plan " + plan2 + " --inject-fault kill:d1:2 -o " + report + ".2", 120);
  INFO(killed.out);
  CHECK(killed.code == 1);
  CHECK(lines(killed.out) == 1);
  CHECK(killed.out.find("device 'd1' (rank 1) died") != std::string::npos);
  CHECK(leftover_namespaces() == 0);
}

TEST_CASE("replay: link fits recover rate and fixed time exactly from clean measurements", "[replay]") {
  // One way = 0.3 ms + bytes * 8 / 20 Mbit/s; the round trip adds the 1-byte return (rtt / 2).
  PairMeasurement m{"a", "b", 0.2, {1000, 10000, 100000}, {}};
  for (long long b : m.bytes) m.round_trip_ms.push_back(0.1 + 0.3 + static_cast<double>(b) * 8 / 20e3);
  const PairFit f = fit_pair(m);
  CHECK(f.mbps == Approx(20));
  CHECK(f.fixed_ms == Approx(0.3));
  const NetworkCalibration c = calibrate({"a", "b", "c"}, {m, PairMeasurement{"b", "a", 0.4, {1000, 2000}, {0.2 + 0.4, 0.2 + 0.8}}});
  CHECK(c.device_mbps[0] == Approx(20));
  CHECK(c.device_mbps[1] == Approx(20));  // its fastest pair
  CHECK(c.device_mbps[2] == 0);           // measured with nobody
  CHECK(c.latency_ms == Approx(0.15));     // half the median of 0.2 and 0.4
  CHECK_THROWS_AS(fit_pair(PairMeasurement{"a", "b", 0.1, {1000}, {1.0}}), ReplayError);
  CHECK_THROWS_AS(fit_pair(PairMeasurement{"a", "b", 0.1, {1000, 2000}, {2.0, 1.0}}), ReplayError);  // faster when bigger
  CHECK(calibration_sizes(25) == std::vector<long long>{12207, 48828, 195312, 781250});  // 0.25 s at 25 Mbit/s, then /4, /16, /64
  CHECK(calibration_sizes(1).back() == 64 << 10);
  CHECK(calibration_sizes(1e6).back() == 16 << 20);
}

TEST_CASE("replay: the fidelity summary counts errors, ties and the predicted order", "[replay]") {
  auto row = [](const std::string& scen, const std::string& planner, double pred, double meas) {
    FidelityRow r;
    r.scenario = scen;
    r.planner = planner;
    r.model = "m";
    r.predicted_ms = pred;
    r.measured_ms = meas;
    return r;
  };
  const FidelitySummary s = summarize_fidelity({row("s1", "a", 100, 100), row("s1", "b", 120, 110), row("s1", "c", 100.5, 90),
                                                row("s2", "a", 50, 40), row("s2", "b", 60, 50)});
  // |errors|: 0, 9.1%, 11.7%, 25%, 20% -> median 11.7%, worst 25% (s2 a).
  CHECK(s.median_abs_error == Approx(0.5 / 90 + 10.0 / 90).epsilon(1e-9));
  CHECK(s.worst_abs_error == Approx(0.25));
  CHECK(s.groups == 2);
  // s1: c measured fastest, predicted within 1% of the fastest (a): agrees. s2: a fastest both ways.
  CHECK(s.fastest_agrees == 2);
  // s1 pairs: (a,b) same order, (a,c) tie, (b,c) same order; s2: (a,b) same order.
  CHECK(s.pairs == 3);
  CHECK(s.pairs_agree == 3);
  CHECK(s.pairs_tied == 1);
  CHECK(fidelity_markdown(s).find("| m |  | a | 0 | 100.0 | 100.0 |") != std::string::npos);
  CHECK_THROWS_AS(summarize_fidelity({}), ReplayError);
}

TEST_CASE("replay: calibrate-network measures the shaped links and writes a scenario that loads", "[replay]") {
  if (skip_without_namespaces()) return;
  const TempDir tmp;
  const std::string scen = tmp / "s.json";
  write(scen, scenario("resnet18", "3, 64, 64", 2, 20));
  const std::string out = tmp / "sub" + "/calibrated.json";
  REQUIRE(std::system(("mkdir -p " + tmp / "sub").c_str()) == 0);
  const Run r = run("calibrate-network --scenario " + scen + " -o " + out, 120);
  INFO(r.out);
  REQUIRE(r.code == 0);
  const json j = json::parse(read_text(out));
  // tbf at 20 Mbit/s carries 95.6% of it as MPI payload (TCP/IP headers); allow 80-100%.
  for (const char* d : {"d0", "d1"}) {
    const double mbps = j["network"]["rates_mbps"][d].get<double>();
    CHECK(mbps > 16);
    CHECK(mbps <= 20);
  }
  CHECK(j["network"]["calibration"]["link_rates_mbps"]["d0"] == 20.0);
  CHECK(j["network"]["calibration"]["pairs"].size() == 2);
  // The profile paths were rewritten for the new folder: the plan command loads it.
  const Run plan = run("plan --scenario " + out + " --planner equal -o " + tmp / "p.json");
  INFO(plan.out);
  CHECK(plan.code == 0);
  CHECK(leftover_namespaces() == 0);
}

TEST_CASE("replay: Ctrl-C stops every rank, removes the emulated network and writes no report", "[replay]") {
  std::string why;
  const bool emulate = namespaces_permitted(why);
  const TempDir tmp;
  const std::string scen = tmp / "s.json";
  write(scen, scenario("resnet18", "3, 64, 64", 2, 100));
  const std::string plan = make_plan(tmp, scen, "equal");
  const std::string report = tmp / "report.json";
  // 1000 repeats take far longer than the 4 s after which `timeout` sends SIGINT.
  const std::string cmd = "timeout --preserve-status -s INT 4 " + std::string(EDGEPLAN_BIN) + " replay --repeat 1000 --network " +
                          (emulate ? "emulate" : "loopback") + " --scenario " + scen + " --plan " + plan + " -o " + report + " 2>&1";
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  INFO(out);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(seconds(start) < 30);
  CHECK(out.find("edgeplan: error: interrupted") != std::string::npos);
  CHECK(access(report.c_str(), F_OK) != 0);
  CHECK(leftover_namespaces() == 0);
  // No rank outlives the launcher.
  CHECK(std::system(("pgrep -f '[r]eplay-rank.*" + tmp.path() + "' > /dev/null").c_str()) != 0);
}

TEST_CASE("replay: a device profiled under a CPU quota replays under it, exactly, and its group is removed", "[replay]") {
  std::string why;
  if (!CpuQuotaGroup::available(&why)) {
    WARN("SKIPPED: cgroup CPU quotas are not available here: " << why);
    return;
  }
  const TempDir tmp;
  const std::string half = tmp / "half.json";
  const Run prof = run("profile --cpu-quota 0.5 --model resnet18 --input 3x64x64 --quick -o " + half);
  INFO(prof.out);
  REQUIRE(prof.code == 0);
  const json p = json::parse(read_text(half));
  CHECK(p["provenance"]["cpu_quota"] == 0.5);
  json s = json::parse(scenario("resnet18", "3, 64, 64", 2, 100));
  s["devices"][1]["profile"] = half;
  const std::string scen = tmp / "s.json";
  write(scen, s.dump());
  const std::string plan = make_plan(tmp, scen, "equal");
  const std::string report = tmp / "report.json";
  const Run r = run("replay --network loopback --repeat 2 --scenario " + scen + " --plan " + plan + " -o " + report, 120);
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(json::parse(read_text(report))["measured"]["max_rel_error"].get<double>() <= 1e-4);
  // Both ranks have a core of their own (the quota'd one fits beside nobody else here).
  const json ranks = json::parse(read_text(report))["provenance"]["ranks"];
  CHECK(ranks[0]["core"] != ranks[1]["core"]);
  // Every group this test's commands made is gone (their processes have ended).
  int left = 0;
  if (DIR* d = opendir("/sys/fs/cgroup/cpu")) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.rfind("edgeplan-", 0) != 0) continue;
      const long pid = std::atol(name.c_str() + 9);
      if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0) ++left;
    }
    closedir(d);
  }
  CHECK(left == 0);
}
