// Network between devices: topologies, per-link rates with optional traces, and transfer timing.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace edgeplan {

// Piecewise-constant rate over time: rate mbps[i] from t_ms[i] until t_ms[i+1]; the first
// rate also applies before t_ms[0], the last one forever after.
struct RateTrace {
  std::vector<double> t_ms;
  std::vector<double> mbps;
  bool empty() const { return t_ms.empty(); }
};

enum class Topology {
  WifiStar,  // devices reach each other through one access point, each capped at its own rate
  Switched,  // full-duplex links to a switch, one rate per device
  Matrix,    // measured throughput between every ordered pair of devices
  Tiered,    // device / edge / cloud tiers joined by backbone links
};
const char* to_string(Topology t);

// How a transfer travels: the resources it occupies (each carries one transfer at a time),
// the rate sources that limit it, and the fixed latency it adds.
struct Route {
  static constexpr int kMax = 8;
  std::array<int, kMax> resources{};
  int n_resources = 0;
  std::array<int, kMax> rate_sources{};
  int n_rates = 0;
  bool two_hops = false;  // shared Wi-Fi: the bytes cross the one channel twice (up, then down)
  bool on_channel = false;  // Wi-Fi with a channel capacity: shares it with every transfer in flight
  double latency_ms = 0;
};

class NetworkModel;

// What transfers in flight use of a Wi-Fi channel with its own capacity: a piecewise-constant
// profile of used capacity (Mbit/s of airtime) over time. A new transfer runs at its devices'
// rate, limited to what the transfers committed before it leave (first come, first served:
// total airtime is conserved, its split between transfers is not DCF's fair share).
class ChannelLoad {
 public:
  void reset();
  // When `bytes` sent from `start_ms` along `route` (on the channel) have left the sender,
  // per-message overhead included; commits the transfer's airtime. Transfers must be
  // committed with non-decreasing `now_ms` (the event time; start_ms >= now_ms) so that the
  // profile before `now_ms` can be dropped.
  double commit(const NetworkModel& net, const Route& route, double now_ms, double start_ms, double bytes);

 private:
  std::vector<double> t_ms_{0.0};    // breakpoints: used_[i] holds from t_ms_[i] to t_ms_[i+1]
  std::vector<double> used_{0.0};
  struct Segment {
    double from, to, mbps;
  };
  std::vector<Segment> segments_;  // scratch: the new transfer's rate over time
  void add(double from, double to, double mbps);  // adds `mbps` of use over [from, to)
  std::size_t split(double t);                     // index of the breakpoint at t (inserted if new)
};

// The network model. Build it with one of the factory functions, optionally add traces.
class NetworkModel {
 public:
  // Wi-Fi star (DistrEdge's testbed): device i is capped at rates_mbps[i]. Without a shared
  // channel each device's radio is its own half-duplex resource and a transfer a->b runs at
  // min(rate a, rate b); with a shared channel every transfer occupies the one medium for
  // bytes/rate_a + bytes/rate_b (uplink and downlink airtime).
  static NetworkModel wifi_star(std::vector<double> rates_mbps, bool shared_channel, double latency_ms, double overhead_ms);
  // Wi-Fi star whose radios are their own resources (as above, unshared) but whose channel
  // has a capacity of `channel_mbps`: every transfer crosses it twice (up to the access
  // point, down to the receiver), so transfers in flight together get at most channel_mbps / 2
  // between them (ChannelLoad says how it is split).
  static NetworkModel wifi_channel(std::vector<double> rates_mbps, double channel_mbps, double latency_ms, double overhead_ms);
  // Switched full duplex: a->b occupies a's uplink and b's downlink at min(rate a, rate b).
  static NetworkModel switched(std::vector<double> rates_mbps, double latency_ms, double overhead_ms);
  // Pairwise throughput matrix (mbps[a][b], diagonal ignored); a->b occupies a's uplink and
  // b's downlink at mbps[a][b].
  static NetworkModel matrix(std::vector<std::vector<double>> mbps, double latency_ms, double overhead_ms);
  // Tiers in order (e.g. device, edge, cloud). Within a tier: switched at the devices' rates
  // plus that tier's latency. Between tiers i < j: the backbone links i..j-1 too, each a
  // resource with its own rate and latency.
  struct Backbone {
    double rate_mbps = 0;
    double latency_ms = 0;
  };
  static NetworkModel tiered(std::vector<int> device_tier, std::vector<double> device_rates_mbps,
                             std::vector<double> tier_latency_ms, std::vector<Backbone> backbone, double overhead_ms);

  // Replaces the constant rate of a rate source with a trace. Rate sources: one per device
  // for wifi_star / switched / tiered (index = device), then one per backbone link for
  // tiered (index = device count + link); one per ordered pair for matrix (a * n + b).
  void set_trace(int rate_source, RateTrace trace);

  Topology topology() const { return topology_; }
  int device_count() const { return n_; }
  int resource_count() const { return n_resources_; }
  int rate_source_count() const { return static_cast<int>(rates_.size()); }
  double overhead_ms() const { return overhead_ms_; }
  double channel_mbps() const { return channel_mbps_; }  // 0: no channel capacity beyond the devices' rates
  static constexpr int kChannelHops = 2;                 // up to the access point, down to the receiver
  bool has_traces() const { return any_trace_; }
  const Route& route(int src, int dst) const { return routes_[static_cast<std::size_t>(src * n_ + dst)]; }
  // Tiered: the backbone links between neighbouring tiers (link k joins tiers k and k + 1),
  // each a resource of its own; 0 for the other topologies.
  int backbone_count() const { return backbone_count_; }
  // Tiered: the tier of a device (0 .. tier_count() - 1, in the scenario's order: device,
  // edge, cloud); -1 for the other topologies.
  int tier_count() const { return static_cast<int>(tier_latency_.size()); }
  int tier_of(int device) const { return tier_.empty() ? -1 : tier_[static_cast<std::size_t>(device)]; }
  // The backbone link a resource is (0 .. backbone_count() - 1), or -1.
  int backbone_of(int resource) const {
    const int k = resource - (n_resources_ - backbone_count_);
    return k >= 0 && k < backbone_count_ ? k : -1;
  }

  // Rate (Mbit/s) of a rate source at time t.
  double rate_at(int source, double t_ms) const;
  // When `bytes` sent along `route` from `start_ms` have left the sender (per-message
  // overhead included, latency not); +infinity if the rate drops to 0 for good.
  double transfer_end(const Route& route, double start_ms, double bytes) const;
  // The fastest a transfer of `bytes` from a to b can arrive if it starts at 0 on an idle network.
  double min_transfer_ms(int src, int dst, double bytes) const;

 private:
  friend class ChannelLoad;
  double effective_rate(const Route& r, double t_ms) const;
  double next_change(const Route& r, double t_ms) const;

  Topology topology_ = Topology::Switched;
  int n_ = 0;
  int n_resources_ = 0;
  double overhead_ms_ = 0;
  double channel_mbps_ = 0;
  int backbone_count_ = 0;
  std::vector<int> tier_;              // tiered: per device
  std::vector<double> tier_latency_;   // tiered: per tier
  std::vector<double> rates_;       // constant rate per rate source
  std::vector<RateTrace> traces_;   // optional trace per rate source
  bool any_trace_ = false;
  std::vector<Route> routes_;       // n x n
};

}  // namespace edgeplan
