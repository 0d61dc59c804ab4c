// `edgeplan calibrate-network`: measure the emulated links of a scenario and write a copy of
// it whose network block holds the measured rates, latency and per-message overhead.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/jsonio/fields.h"
#include "edgeplan/replay/calibration.h"
#include "edgeplan/replay/launcher.h"
#include "edgeplan/replay/network_emulation.h"

namespace edgeplan::cli {

namespace {

namespace fs = std::filesystem;
namespace jio = edgeplan::jsonio;
using nlohmann::json;

std::string utc_now() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

struct Args {
  std::string scenario, output, from_replay;
  int repeat = 3;
};

// A JSON file through the loaders' shared readers (one-line errors), named in any error.
json read_json_file(const std::string& path, const char* what) {
  const std::string text = jio::read_file<Error>(path, what);
  try {
    return jio::parse_text<Error>(text);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

// The scenario as JSON with profile paths valid from the output's folder.
json relocated_scenario(const std::string& scenario, const std::string& output) {
  json j = read_json_file(scenario, "scenario");
  const fs::path out_dir = fs::absolute(fs::path(output)).parent_path();
  const fs::path in_dir = fs::absolute(fs::path(scenario)).parent_path();
  for (json& d : j["devices"]) {
    if (!d.contains("profile")) continue;  // a node that does not compute
    const fs::path p = d["profile"].get<std::string>();
    d["profile"] = fs::relative(fs::weakly_canonical(p.is_absolute() ? p : in_dir / p), out_dir).string();
  }
  return j;
}

// --from-replay: the per-message overhead a replay of this scenario measured through its own
// messaging path (ranks computing, the MPI thread handing messages over) replaces the one in
// the scenario; everything else stays.
int calibrate_from_replay(const Args& a, const Scenario& s) {
  const json r = read_json_file(a.from_replay, "replay report");
  if (!r.is_object() || r.value("format", "") != "edgeplan.replay/v1") throw Error(a.from_replay + ": not an edgeplan.replay/v1 report");
  const std::string predicted_with = r.contains("network") && r["network"].is_object() ? r["network"].value("scenario", "") : "";
  if (predicted_with != s.network_summary)
    throw Error(a.from_replay + ": replayed a network other than " + a.scenario + "'s ('" + predicted_with + "' vs '" + s.network_summary + "')");
  if (r["network"].value("mode", "") != "emulate")
    throw Error(a.from_replay + ": that replay ran over unshaped loopback, not the scenario's links; replay with --network emulate");
  const json m = r.value("messages", json(nullptr));
  if (!m.is_object() || !m.contains("fixed_ms") || !m["fixed_ms"].is_object() || !m["fixed_ms"].contains("mean") ||
      !m["fixed_ms"]["mean"].is_number())
    throw Error(a.from_replay + ": the replay measured no transfer alone on its links (replay a plan with transfers, e.g. opt or equal)");
  if (s.network.topology() != Topology::Switched && s.network.topology() != Topology::WifiStar)
    throw Error("calibrate-network --from-replay: switched and wifi_star networks only (one latency for every link)");
  // The mean, not the median: a plan pays the sum of its messages, the slow tail included
  // (docs/replay.md measured the median 2-4x below what predictions need).
  const double fixed = m["fixed_ms"]["mean"].get<double>();
  const int isolated = m.value("isolated", 0);
  json j = relocated_scenario(a.scenario, a.output);
  json& net = j["network"];
  const double latency = net.value("latency_ms", 0.0);
  const double before = net.value("overhead_ms", 0.0);
  const double overhead = std::max(0.0, fixed - latency);
  net["overhead_ms"] = std::round(overhead * 1e4) / 1e4;
  json& cal = net["calibration"];
  if (!cal.is_object()) cal = json::object();
  char method[320];
  std::snprintf(method, sizeof method,
                "edgeplan calibrate-network --from-replay: mean of %d transfers alone on their links in a replay of %s "
                "(%.4f ms each beyond their bytes) less the latency %.4f ms",
                isolated, r.value("plan", std::string("?")).c_str(), fixed, latency);
  cal["overhead_method"] = method;
  cal["date"] = utc_now();
  write_file_atomic(a.output, j.dump(2) + "\n");
  (void)load_scenario_file(a.output);  // what we wrote must load
  std::printf("per-message overhead %.4f ms -> %.4f ms (%d isolated transfers of %s: mean %.4f ms beyond their bytes, latency %.4f ms)\n",
              before, overhead, isolated, a.from_replay.c_str(), fixed, latency);
  std::printf("wrote %s\n", a.output.c_str());
  return 0;
}

int cmd_calibrate(const Args& a) {
  const Scenario s = load_scenario_file(a.scenario);
  if (!a.from_replay.empty()) return calibrate_from_replay(a, s);
  if (s.devices.size() < 2) throw Error("calibrate-network needs at least two devices");
  std::vector<int> every(s.devices.size());
  for (std::size_t d = 0; d < every.size(); ++d) every[d] = static_cast<int>(d);
  const std::vector<double> rates = emulated_rates(s, every, "calibrate-network");  // bad networks refused before anything runs
  std::string why;
  if (!NetworkEmulation::permitted(&why)) throw Error("calibrate-network shapes links in network namespaces, not permitted here: " + why);
  ReplayJob job;
  job.devices = s.device_ids();
  job.self_exe = self_exe();
  job.emulate = true;
  job.rates_mbps = rates;
  job.calibrate_bytes = calibration_sizes(*std::min_element(rates.begin(), rates.end()));
  job.repeat = a.repeat;
  job.stall_timeout_s = 600;
  job.timeout_s = 120 + static_cast<double>(job.devices.size() * job.devices.size()) * (a.repeat + 1) * 2.0;
  const JobResult r = run_replay_job(job);
  std::vector<PairMeasurement> all;
  for (const std::string& text : r.calibrations)
    for (PairMeasurement& m : parse_pair_measurements(text)) all.push_back(std::move(m));
  const NetworkCalibration c = calibrate(job.devices, all);

  std::printf("calibrated %zu links of %s (%s)\n", c.pairs.size(), a.scenario.c_str(), r.network.c_str());
  std::printf("%-14s %-14s %12s %14s\n", "from", "to", "rate Mbit/s", "fixed ms");
  for (const PairFit& p : c.pairs) std::printf("%-14s %-14s %12.2f %14.3f\n", p.from.c_str(), p.to.c_str(), p.mbps, p.fixed_ms);
  std::printf("one-way latency %.3f ms (half the median 1-byte round trip), per-message overhead %.3f ms\n", c.latency_ms, c.overhead_ms);

  // The copy: same scenario, measured network, profile paths valid from the output's folder.
  json j = relocated_scenario(a.scenario, a.output);
  json measured = json::object(), links = json::object(), pairs = json::array();
  for (std::size_t d = 0; d < job.devices.size(); ++d) {
    measured[job.devices[d]] = std::round(c.device_mbps[d] * 1000) / 1000;
    links[job.devices[d]] = job.rates_mbps[d];
  }
  for (const PairFit& p : c.pairs) pairs.push_back({{"from", p.from}, {"to", p.to}, {"mbps", p.mbps}, {"fixed_ms", p.fixed_ms}});
  json& net = j["network"];
  net["rates_mbps"] = measured;
  net["latency_ms"] = std::round(c.latency_ms * 1e4) / 1e4;
  net["overhead_ms"] = std::round(c.overhead_ms * 1e4) / 1e4;
  net["calibration"] = {{"link_rates_mbps", links},
                        {"method", "edgeplan calibrate-network: MPI ping-pong over tbf-shaped veth links, message sizes " +
                                       std::to_string(job.calibrate_bytes.front()) + ".." + std::to_string(job.calibrate_bytes.back()) +
                                       " B, median of " + std::to_string(a.repeat) + " per size; rate and fixed time by least squares"},
                        {"date", utc_now()},
                        {"pairs", pairs}};
  write_file_atomic(a.output, j.dump(2) + "\n");
  (void)load_scenario_file(a.output);  // what we wrote must load
  std::printf("wrote %s\n", a.output.c_str());
  return 0;
}

}  // namespace

Runner add_calibrate_network(CLI::App& app) {
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("calibrate-network",
                                     "Measure the scenario's emulated links (rate, latency, per-message overhead) and write a calibrated copy");
  cmd->add_option("--scenario", a->scenario, "Scenario file (switched or wifi_star network)")->required();
  cmd->add_option("-o,--output", a->output, "Calibrated scenario to write")->required();
  cmd->add_option("--repeat", a->repeat, "Exchanges per message size (median kept; default 3)")->check(CLI::Range(1, 50));
  cmd->add_option("--from-replay", a->from_replay,
                  "Instead of measuring links: take the per-message overhead a replay report of this scenario measured "
                  "(transfers alone on their links, while ranks compute) and write the scenario with it");
  return [a] { return cmd_calibrate(*a); };
}

}  // namespace edgeplan::cli
