// The CLI contract: models listing, verify, and one-line errors with non-zero exits.
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../cli_run.h"
#include "../temp_dir.h"

namespace {

// Every command must fail (non-zero exit) with exactly one line of output; with
// `ours`, that line is edgeplan's own error (not a CLI11 parse error).
void check_refused(const std::vector<std::string>& commands, bool ours = false) {
  for (const std::string& args : commands) {
    const Run r = run(args);
    INFO(args << " -> " << r.out);
    CHECK(r.code != 0);
    CHECK(lines(r.out) == 1);
    if (ours) CHECK(r.out.rfind("edgeplan: error: ", 0) == 0);
  }
}

}  // namespace

TEST_CASE("models --json lists the seven zoo models", "[cli]") {
  const Run r = run("models --json");
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.size() == 7);
  CHECK(j[0]["name"] == "alexnet");
  CHECK(j[6]["name"] == "yolov2");
  CHECK(j[1]["macs"].get<long long>() == 15470264320LL);
  const Run table = run("models --input 3x128x128");
  CHECK(table.code == 0);
  CHECK(table.out.find("3x128x128") != std::string::npos);
  CHECK(table.out.find("GMACs") != std::string::npos);
}

TEST_CASE("verify passes on random plans and on a plan file", "[cli]") {
  const TempDir tmp;
  const Run r = run("verify --model resnet50 --random-plans 2 --seed 1 --input 3x64x64");
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(r.out.find("2 of 2 random plans within tolerance") != std::string::npos);
  const std::string plan = R"({"format": "edgeplan.plan/v1", "model": {"name": "alexnet", "input": [3, 64, 64]},
    "devices": ["a", "b"],
    "volumes": [{"layers": [0, 13], "parts": [{"device": "a", "rows": [0, 1]}]}],
    "tail": {"layers": [13, 20], "device": "b"}})";
  write(tmp / "plan.json", plan);
  const Run v = run("verify --plan " + tmp / "plan.json");
  INFO(v.out);
  CHECK(v.code == 0);
  CHECK(v.out.find("PASS") != std::string::npos);
  CHECK(v.out.find(" ms") != std::string::npos);
  const Run even = run("verify --model vgg16 --even-split 3 --input 3x32x32");
  CHECK(even.code == 0);
}

TEST_CASE("bad input gets a one-line error and a non-zero exit", "[cli]") {
  const TempDir tmp;
  write(tmp / "bad.json", "{\"format\": \"edgeplan.plan/v1\", ");
  write(tmp / "gap.json", R"({"format": "edgeplan.plan/v1", "model": {"name": "alexnet", "input": [3, 64, 64]},
    "devices": ["a"], "volumes": [{"layers": [0, 13], "parts": [{"device": "a", "rows": [0, 0]}]}],
    "tail": {"layers": [13, 20], "device": "a"}})");
  check_refused({"verify --plan " + tmp / "bad.json", "verify --plan " + tmp / "gap.json", "verify --plan missing.json",
                "verify --model nosuchnet --random-plans 1", "verify --model vgg16 --random-plans 1 --input 3x8x8",
                "verify --model vgg16", "verify --model yolov2 --even-split 2 --input 3x50x50", "models --input 3xfoo",
                "verify --model vgg16 --even-split 2 --tolerance -1"},
                true);
  CHECK(run("nosuchcommand").code != 0);
  CHECK(run("verify --help").code == 0);
}

TEST_CASE("README's test command is exactly what .ci/run runs", "[cli]") {
  const std::string readme = read_text(std::string(EDGEPLAN_SOURCE_DIR) + "/README.md");
  const std::string ci = read_text(std::string(EDGEPLAN_SOURCE_DIR) + "/.ci/run");
  const std::string::size_type at = ci.find("bash scripts/install-deps.sh");
  REQUIRE(at != std::string::npos);
  const std::string command = ci.substr(at, ci.find('\n', at) - at);
  CHECK(readme.find("\n" + command + "\n") != std::string::npos);
}

TEST_CASE("plan and simulate on a repository scenario", "[cli]") {
  const TempDir tmp;
  const std::string scenario = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/wifi-trace-drop.json";
  const Run p = run("plan --scenario " + scenario + " --planner equal -o " + tmp / "equal.json");
  INFO(p.out);
  REQUIRE(p.code == 0);
  CHECK(p.out.find("end-to-end latency") != std::string::npos);
  const Run s = run("simulate --scenario " + scenario + " --plan " + tmp / "equal.json" + " --json");
  REQUIRE(s.code == 0);
  const auto j = nlohmann::json::parse(s.out);
  CHECK(j["latency_ms"].get<double>() >= j["lower_bound_ms"].get<double>());
  CHECK(j["timeline"].size() > 0);
  CHECK(j["devices"].size() == 3);
  std::ifstream written(tmp / "equal.json");
  const auto plan = nlohmann::json::parse(written);
  CHECK(plan["predicted"]["planner"] == "equal");
  CHECK(plan["predicted"]["latency_ms"].get<double>() == Approx(j["latency_ms"].get<double>()));
}

