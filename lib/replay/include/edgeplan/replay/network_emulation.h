// The scenario's links on one host: a network namespace per rank, a veth pair from each into
// one bridge, and a token-bucket filter (tbf) on both directions of each device's veth at
// that device's rate. Needs root (CAP_NET_ADMIN); everything is removed on destruction,
// also when the replay fails or is interrupted.
#pragma once
#include <string>
#include <vector>

namespace edgeplan {

struct EmulatedDevice {
  std::string id;
  double rate_mbps = 0;  // 0: unshaped
};

class NetworkEmulation {
 public:
  // Throws ReplayError (one line) if namespaces cannot be made here.
  explicit NetworkEmulation(const std::vector<EmulatedDevice>& devices);
  ~NetworkEmulation();
  NetworkEmulation(const NetworkEmulation&) = delete;
  NetworkEmulation& operator=(const NetworkEmulation&) = delete;

  const std::string& bridge() const { return bridge_; }
  const std::string& namespace_of(int rank) const { return namespaces_.at(static_cast<std::size_t>(rank)); }
  std::string address_of(int rank) const;
  // One line for reports: the shaping applied (rates, burst, queue limit).
  const std::string& description() const { return description_; }

  // Removes namespaces and links that an earlier run left behind (its process is gone).
  static void remove_stale();
  // Whether this process may create network namespaces (tries, then removes one).
  static bool permitted(std::string* why);

  // Token bucket size for a rate: 1 ms of bytes, at least 4 KiB. A larger bucket lets the
  // first bytes of every message through at line rate (calibration then finds a negative
  // fixed time: -1.7 ms at 25 Mbit/s with 32 KiB).
  static long burst_bytes(double rate_mbps);

 private:
  void undo();
  std::string prefix_;  // ep<pid>, in every name this run creates
  std::string bridge_;
  std::string subnet_;  // "10.X.Y."
  std::vector<std::string> namespaces_;
  std::string description_;
  bool made_bridge_ = false;
};

}  // namespace edgeplan
