// A simulation result as JSON, in one place: `simulate --json` and the `predicted` block that
// planners write into plans use the same keys.
#pragma once
#include <string>

#include "edgeplan/costmodel/simulator.h"

namespace edgeplan {

// {"latency_ms", "lower_bound_ms", "gap", "transfers", "network_bytes", "fits_memory",
//  "devices": [{"id", "parts", "compute_ms", "send_ms", "receive_ms", "idle_ms", "finish_ms",
//  "peak_memory_bytes", "memory_capacity_bytes", "fits", "fallback_layers"}], "links": [...]}
// and, with `timeline`, every event. Infinite latencies (a link that never delivers) are
// written as null with "finishes": false, since JSON has no infinity.
std::string sim_result_json(const SimResult& r, bool timeline);

}  // namespace edgeplan