TEST_CASE("a plan that never finishes: no hang, an explicit result, no Gantt chart and nothing written", "[cli]") {
  const TempDir tmp;
  const std::string root = EDGEPLAN_SOURCE_DIR;
  // The TX2's rate drops to 0 for good 1 ms in: every plan that sends to it after that never finishes.
  write(tmp / "dead-link.json", R"({"format": "edgeplan.scenario/v1", "name": "dead-link", "model": {"name": "alexnet"},
    "devices": [{"id": "nano-a", "profile": ")" + root + R"(/profiles/modeled/jetson-nano.json"},
                {"id": "tx2 <&\"'>", "profile": ")" + root + R"(/profiles/modeled/jetson-tx2.json"}],
    "input_device": "nano-a",
    "network": {"type": "wifi_star", "rates_mbps": 200, "latency_ms": 1.0, "overhead_ms": 0.2,
                "traces": {"tx2 <&\"'>": [[0, 200], [1, 0]]}}})");
  const std::string scenario = tmp / "dead-link.json";
  const Run g = run("plan --scenario " + scenario + " --planner equal -o " + tmp / "equal.json" + " --svg " + tmp / "g.svg");
  INFO(g.out);
  CHECK(g.code == 1);
  CHECK(lines(g.out) == 1);
  CHECK(g.out.find("never finishes") != std::string::npos);
  CHECK_FALSE(std::ifstream(tmp / "equal.json").good());
  CHECK_FALSE(std::ifstream(tmp / "g.svg").good());
  // Without a chart the plan is written and says so; simulate --json writes null, not inf.
  const Run p = run("plan --scenario " + scenario + " --planner equal -o " + tmp / "equal.json");
  INFO(p.out);
  REQUIRE(p.code == 0);
  CHECK(p.out.find("never finishes") != std::string::npos);
  const Run s = run("simulate --scenario " + scenario + " --plan " + tmp / "equal.json" + " --json");
  REQUIRE(s.code == 0);
  const auto j = nlohmann::json::parse(s.out);
  CHECK(j["latency_ms"].is_null());
  CHECK(j["finishes"] == false);
  // The single planner keeps everything on the Nano and finishes; its Gantt chart escapes the odd device id.
  const Run ok = run("plan --scenario " + scenario + " --planner single -o " + tmp / "single.json" + " --svg " + tmp / "s.svg");
  INFO(ok.out);
  REQUIRE(ok.code == 0);
  const std::string svg = read_text(tmp / "s.svg");
  CHECK(svg.find("tx2 &lt;&amp;&quot;&apos;&gt;") != std::string::npos);
  CHECK(svg.find("<&") == std::string::npos);
}

TEST_CASE("plan and simulate refuse bad input with one line and write nothing", "[cli]") {
  const TempDir tmp;
  const std::string dir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/";
  write(tmp / "other_model.json", R"({"format": "edgeplan.plan/v1", "model": {"name": "alexnet", "input": [3, 64, 64]},
    "devices": ["a"], "volumes": [{"layers": [0, 13], "parts": [{"device": "a", "rows": [0, 1]}]}],
    "tail": {"layers": [13, 20], "device": "a"}})");
  check_refused({"plan --scenario " + dir + "default.json --planner magic -o " + tmp / "never.json",
                std::string("plan --scenario nope.json --planner equal -o " + tmp / "never.json"),
                "plan --scenario " + dir + "default.json --planner equal -o /nonexistent-dir/x.json",
                "simulate --scenario " + dir + "default.json --plan " + tmp / "other_model.json",
                "simulate --scenario " + dir + "default.json --plan missing.json"});
  CHECK_FALSE(std::ifstream(tmp / "never.json").good());
  CHECK_FALSE(std::ifstream("/nonexistent-dir/x.json.tmp").good());
}

TEST_CASE("profile: quick run, check and plot, bad input refused with one line", "[cli]") {
  const TempDir tmp;
  const Run p = run("profile --model mobilenet_v2 --input 3x32x32 --quick -o " + tmp / "profile.json");
  INFO(p.out);
  REQUIRE(p.code == 0);
  CHECK(p.out.find("profiled") != std::string::npos);
  const Run c = run("profile --check " + tmp / "profile.json" + " --model mobilenet_v2 --input 3x32x32 --repetitions 3");
  INFO(c.out);
  CHECK(c.code == 0);
  CHECK(c.out.find("median |error|") != std::string::npos);
  const Run svg = run("profile --plot " + tmp / "profile.json" + " --layers conv,relu6 -o " + tmp / "curves.svg");
  INFO(svg.out);
  CHECK(svg.code == 0);
  const std::string text = read_text(tmp / "curves.svg");
  CHECK(text.rfind("<svg", 0) == 0);
  CHECK(text.find("latency (ms)") != std::string::npos);
  check_refused({"profile --device tpu --model alexnet -o " + tmp / "never.json", "profile --device cuda:1 --model alexnet -o " + tmp / "never.json",
                "profile --model alexnet --all-models -o " + tmp / "never.json", "profile --model alexnet",
                "profile --model alexnet --input 3x8x8 -o " + tmp / "never.json",
                "profile --model mobilenet_v2 --input 3x32x32 --quick -o /nonexistent-dir/p.json",
                "profile --plot " + tmp / "profile.json" + " --layers nothing-like-this -o " + tmp / "never.json",
                "profile --check missing.json --model alexnet",
                "profile --check " + std::string(EDGEPLAN_SOURCE_DIR) + "/profiles/modeled/jetson-nano.json --model alexnet"});
  CHECK_FALSE(std::ifstream(tmp / "never.json").good());
}

