// ip / tc calls (iproute2) that build and tear down the emulated network.
#include "edgeplan/replay/network_emulation.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "edgeplan/replay/rank_record.h"
#include "process.h"

namespace edgeplan {

namespace {

constexpr double kCommandTimeoutS = 20;

void must(const std::vector<std::string>& argv) {
  const detail::CommandResult r = detail::run_command(argv, kCommandTimeoutS);
  if (r.exit_code != 0) {
    std::string out = r.output.substr(0, r.output.find('\n'));
    throw ReplayError("network emulation: '" + detail::shell_join(argv) + "' failed" + (r.timed_out ? " (timed out)" : "") +
                      (out.empty() ? "" : ": " + out));
  }
}

void quietly(const std::vector<std::string>& argv) { (void)detail::run_command(argv, kCommandTimeoutS); }

std::vector<std::string> lines_of(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  std::istringstream in(detail::run_command(argv, kCommandTimeoutS).output);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string kbit(double mbps) { return std::to_string(static_cast<long long>(std::llround(mbps * 1000))) + "kbit"; }

}  // namespace

long NetworkEmulation::burst_bytes(double rate_mbps) {
  return std::max(4L * 1024, static_cast<long>(rate_mbps * 1e6 / 8 * 0.001));
}

NetworkEmulation::NetworkEmulation(const std::vector<EmulatedDevice>& devices) {
  const long pid = static_cast<long>(getpid());
  prefix_ = "ep" + std::to_string(pid);
  bridge_ = prefix_ + "b";
  subnet_ = "10." + std::to_string(100 + (pid / 256) % 100) + "." + std::to_string(pid % 256) + ".";
  try {
    must({"ip", "link", "add", bridge_, "type", "bridge"});
    made_bridge_ = true;
    must({"ip", "addr", "add", subnet_ + "1/24", "dev", bridge_});
    must({"ip", "link", "set", bridge_, "up"});
    std::string shaped;
    for (std::size_t k = 0; k < devices.size(); ++k) {
      const std::string ns = prefix_ + "n" + std::to_string(k);
      const std::string veth = prefix_ + "v" + std::to_string(k);
      must({"ip", "netns", "add", ns});
      namespaces_.push_back(ns);
      must({"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns});
      must({"ip", "link", "set", veth, "master", bridge_});
      must({"ip", "link", "set", veth, "up"});
      must({"ip", "netns", "exec", ns, "ip", "addr", "add", address_of(static_cast<int>(k)) + "/24", "dev", "eth0"});
      must({"ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up"});
      must({"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"});
      const double rate = devices[k].rate_mbps;
      if (rate > 0) {
        const std::string burst = std::to_string(burst_bytes(rate));
        // Downlink (bridge -> device) on the host end, uplink (device -> bridge) inside.
        must({"tc", "qdisc", "add", "dev", veth, "root", "tbf", "rate", kbit(rate), "burst", burst, "latency", "200ms"});
        must({"ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", kbit(rate), "burst", burst,
              "latency", "200ms"});
        char buf[160];
        std::snprintf(buf, sizeof buf, "%s%s %g Mbit/s", shaped.empty() ? "" : ", ", devices[k].id.c_str(), rate);
        shaped += buf;
      }
    }
    description_ = "network namespaces + veth into bridge " + bridge_ + ", tbf both directions per device (burst max(4 KiB, 1 ms of bytes), queue 200 ms): " +
                   (shaped.empty() ? std::string("unshaped") : shaped) + "; no added latency (netem is not available)";
  } catch (...) {
    undo();
    throw;
  }
}

NetworkEmulation::~NetworkEmulation() { undo(); }

std::string NetworkEmulation::address_of(int rank) const { return subnet_ + std::to_string(rank + 2); }

void NetworkEmulation::undo() {
  // Deleting a namespace deletes its veth end, and with it the peer on the bridge.
  for (const std::string& ns : namespaces_) quietly({"ip", "netns", "delete", ns});
  namespaces_.clear();
  if (made_bridge_) quietly({"ip", "link", "delete", bridge_});
  made_bridge_ = false;
}

void NetworkEmulation::remove_stale() {
  auto dead = [](const std::string& name) {
    // Names are ep<pid>b / ep<pid>n<k> / ep<pid>v<k>.
    if (name.rfind("ep", 0) != 0) return false;
    std::size_t i = 2;
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
    if (i == 2 || i >= name.size() || (name[i] != 'b' && name[i] != 'n' && name[i] != 'v')) return false;
    const long pid = std::stol(name.substr(2, i - 2));
    return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
  };
  for (const std::string& line : lines_of({"ip", "netns", "list"})) {
    const std::string name = line.substr(0, line.find(' '));
    if (dead(name)) quietly({"ip", "netns", "delete", name});
  }
  for (const std::string& line : lines_of({"ip", "-o", "link", "show"})) {
    // "12: ep123b: <...": the name sits between the first ": " and the next ':' or '@'.
    const auto a = line.find(": ");
    if (a == std::string::npos) continue;
    const auto b = line.find_first_of(":@", a + 2);
    const std::string name = line.substr(a + 2, b - a - 2);
    if (dead(name)) quietly({"ip", "link", "delete", name});
  }
}

bool NetworkEmulation::permitted(std::string* why) {
  if (geteuid() != 0) {
    if (why) *why = "creating network namespaces needs root (CAP_NET_ADMIN)";
    return false;
  }
  // Everything an emulation needs (a namespace, a veth pair, a bridge, a tbf qdisc), tried
  // inside a throwaway namespace so that nothing outside it is touched.
  const std::string probe = "ep" + std::to_string(static_cast<long>(getpid())) + "probe";
  const std::vector<std::vector<std::string>> steps = {
      {"ip", "netns", "add", probe},
      {"ip", "netns", "exec", probe, "ip", "link", "add", "pa", "type", "veth", "peer", "name", "pb"},
      {"ip", "netns", "exec", probe, "ip", "link", "add", "pbr", "type", "bridge"},
      {"ip", "netns", "exec", probe, "tc", "qdisc", "add", "dev", "pa", "root", "tbf", "rate", "1000kbit", "burst", "4096", "latency", "200ms"}};
  bool ok = true;
  for (const auto& step : steps) {
    const detail::CommandResult r = detail::run_command(step, kCommandTimeoutS);
    if (r.exit_code != 0) {
      if (why) *why = "'" + detail::shell_join(step) + "' failed: " + r.output.substr(0, r.output.find('\n'));
      ok = false;
      break;
    }
  }
  quietly({"ip", "netns", "delete", probe});
  return ok;
}

}  // namespace edgeplan
