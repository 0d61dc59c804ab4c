// Event-driven simulation of one inference under a plan: compute, transfers, contention, memory.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgeplan/costmodel/layer_cost_model.h"
#include "edgeplan/costmodel/network_model.h"
#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/model/element_type.h"
#include "edgeplan/plan/plan.h"

namespace edgeplan {

struct TimelineEvent {
  enum class Kind { Compute, Send, Receive };
  Kind kind = Kind::Compute;
  int device = 0;
  double start_ms = 0, end_ms = 0;
  int volume = 0;  // the volume computed or fed; -1 the input image, volumes() the tail, volumes()+1 the result
  int peer = -1;   // the other device of a transfer
  std::int64_t bytes = 0;
};

struct DeviceUsage {
  std::string id;
  int parts = 0;
  double compute_ms = 0;
  double send_ms = 0;     // time its link was sending
  double receive_ms = 0;  // time its link was receiving
  double idle_ms = 0;     // until the end-to-end latency: neither computing nor communicating
  double finish_ms = 0;   // when its last computation ended
  std::int64_t peak_memory_bytes = 0;
  std::int64_t memory_capacity_bytes = 0;
  bool fits = true;
  int fallback_layers = 0;  // layers it computes whose cost came from the fallback model
};

struct SimResult {
  double latency_ms = 0;
  double lower_bound_ms = 0;
  std::vector<DeviceUsage> devices;
  std::vector<std::int64_t> link_bytes;  // n x n, [src * n + dst]
  std::vector<std::int64_t> backbone_bytes;  // tiered: bytes over each backbone link (k joins tiers k, k + 1)
  std::int64_t total_bytes = 0;
  int transfers = 0;
  bool fits_memory = true;
  std::vector<TimelineEvent> timeline;
};

struct SimulatorConfig {
  std::vector<std::string> device_ids;
  int input_device = 0;
  int output_device = 0;
  std::vector<std::int64_t> memory_bytes;  // per device; 0 = unlimited
  ElementSizes elements;                   // bytes per element of the image and of activations
  int compute_devices = -1;                // devices [0, compute_devices) compute; -1: all
};

// A valid lower bound on any plan's latency (compute_lower_bound below).
struct LowerBound {
  double ms = 0;         // the bound: max(lp_ms, the hop bounds)
  double lp_ms = 0;      // the LP's optimum (0 if not solved)
  bool lp_solved = false;  // GLPK reported an optimum
};

// Semantics (docs/cost-model.md): each device runs its parts in plan order, one at a time;
// a part starts when its device is free and every input region it needs has arrived.
// Each transfer occupies the resources of its route (radios, uplinks, downlinks, the
// shared channel, backbone links) exclusively, in order of readiness (on a Wi-Fi channel with
// its own capacity, a transfer also shares that capacity with the transfers in flight before
// it: ChannelLoad); a device computes
// and communicates at the same time. Parts receive exactly the rows (with halos) they
// need from the parts that own them; the tail receives the whole body output; the result
// ends on the output device.
//
// Not thread-safe: one Simulator per thread (it reuses scratch memory between calls).
class Simulator {
 public:
  Simulator(const Graph& graph, const LayerCostModel& cost, const NetworkModel& network, SimulatorConfig config);
  // Uses the scenario's profiles (dense tables); the scenario must outlive the simulator.
  explicit Simulator(const Scenario& scenario);
  ~Simulator();
  Simulator(Simulator&&) noexcept;

  // End-to-end latency (ms) of a plan already known to be valid for the graph; the fast
  // path for search. Throws PlanError if the plan names a device the simulator lacks.
  double latency_ms(const Plan& plan) const;
  // Validates the plan, then simulates with the full breakdown and timeline.
  SimResult simulate(const Plan& plan) const;

  // No plan of this scenario can be faster than this (ms); computed on first use.
  double lower_bound_ms() const;
  const LowerBound& lower_bound() const;
  const Graph& graph() const;
  const LayerCostModel& cost_model() const;
  const NetworkModel& network() const;
  const SimulatorConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Time in [0, until_ms] during which `device` computes or communicates (the union of its
// timeline events): the idle time of a device is the latency minus this.
double busy_ms(const std::vector<TimelineEvent>& timeline, int device, double until_ms);

// A valid lower bound on the latency of any plan (docs/cost-model.md, "Lower bound"): the
// optimum of a linear program (GLPK) over the share of each layer's needed outputs (the
// positions the result depends on) each device computes, at its best cost per row, and
// what each device must then receive (the inputs its share reads, less what it computed)
// through the links every transfer into it occupies; and the hops the image and the
// result must make.
LowerBound compute_lower_bound(const Graph& graph, const LayerCostModel& cost, const NetworkModel& network,
                               const SimulatorConfig& config);

}  // namespace edgeplan