TEST_CASE("plan --compare prints the speedup table, --svg writes a Gantt chart", "[cli]") {
  const TempDir tmp;
  const std::string dir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/";
  const Run c = run("plan --scenario " + dir + "jetsons-1gbit.json --compare");
  INFO(c.out);
  REQUIRE(c.code == 0);
  CHECK(c.out.find("vs single") != std::string::npos);
  CHECK(c.out.find("opt") != std::string::npos);
  CHECK(c.out.find("planning ms") != std::string::npos);
  const Run g = run("plan --scenario " + dir + "jetsons-1gbit.json --planner opt -o " + tmp / "opt.json" + " --svg " + tmp / "gantt.svg");
  INFO(g.out);
  REQUIRE(g.code == 0);
  const std::string svg = read_text(tmp / "gantt.svg");
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("time (ms)") != std::string::npos);
  CHECK(run("plan --scenario " + dir + "default.json --compare --planner opt").code != 0);
  CHECK(run("plan --scenario " + dir + "default.json").code != 0);
}

TEST_CASE("bench: the quick suite passes the committed baseline, a doctored baseline fails by name", "[cli][bench]") {
  const TempDir tmp;
  const std::string root = std::string(EDGEPLAN_SOURCE_DIR);
  const Run ok = run("bench --suite " + root + "/benchmarks/suite.json --quick --check " + root +
                     "/benchmarks/baseline.json -o " + tmp / "bench.json" + " --markdown " + tmp / "bench.md");
  INFO(ok.out);
  REQUIRE(ok.code == 0);
  CHECK(ok.out.find("passed") != std::string::npos);
  std::ifstream in(tmp / "bench.json");
  auto results = nlohmann::json::parse(in);
  CHECK(results["format"] == "edgeplan.bench/v1");
  CHECK(results["scenarios"].size() >= 4);
  for (const auto& s : results["scenarios"])
    for (const auto& p : s["planners"]) {
      CHECK(p["valid"] == true);
      CHECK(p["latency_ms"].get<double>() > 0);
      CHECK(p["images_per_s"].get<double>() == Approx(1000.0 / p["latency_ms"].get<double>()));
    }
  // Doctor the baseline: opt was 10% faster on the first quick scenario than it is.
  auto doctored = results;
  std::string name;
  for (auto& p : doctored["scenarios"][0]["planners"])
    if (p["planner"] == "opt") p["speedup_vs_single"] = p["speedup_vs_single"].get<double>() * 1.1;
  name = doctored["scenarios"][0]["name"].get<std::string>();
  write(tmp / "doctored.json", doctored.dump());
  const Run bad = run("bench --suite " + root + "/benchmarks/suite.json --quick --check " + tmp / "doctored.json");
  INFO(bad.out);
  CHECK(bad.code != 0);
  CHECK(bad.out.find("REGRESSION " + name + " / opt") != std::string::npos);
  // Within the tolerance it passes.
  const Run loose = run("bench --suite " + root + "/benchmarks/suite.json --quick --check " + tmp / "doctored.json" + " --tolerance 0.2");
  CHECK(loose.code == 0);
  // A baseline that compares nothing fails; a broken one is named.
  write(tmp / "empty.json", R"({"format": "edgeplan.bench/v1", "scenarios": []})");
  const Run empty = run("bench --suite " + root + "/benchmarks/suite.json --quick --check " + tmp / "empty.json");
  CHECK(empty.code != 0);
  CHECK(empty.out.find("nothing was compared") != std::string::npos);
  write(tmp / "broken.json", "{\"format\": ");
  const Run broken = run("bench --suite " + root + "/benchmarks/suite.json --quick --check " + tmp / "broken.json");
  CHECK(broken.code != 0);
  CHECK(lines(broken.out) == 1);
  CHECK(broken.out.find(tmp / "broken.json") != std::string::npos);
  // Settings in a planner's name do not hide it from the baseline's row of the same planner.
  const Run spec = run("bench --suite " + root + "/benchmarks/suite.json --quick --planners single,opt:restarts=0 --check " + root +
                       "/benchmarks/baseline.json --tolerance 0.5");
  INFO(spec.out);
  CHECK(spec.code == 0);
  write(tmp / "suite.json", R"({"format": "edgeplan.suite/v1", "planners": ["magic"], "scenarios": []})");
  const Run unknown = run("bench --suite " + tmp / "suite.json");
  CHECK(unknown.code != 0);
  CHECK(lines(unknown.out) == 1);
  CHECK(unknown.out.find(tmp / "suite.json") != std::string::npos);
}

