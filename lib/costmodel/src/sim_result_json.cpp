// One JSON writer for simulation results.
#include "edgeplan/costmodel/sim_result_json.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace edgeplan {

namespace {

using json = nlohmann::ordered_json;

json ms(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

const char* kind_name(TimelineEvent::Kind k) {
  switch (k) {
    case TimelineEvent::Kind::Compute: return "compute";
    case TimelineEvent::Kind::Send: return "send";
    case TimelineEvent::Kind::Receive: return "receive";
  }
  return "?";
}

}  // namespace

std::string sim_result_json(const SimResult& r, bool timeline) {
  json j;
  j["latency_ms"] = ms(r.latency_ms);
  j["finishes"] = std::isfinite(r.latency_ms);
  j["lower_bound_ms"] = ms(r.lower_bound_ms);
  j["gap"] = ms(r.lower_bound_ms > 0 ? r.latency_ms / r.lower_bound_ms : 1.0);
  j["transfers"] = r.transfers;
  j["network_bytes"] = r.total_bytes;
  j["fits_memory"] = r.fits_memory;
  json devices = json::array();
  for (const DeviceUsage& u : r.devices)
    devices.push_back({{"id", u.id},
                       {"parts", u.parts},
                       {"compute_ms", ms(u.compute_ms)},
                       {"send_ms", ms(u.send_ms)},
                       {"receive_ms", ms(u.receive_ms)},
                       {"idle_ms", ms(u.idle_ms)},
                       {"finish_ms", ms(u.finish_ms)},
                       {"peak_memory_bytes", u.peak_memory_bytes},
                       {"memory_capacity_bytes", u.memory_capacity_bytes},
                       {"fits", u.fits},
                       {"fallback_layers", u.fallback_layers}});
  j["devices"] = devices;
  json links = json::array();
  const std::size_t n = r.devices.size();
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b)
      if (r.link_bytes[a * n + b] > 0)
        links.push_back({{"from", r.devices[a].id}, {"to", r.devices[b].id}, {"bytes", r.link_bytes[a * n + b]}});
  j["links"] = links;
  if (!r.backbone_bytes.empty()) j["backbone_bytes"] = r.backbone_bytes;  // tiered: per link between neighbouring tiers
  if (timeline) {
    json events = json::array();
    for (const TimelineEvent& e : r.timeline) {
      json ev = {{"device", r.devices[static_cast<std::size_t>(e.device)].id},
                 {"kind", kind_name(e.kind)},
                 {"start_ms", ms(e.start_ms)},
                 {"end_ms", ms(e.end_ms)},
                 {"volume", e.volume}};
      if (e.peer >= 0) {
        ev["peer"] = r.devices[static_cast<std::size_t>(e.peer)].id;
        ev["bytes"] = e.bytes;
      }
      events.push_back(ev);
    }
    j["timeline"] = events;
  }
  return j.dump(2);
}

}  // namespace edgeplan
