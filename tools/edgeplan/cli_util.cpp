// Atomic file output for the CLI.
#include "cli_util.h"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include <nlohmann/json.hpp>

#include "edgeplan/compute/machine.h"
#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/onnx/onnx_model.h"
#include "edgeplan/jsonio/atomic_file.h"
#include "edgeplan/model/error.h"
#include "edgeplan/plan/plan.h"
#include "edgeplan/strategy/planner_spec.h"

namespace edgeplan::cli {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    if (comma > pos) out.push_back(text.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

Scenario load_scenario_with_model(const std::string& path, const std::string& model, const std::string& input) {
  Scenario s = load_scenario_file(path);
  if (!model.empty()) s.graph = load_model(model, optional_shape(input));
  else if (!input.empty()) s.graph = load_model(s.graph.origin().empty() ? s.graph.name() : s.graph.origin().onnx_path, optional_shape(input));
  return s;
}

void write_file_atomic(const std::string& path, const std::string& text) { jsonio::write_file_atomic<Error>(path, text); }

void check_plan_for(const Plan& plan, const Scenario& s, const std::string& what) {
  if (plan.model != s.graph.name() || plan.input != s.graph.input_shape())
    throw Error(what + ": plan is for " + plan.model + " " + to_string(plan.input) + " but the scenario runs " +
                s.graph.name() + " " + to_string(s.graph.input_shape()));
  validate_plan(plan, s.graph);  // parts and tail name only the plan's own devices
  const std::vector<std::string> ids = s.device_ids();
  for (const std::string& d : plan.devices)  // the simulator's rule, checked before planning starts
    if (std::find(ids.begin(), ids.end(), d) == ids.end())
      throw Error(what + ": plan device '" + d + "' is not a device of the scenario");
}

}  // namespace edgeplan::cli

namespace edgeplan::cli {

std::string self_exe() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw Error("cannot find the edgeplan binary (/proc/self/exe)");
  return std::string(buf, static_cast<std::size_t>(n));
}

std::vector<double> emulated_rates(const Scenario& s, const std::vector<int>& scenario_index, const std::string& what) {
  const NetworkModel& n = s.network;
  if (n.topology() != Topology::Switched && n.topology() != Topology::WifiStar)
    throw Error(what + " reproduces switched and wifi_star networks (one rate per device); this scenario's is " +
                to_string(n.topology()) + " (use --network loopback, or a switched scenario with the same rates)");
  if (n.has_traces()) throw Error(what + " cannot replay bandwidth traces (tbf rates are fixed); remove the trace");
  if (n.device_count() > 1 && n.route(0, 1).two_hops)
    throw Error(what + " cannot reproduce a shared Wi-Fi channel (one tbf per device is not one medium); use a switched scenario");
  if (n.channel_mbps() > 0)
    throw Error(what + " cannot reproduce a Wi-Fi channel's capacity (one tbf per device is not one medium); remove channel_mbps or use a switched scenario");
  std::vector<double> rates;  // a calibrated scenario names the tbf rates its measured ones came through
  for (int d : scenario_index)
    rates.push_back(s.link_rates_mbps.empty() ? n.rate_at(d, 0) : s.link_rates_mbps[static_cast<std::size_t>(d)]);
  return rates;
}

std::string scenario_summary(const Scenario& s) {
  const std::size_t others = s.devices.size() - static_cast<std::size_t>(s.compute_devices);
  std::string out = s.name + ": " + s.graph.name() + " " + to_string(s.graph.input_shape()) + " on " +
                    std::to_string(s.compute_devices) + (s.compute_devices == 1 ? " device" : " devices");
  if (others) out += " and " + std::to_string(others) + (others == 1 ? " node that does" : " nodes that do") + " not compute";
  return out + ", " + s.elements.summary() + ", " + s.network_summary;
}

// What really ran: our planners are single-threaded; libtorch and its BLAS are used only by
// distredge, which holds both to one thread while it trains (the BLAS's own pool size is
// recorded as loaded). Every planner ran once per scenario: one planning-time sample each.
std::string planning_provenance(const std::vector<std::string>& planners) {
  const MachineInfo m = describe_machine();
  const std::time_t t = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  bool learned = false;
  for (const auto& p : planners) learned = learned || planner_base_name(p) == "distredge";
  nlohmann::json threads = {{"planners", 1}};
  if (learned) threads["distredge_libtorch_and_blas"] = 1;
  return nlohmann::json{{"machine", m.machine},
                        {"cpu", m.cpu},
                        {"threads", threads},
                        {"libraries", {{"libtorch", m.libtorch}, {"compiler", m.compiler}, {"blas", m.blas}}},
                        {"planning_runs_per_scenario_and_planner", 1},
                        {"date", date},
                        {"note", "latencies are simulated (deterministic); planning times are one measured run per "
                                 "planner and scenario on this machine"}}
      .dump();
}


}  // namespace edgeplan::cli