TEST_CASE("train: writes the policy, the best plan and the learning curve, resumes", "[cli][distredge]") {
  const TempDir tmp;
  const std::string scenario = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/jetsons-1gbit.json";
  const Run r = run("train --scenario " + scenario + " --episodes 12 --seed 3 -o " + tmp / "policy.pt" + " --plan-out " + tmp / "train_plan.json" + " "
                    "--curve-svg " + tmp / "curve.svg");
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("trained 12 episodes") != std::string::npos);
  // One line per threshold, and it agrees with the best/opt ratio train printed.
  const double ratio = std::stod(r.out.substr(r.out.find("(ratio ") + 7));
  for (int pct : {10, 5, 1}) {
    const std::string head = "within " + std::to_string(pct) + "% of opt";
    const bool reached = r.out.find(head + " after ") != std::string::npos;
    const bool missed = r.out.find(head + ": not reached") != std::string::npos;
    INFO(head << " ratio " << ratio);
    CHECK(reached != missed);
    CHECK(reached == (ratio <= 1 + pct / 100.0));
  }
  CHECK(std::ifstream(tmp / "policy.pt").good());
  CHECK(std::ifstream(tmp / "curve.svg").good());
  // The plan replays on the scenario at the latency train reported as best.
  const Run s = run("simulate --scenario " + scenario + " --plan " + tmp / "train_plan.json" + " --json");
  REQUIRE(s.code == 0);
  const double best = std::stod(r.out.substr(r.out.find("best ") + 5));
  CHECK(nlohmann::json::parse(s.out)["latency_ms"].get<double>() == Approx(best).epsilon(1e-5));
  const Run resumed = run("train --scenario " + scenario + " --episodes 3 --no-demos --resume " + tmp / "policy.pt" + " -o " + tmp / "policy.pt");
  INFO(resumed.out);
  CHECK(resumed.code == 0);
  CHECK(resumed.out.find("trained 3 episodes") != std::string::npos);
}

TEST_CASE("train and distredge settings: bad values get one line", "[cli][distredge]") {
  const TempDir tmp;
  const std::string scenario = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/default.json";
  check_refused({"train --scenario " + scenario + " --episodes 0 -o " + tmp / "never.pt",
                "train --scenario " + scenario + " --alpha 1.5 -o " + tmp / "never.pt",
                "train --scenario " + scenario + " --noise-var -3 -o " + tmp / "never.pt",
                "train --scenario " + scenario + " --tau 0 -o " + tmp / "never.pt",
                "train --scenario " + scenario + " --threads 0 -o " + tmp / "never.pt",
                "train --scenario " + scenario + " --episodes 5 --resume missing.pt -o " + tmp / "never.pt",
                "plan --scenario " + scenario + " --planner distredge:episodes=x -o " + tmp / "never.pt",
                "plan --scenario " + scenario + " --planner distredge:speed=9 -o " + tmp / "never.pt",
                "plan --scenario " + scenario + " --planner opt:episodes=5 -o " + tmp / "never.pt",
                "plan --scenario " + scenario + " --planner single:x=1 -o " + tmp / "never.pt"});
  CHECK_FALSE(std::ifstream(tmp / "never.pt").good());
}

