// Human and JSON reports of a simulated plan.
#include "sim_report.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "edgeplan/costmodel/sim_result_json.h"

namespace edgeplan::cli {

namespace {

std::string line(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string line(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return std::string(buf) + "\n";
}

int part_count(const Plan& p) {
  int n = 0;
  for (const Volume& v : p.volumes) n += static_cast<int>(v.parts.size());
  return n;
}

}  // namespace

std::string sim_report_text(const Scenario& s, const Plan& plan, const SimResult& r) {
  std::string out;
  out += line("scenario %s", scenario_summary(s).c_str());
  out += line("plan: %zu volumes, %d parts%s", plan.volumes.size(), part_count(plan),
              plan.tail ? (", tail on " + plan.tail->device).c_str() : "");
  if (std::isfinite(r.latency_ms))
    out += line("end-to-end latency %.3f ms (lower bound %.3f ms, gap %.2fx)", r.latency_ms, r.lower_bound_ms,
                r.lower_bound_ms > 0 ? r.latency_ms / r.lower_bound_ms : 1.0);
  else
    out += line("end-to-end latency: never finishes (a transfer waits on a link whose rate drops to 0 for good); "
                "lower bound %.3f ms", r.lower_bound_ms);
  out += line("network: %d transfers, %.3f MB", r.transfers, static_cast<double>(r.total_bytes) / 1e6);
  out += line("%-14s %5s %11s %9s %11s %9s %11s %12s %s", "device", "parts", "compute ms", "send ms", "receive ms",
              "idle ms", "memory MB", "capacity MB", "profile");
  for (std::size_t d = 0; d < r.devices.size(); ++d) {
    const DeviceUsage& u = r.devices[d];
    std::string note = s.devices[d].computes ? s.devices[d].profile.name + " (" + s.devices[d].profile.provenance_type + ")"
                                             : std::string("(does not compute)");
    if (u.fallback_layers > 0 && !s.devices[d].profile.curves.empty())
      note += ", " + std::to_string(u.fallback_layers) + " layers from the fallback model";
    if (!u.fits) note += "  DOES NOT FIT IN MEMORY";
    out += line("%-14s %5d %11.3f %9.3f %11.3f %9.3f %11.1f %12.0f %s", u.id.c_str(), u.parts, u.compute_ms, u.send_ms,
                u.receive_ms, u.idle_ms, static_cast<double>(u.peak_memory_bytes) / 1048576.0,
                static_cast<double>(u.memory_capacity_bytes) / 1048576.0, note.c_str());
  }
  const std::size_t n = r.devices.size();
  bool any = false;
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b) {
      const std::int64_t bytes = r.link_bytes[a * n + b];
      if (bytes == 0) continue;
      if (!any) out += "bytes on links:\n";
      any = true;
      out += line("  %s -> %s: %.3f MB", r.devices[a].id.c_str(), r.devices[b].id.c_str(), static_cast<double>(bytes) / 1e6);
    }
  for (std::size_t k = 0; k < r.backbone_bytes.size(); ++k)
    out += line("backbone link %zu (tiers %zu-%zu): %.3f MB per inference", k, k, k + 1, static_cast<double>(r.backbone_bytes[k]) / 1e6);
  if (!r.fits_memory) out += "warning: the plan does not fit in the memory of at least one device\n";
  return out;
}

std::string sim_report_json(const Scenario& s, const Plan& plan, const SimResult& r) {
  using json = nlohmann::ordered_json;
  json j;
  j["scenario"] = s.name;
  j["model"] = {{"name", s.graph.name()}, {"input", {s.graph.input_shape().c, s.graph.input_shape().h, s.graph.input_shape().w}}};
  j["network"] = s.network_summary;
  j["volumes"] = plan.volumes.size();
  j["parts"] = part_count(plan);
  j.update(json::parse(sim_result_json(r, true)));
  for (std::size_t d = 0; d < s.devices.size() && d < j["devices"].size(); ++d) {
    if (!s.devices[d].computes) {
      j["devices"][d]["computes"] = false;
      continue;
    }
    j["devices"][d]["profile"] = s.devices[d].profile.name;
    j["devices"][d]["provenance"] = s.devices[d].profile.provenance_type;
  }
  return j.dump(2) + "\n";
}

}  // namespace edgeplan::cli