TEST_CASE("plan --planner distredge:... takes DistrEdge's settings", "[cli][distredge]") {
  const TempDir tmp;
  const std::string scenario = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/default.json";
  const Run r = run("plan --scenario " + scenario + " --planner distredge:episodes=8:budget_s=0:seed=2:demos=0 -o " + tmp / "distredge.json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto plan = nlohmann::json::parse(std::ifstream(tmp / "distredge.json"));
  CHECK(plan["predicted"]["planner"] == "distredge");
  CHECK(plan["predicted"]["settings"]["episodes"] == 8);
  CHECK(plan["predicted"]["settings"]["seed"] == 2);
  CHECK(plan["predicted"]["settings"]["demonstrations"] == false);
}

TEST_CASE("plan --start: opt refines a given plan, a plan for another scenario is refused", "[cli]") {
  const TempDir tmp;
  const std::string dir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/";
  REQUIRE(run("plan --scenario " + dir + "jetsons-1gbit.json --planner equal -o " + tmp / "start.json").code == 0);
  const Run r = run("plan --scenario " + dir + "jetsons-1gbit.json --planner opt:restarts=0 --start " + tmp / "start.json" + " -o " + tmp / "refined.json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto latency = [](const std::string& f) { return nlohmann::json::parse(std::ifstream(f))["predicted"]["latency_ms"].get<double>(); };
  CHECK(latency(tmp / "refined.json") <= latency(tmp / "start.json"));
  check_refused({"plan --scenario " + dir + "ethernet-switched.json --planner opt --start " + tmp / "start.json" + " -o " + tmp / "never.json",
                "plan --scenario " + dir + "jetsons-1gbit.json --planner equal --start " + tmp / "start.json" + " -o " + tmp / "never.json",
                "plan --scenario " + dir + "jetsons-1gbit.json --planner opt --start missing.json -o " + tmp / "never.json",
                "plan --scenario " + dir + "jetsons-1gbit.json --compare --start " + tmp / "start.json"});
  CHECK_FALSE(std::ifstream(tmp / "never.json").good());
}

TEST_CASE("export, infer and --model FILE.onnx: a plan of an imported model, bad input refused with one line", "[cli][onnx]") {
  const TempDir tmp;
  const std::string onnx = tmp / "res.onnx";
  const Run e = run("export --model resnet18 --input 3x64x64 -o " + onnx);
  INFO(e.out);
  REQUIRE(e.code == 0);
  CHECK(e.out.find("MB (opset 14)") != std::string::npos);
  const Run m = run("models --model " + onnx + " --layers");
  REQUIRE(m.code == 0);
  CHECK(m.out.find("res 3x64x64: 69 layers (66 spatial)") != std::string::npos);
  CHECK(m.out.find("global_avgpool") != std::string::npos);

  // The same image through the zoo model and its ONNX export: the same output bytes.
  REQUIRE(run("infer --model resnet18 --input 3x64x64 --save-image " + tmp / "img.f32" + " -o " + tmp / "zoo.f32").code == 0);
  const Run i = run("infer --model " + onnx + " --image " + tmp / "img.f32" + " -o " + tmp / "onnx.f32");
  INFO(i.out);
  REQUIRE(i.code == 0);
  CHECK(read_text(tmp / "zoo.f32") == read_text(tmp / "onnx.f32"));
  CHECK(read_text(tmp / "onnx.f32").size() == 1000 * 4);

  const std::string scenario = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/default.json";
  const Run p = run("plan --scenario " + scenario + " --model " + onnx + " --planner opt -o " + tmp / "plan.json");
  INFO(p.out);
  REQUIRE(p.code == 0);
  CHECK(read_text(tmp / "plan.json").find("\"sha256\"") != std::string::npos);
  CHECK(run("verify --plan " + tmp / "plan.json").code == 0);
  CHECK(run("simulate --scenario " + scenario + " --model " + onnx + " --plan " + tmp / "plan.json").code == 0);
  const Run x = run("export --plan " + tmp / "plan.json" + " --scenario " + scenario + " -o " + tmp / "parts/");
  INFO(x.out);
  REQUIRE(x.code == 0);
  CHECK(read_text(tmp / "parts/manifest.json").find("edgeplan.onnx-parts/v1") != std::string::npos);
  CHECK(std::ifstream(tmp / "parts/tail.onnx").good());
  check_refused({"export --plan " + tmp / "plan.json" + " -o " + tmp / "parts", "export --plan " + tmp / "plan.json" + " --model resnet18 -o " + tmp / "p2",
                 "export -o " + tmp / "p3"});
  // The zoo model at the same size is another model: its scenario refuses the plan.
  CHECK(run("simulate --scenario " + scenario + " --model resnet18 --input 3x64x64 --plan " + tmp / "plan.json").code != 0);
  // bench: a suite whose scenario names the ONNX file (relative to the scenario).
  auto scn = nlohmann::json::parse(read_text(scenario));
  scn["model"] = {{"onnx", "res.onnx"}};
  for (auto& d : scn["devices"])
    if (d.contains("profile")) d["profile"] = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/" + d["profile"].get<std::string>();
  write(tmp / "onnx-scenario.json", scn.dump());
  write(tmp / "onnx-suite.json", R"({"format": "edgeplan.suite/v1", "planners": ["single", "opt"],
      "scenarios": [{"scenario": "onnx-scenario.json", "group": "onnx", "quick": true}]})");
  const Run b = run("bench --suite " + tmp / "onnx-suite.json" + " -o " + tmp / "bench.json");
  INFO(b.out);
  CHECK(b.code == 0);
  const auto bench = nlohmann::json::parse(read_text(tmp / "bench.json"));
  CHECK(bench["scenarios"][0]["model"] == "res 3x64x64");
  CHECK(bench["scenarios"][0]["model_sha256"].get<std::string>().size() == 64);

  write(tmp / "short.f32", "abcd");
  write(tmp / "bad.onnx", "not a model");
  check_refused({"export --model alexnet --format tflite -o " + tmp / "x.onnx", "export --model alexnet --input 3x67x67 -o " + tmp / "x.onnx",
                 "infer --model " + onnx + " --image " + tmp / "short.f32" + " -o " + tmp / "o.f32",
                 "infer --model " + tmp / "bad.onnx" + " -o " + tmp / "o.f32", "models --model " + tmp / "missing.onnx",
                 "verify --model " + tmp / "bad.onnx" + " --random-plans 1"},
                true);
  CHECK_FALSE(std::ifstream(tmp / "x.onnx").good());
  CHECK_FALSE(std::ifstream(tmp / "o.f32").good());
}

TEST_CASE("replan: after an event and along a trace, never slower than the plan kept", "[cli][replan]") {
  const TempDir tmp;
  const std::string dir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/tiered/";
  const std::string scenario = dir + "vgg16-e4-lan1000-bb50.json";
  REQUIRE(run("plan --scenario " + scenario + " --planner d3 -o " + tmp / "d3.json").code == 0);
  const Run e = run("replan --scenario " + scenario + " --plan " + tmp / "d3.json" +
                    " --event bandwidth:edge-cloud=5 --full d3 -o " + tmp / "new.json" + " --json " + tmp / "event.json");
  INFO(e.out);
  REQUIRE(e.code == 0);
  CHECK(e.out.find("backbone (tiers 1-2) 50 -> 5 Mbit/s") != std::string::npos);
  const auto ej = nlohmann::json::parse(read_text(tmp / "event.json"));
  CHECK(ej["format"] == "edgeplan.replan/v1");
  CHECK(ej["steps"][0]["readjusted_ms"].get<double>() <= ej["steps"][0]["kept_ms"].get<double>());
  const Run s = run("simulate --scenario " + scenario + " --plan " + tmp / "new.json");
  CHECK(s.code == 0);
  // A trace: every step's re-adjusted plan at least as fast as the plan kept and as the one in force.
  const Run t = run("replan --scenario " + dir + "resnet50-e4-trace.json --trace --full d3 --json " + tmp / "trace.json" + " --svg " +
                    tmp / "trace.svg");
  INFO(t.out);
  REQUIRE(t.code == 0);
  const auto tj = nlohmann::json::parse(read_text(tmp / "trace.json"));
  REQUIRE(tj["steps"].size() == 8);
  for (const auto& st : tj["steps"]) {
    CHECK(st["readjusted_ms"].get<double>() <= st["kept_ms"].get<double>() + 1e-9);
    CHECK(st["readjusted_ms"].get<double>() <= st["previous_ms"].get<double>() + 1e-9);
  }
  CHECK(read_text(tmp / "trace.svg").find("<svg") == 0);
  // A gone edge node: the plan comes back without it.
  const Run g = run("replan --scenario " + dir + "yolov2-e4-lan1000-bb50.json --event gone:edge-0 --event slow:edge-1=2 --full \"\" -o " +
                    tmp / "gone.json");
  INFO(g.out);
  REQUIRE(g.code == 0);
  CHECK(read_text(tmp / "gone.json").find("\"edge-0\"") == std::string::npos);
}

TEST_CASE("replan and d3 refuse bad input with one line and write nothing", "[cli][replan]") {
  const TempDir tmp;
  const std::string dir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/";
  const std::string tiered = dir + "tiered/alexnet-e2-lan1000-bb50.json";
  REQUIRE(run("plan --scenario " + tiered + " --planner equal -o " + tmp / "equal.json").code == 0);
  check_refused({"replan --scenario " + tiered,
                 "replan --scenario " + tiered + " --event bandwidth:edge-cloud",
                 "replan --scenario " + tiered + " --event speed:edge-0=2",
                 "replan --scenario " + tiered + " --event gone:pi4 -o " + tmp / "x.json",
                 "replan --scenario " + tiered + " --event gone:nobody -o " + tmp / "x.json",
                 "replan --scenario " + tiered + " --event bandwidth:edge-cloud=5 --full nosuch -o " + tmp / "x.json",
                 "replan --scenario " + tiered + " --trace -o " + tmp / "x.json",
                 "replan --scenario " + tiered + " --plan " + tmp / "equal.json" + " --event bandwidth:edge-cloud=5 -o " + tmp / "x.json",
                 "replan --scenario " + dir + "default.json --event bandwidth:edge-cloud=5 -o " + tmp / "x.json",
                 "plan --scenario " + dir + "default.json --planner d3 -o " + tmp / "x.json",
                 "plan --scenario " + tiered + " --planner d3:search=greedy -o " + tmp / "x.json"},
                true);
  check_refused({"replan --scenario " + tiered + " --event bandwidth:edge-cloud=5 --svg " + tmp / "x.svg"});
  CHECK_FALSE(std::ifstream(tmp / "x.json").good());
  CHECK_FALSE(std::ifstream(tmp / "x.svg").good());
}

TEST_CASE("train-exits: a quick run writes an ONNX backbone and its heads, bad input gets one line", "[cli][exits]") {
  const TempDir tmp;
  if (!std::ifstream("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").good() && !std::getenv("EDGEPLAN_FASHION_MNIST_DIR")) {
    WARN("SKIPPED: Fashion-MNIST is not installed (scripts/install-deps.sh installs dataset-fashion-mnist)");
    return;
  }
  const Run t = run("train-exits --model vgg-fm --epochs 1 --train-images 256 --validation-images 500 --threads 1 -o " + tmp / "fm");
  INFO(t.out);
  REQUIRE(t.code == 0);
  CHECK(t.out.find("exit1") != std::string::npos);
  const auto j = nlohmann::json::parse(read_text(tmp / "fm/exits.json"));
  CHECK(j["format"] == "edgeplan.exits/v1");
  CHECK(j["exits"].size() == 2);
  CHECK(j["exits"][0]["weight"].size() == 10 * 16);
  CHECK(j["test_accuracy"].size() == 3);
  CHECK(j["training"]["command"].get<std::string>().find("--seed 1") != std::string::npos);
  const Run m = run("models --model " + tmp / "fm/model.onnx");
  CHECK(m.code == 0);
  CHECK(m.out.find("1x28x28") != std::string::npos);
  check_refused({"train-exits --model vgg16 -o " + tmp / "x",
                 "train-exits --data cifar10 -o " + tmp / "x",
                 "train-exits --exit-weights 1,abc -o " + tmp / "x",
                 "train-exits --exit-weights 1 --train-images 64 -o " + tmp / "x",
                 "train-exits --epochs 0 -o " + tmp / "x"},
                true);
  // A data folder without Fashion-MNIST's files: one line naming the file.
  const std::string env = "EDGEPLAN_FASHION_MNIST_DIR=" + tmp.path() + " ";
  const std::string cmd = env + "timeout 60 " + std::string(EDGEPLAN_BIN) + " train-exits -o " + tmp / "z" + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe)) out += buf;
  CHECK(pclose(pipe) != 0);
  CHECK(lines(out) == 1);
  CHECK(out.find(tmp.path() + "/train-images-idx3-ubyte.gz") != std::string::npos);
  CHECK_FALSE(std::ifstream(tmp / "x/model.onnx").good());
  CHECK_FALSE(std::ifstream(tmp / "z/model.onnx").good());
}

TEST_CASE("exit-policy: a deadline, an accuracy floor and the trade-off curve from the committed calibration, bad input refused", "[cli][exits]") {
  const TempDir tmp;
  const std::string root = std::string(EDGEPLAN_SOURCE_DIR) + "/";
  const std::string scenario = root + "benchmarks/scenarios/exits/vgg-fm-pi3-nano.json";
  const std::string cal = root + "benchmarks/exits/vgg-fm/calibration.json";
  REQUIRE(run("plan --scenario " + scenario + " --planner opt:restarts=0 -o " + tmp / "plan.json").code == 0);
  const std::string base = "exit-policy --scenario " + scenario + " --plan " + tmp / "plan.json" + " --calibration " + cal;
  const Run d = run(base + " --deadline-ms 1.5 --slowdown 1.3");
  INFO(d.out);
  REQUIRE(d.code == 0);
  CHECK(d.out.find("deadline hit 100.00%") != std::string::npos);
  CHECK(d.out.find("run-time rule") != std::string::npos);
  const Run a = run(base + " --min-accuracy 0.88 --curve " + tmp / "curve.svg");
  INFO(a.out);
  REQUIRE(a.code == 0);
  CHECK(read_text(tmp / "curve.svg").find("<svg") == 0);
  check_refused({base + " --deadline-ms 0.01", base + " --min-accuracy 0.999", base,
                 "exit-policy --scenario " + scenario + " --plan " + tmp / "plan.json" + " --calibration " + root +
                     "benchmarks/exits/resnet-fm/calibration.json --deadline-ms 5",
                 "exit-policy --scenario " + root + "benchmarks/scenarios/default.json --plan " + tmp / "plan.json" + " --calibration " + cal +
                     " --deadline-ms 5",
                 base + " --deadline-ms 5 --slowdown -1"},
                true);
  check_refused({base + " --deadline-ms 5 --min-accuracy 0.8"});
}

TEST_CASE("exit-policy -o and --joint write plans with exits that run-exits runs on test images, bad input refused", "[cli][exits]") {
  const TempDir tmp;
  const std::string root = std::string(EDGEPLAN_SOURCE_DIR) + "/";
  const std::string scenario = root + "benchmarks/scenarios/exits/vgg-fm-pi3-nano.json";
  const std::string cal = root + "benchmarks/exits/vgg-fm/calibration.json";
  REQUIRE(run("plan --scenario " + scenario + " --planner opt:restarts=0 -o " + tmp / "plan.json").code == 0);
  const Run p = run("exit-policy --scenario " + scenario + " --plan " + tmp / "plan.json" + " --calibration " + cal + " --min-accuracy 0.88 -o " + tmp / "exits.json");
  INFO(p.out);
  REQUIRE(p.code == 0);
  const auto j = nlohmann::json::parse(read_text(tmp / "exits.json"));
  CHECK(j["exits"]["format"] == "edgeplan.plan-exits/v1");
  CHECK(j["exits"]["exits"].size() == 2);
  const Run joint = run("exit-policy --scenario " + scenario + " --joint --calibration " + cal + " --deadline-ms 2.5 -o " + tmp / "joint.json");
  INFO(joint.out);
  REQUIRE(joint.code == 0);
  CHECK(joint.out.find("<- chosen") != std::string::npos);
  CHECK(joint.out.find("neurosurgeon") != std::string::npos);
  CHECK(nlohmann::json::parse(read_text(tmp / "joint.json"))["exits"]["deadline_ms"] == 2.5);
  // A scenario on the zoo model (seeded weights) cannot carry the trained heads.
  write(tmp / "zoo.json", R"({"format": "edgeplan.scenario/v1", "name": "zoo", "model": {"name": "vgg-fm"},
    "devices": [{"id": "pi3", "profile": ")" + root + R"(profiles/modeled/raspberry-pi-3.json"}, {"id": "nano", "profile": ")" + root +
                                R"(profiles/modeled/jetson-nano.json"}],
    "network": {"type": "switched", "rates_mbps": 100}})");
  REQUIRE(run("plan --scenario " + tmp / "zoo.json" + " --planner single -o " + tmp / "zoo-plan.json").code == 0);
  check_refused({"exit-policy --scenario " + tmp / "zoo.json" + " --plan " + tmp / "zoo-plan.json" + " --calibration " + cal + " --min-accuracy 0.88 -o " + tmp / "x.json",
                 "exit-policy --scenario " + scenario + " --joint --calibration " + cal + " --curve " + tmp / "c.svg",
                 "exit-policy --scenario " + scenario + " --joint --calibration " + cal + " --deadline-ms 0.01",
                 "exit-policy --scenario " + scenario + " --calibration " + cal + " --deadline-ms 2",
                 "run-exits --plan " + tmp / "plan.json",
                 "run-exits --plan " + tmp / "exits.json --images -3",
                 "run-exits --plan " + tmp / "exits.json --data /nonexistent/fm"},
                true);
  CHECK_FALSE(std::ifstream(tmp / "x.json").good());
  const Run sim = run("simulate --scenario " + scenario + " --plan " + tmp / "exits.json");
  CHECK(sim.code == 0);
  CHECK(sim.out.find("exit-free") != std::string::npos);
  if (!std::ifstream("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").good() && !std::getenv("EDGEPLAN_FASHION_MNIST_DIR")) {
    WARN("SKIPPED: Fashion-MNIST is not installed (scripts/install-deps.sh installs dataset-fashion-mnist)");
    return;
  }
  const Run r = run("run-exits --plan " + tmp / "exits.json" + " --scenario " + scenario + " --calibration " + cal + " --images 300");
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("agreement with the trainer's recorded predictions: 300 of 300 images") != std::string::npos);
  CHECK(r.out.find("computation saved") != std::string::npos);
  CHECK(r.out.find("expected") != std::string::npos);
}

TEST_CASE("replay --backend cuda runs a plan on the GPU, or says in one line why it cannot", "[cli]") {
  const TempDir tmp;
  const std::string dir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/";
  REQUIRE(run("plan --scenario " + dir + "default.json --planner equal -o " + tmp / "plan.json").code == 0);
  const Run r = run("replay --backend cuda --plan " + tmp / "plan.json" + " --repeat 3 -o " + tmp / "cuda.json");
  INFO(r.out);
  if (r.code != 0) {  // no GPU, or a build without EDGEPLAN_CUDA
    CHECK(lines(r.out) == 1);
    CHECK(r.out.find("CUDA backend") != std::string::npos);
    CHECK_FALSE(std::ifstream(tmp / "cuda.json").good());
  } else {
    CHECK(r.out.find("latency over 3 runs") != std::string::npos);
    const auto j = nlohmann::json::parse(std::ifstream(tmp / "cuda.json"));
    CHECK(j["max_rel_error"].get<double>() <= j["tolerance"].get<double>());
  }
  check_refused({"replay --backend tpu --plan " + tmp / "plan.json", "replay --plan " + tmp / "plan.json",
                 "replay --scenario " + dir + "default.json --plan " + tmp / "plan.json" + " --cudnn-find",
                 "replay --backend cuda --plan " + tmp / "plan.json" + " --svg " + tmp / "x.svg",
                 "replay --backend cuda --plan " + tmp / "plan.json" + " --precision fp8",
                 "replay --scenario " + dir + "default.json --plan " + tmp / "plan.json" + " --precision fp16"},
                true);
}
