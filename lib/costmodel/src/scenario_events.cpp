// Run-time changes applied to a scenario's JSON: link rates, slowed and departed devices,
// traces frozen at an instant.
#include "edgeplan/costmodel/scenario_events.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "edgeplan/costmodel/device_profile.h"
#include "edgeplan/jsonio/fields.h"

namespace edgeplan {

using nlohmann::json;
using E = ScenarioError;

namespace {

json& network_of(json& j) {
  if (!j.is_object() || !j.contains("network") || !j["network"].is_object()) throw E("scenario: no network object");
  return j["network"];
}

bool has_device(const json& j, const std::string& id) {
  if (!j.contains("devices") || !j["devices"].is_array()) return false;
  for (const json& d : j["devices"])
    if (d.is_object() && d.contains("id") && d["id"] == id) return true;
  return false;
}

// The first device's id (the default input device), or "".
std::string first_device(const json& j) {
  if (!j.contains("devices") || !j["devices"].is_array() || j["devices"].empty()) return "";
  const json& d = j["devices"].front();
  return d.is_object() && d.contains("id") && d["id"].is_string() ? d["id"].get<std::string>() : "";
}

// rates_mbps as an object keyed by device id (a single number becomes one entry per device).
json& rates_object(json& j, json& net) {
  if (!net.contains("rates_mbps")) throw E("scenario.network: no rates_mbps to change");
  json& r = net["rates_mbps"];
  if (r.is_number()) {
    json o = json::object();
    for (const json& d : j["devices"]) o[d["id"].get<std::string>()] = r;
    r = o;
  }
  if (!r.is_object()) throw E("scenario.network.rates_mbps: must be a number or an object");
  return r;
}

double rate_at(const json& trace, double t) {
  double rate = trace.at(0).at(1).get<double>();
  for (const json& p : trace)
    if (p.at(0).get<double>() <= t) rate = p.at(1).get<double>();
  return rate;
}

// The backbone link between two neighbouring tiers named "a-b" (either order), or -1.
int backbone_link(const json& net, const std::string& target) {
  if (!net.contains("tiers") || !net["tiers"].is_array()) return -1;
  const json& tiers = net["tiers"];
  for (std::size_t k = 0; k + 1 < tiers.size(); ++k) {
    const std::string a = tiers[k].value("name", ""), b = tiers[k + 1].value("name", "");
    if (target == a + "-" + b || target == b + "-" + a) return static_cast<int>(k);
  }
  return -1;
}

void set_bandwidth(json& j, const ScenarioEvent& e) {
  json& net = network_of(j);
  const int link = backbone_link(net, e.target);
  if (link >= 0) {
    json& bb = net["backbone"].at(static_cast<std::size_t>(link));
    bb["rate_mbps"] = e.value;
    bb.erase("trace");
    return;
  }
  if (!has_device(j, e.target))
    throw E("event '" + e.text + "': '" + e.target + "' is neither a device nor a backbone link (<tier>-<tier>)");
  if (net.value("type", "") == "matrix") throw E("event '" + e.text + "': a matrix network has no per-device rate");
  rates_object(j, net)[e.target] = e.value;
  if (net.contains("traces") && net["traces"].is_object()) net["traces"].erase(e.target);
}

void slow_down(json& j, const ScenarioEvent& e) {
  for (json& d : j["devices"])
    if (d.is_object() && d.contains("id") && d["id"] == e.target) {
      if (d.contains("compute") && d["compute"] == false) throw E("event '" + e.text + "': '" + e.target + "' computes nothing");
      d["slowdown"] = d.value("slowdown", 1.0) * e.value;
      return;
    }
  throw E("event '" + e.text + "': unknown device '" + e.target + "'");
}

void remove_device(json& j, const ScenarioEvent& e) {
  if (!has_device(j, e.target)) throw E("event '" + e.text + "': unknown device '" + e.target + "'");
  const std::string input = j.value("input_device", first_device(j));
  const std::string output = j.value("output_device", input);
  if (e.target == input || e.target == output)
    throw E("event '" + e.text + "': '" + e.target + "' holds the image or gets the result; it cannot leave");
  json& net = network_of(j);
  if (net.value("type", "") == "matrix") throw E("event '" + e.text + "': a matrix network's rows cannot lose a device");
  if (!j.contains("input_device")) j["input_device"] = input;  // the default was the first device
  json kept = json::array();
  for (const json& d : j["devices"])
    if (!(d.contains("id") && d["id"] == e.target)) kept.push_back(d);
  j["devices"] = kept;
  if (net.contains("rates_mbps") && net["rates_mbps"].is_object()) net["rates_mbps"].erase(e.target);
  if (net.contains("traces") && net["traces"].is_object()) net["traces"].erase(e.target);
  if (net.contains("calibration")) throw E("event '" + e.text + "': a calibrated network cannot lose a device");
  if (net.contains("tiers") && net["tiers"].is_array())
    for (json& t : net["tiers"])
      if (t.contains("devices") && t["devices"].is_array()) {
        json ids = json::array();
        for (const json& id : t["devices"])
          if (id != e.target) ids.push_back(id);
        t["devices"] = ids;
      }
}

}  // namespace

ScenarioEvent parse_event(const std::string& text) {
  const std::string usage = " (bandwidth:<device or tier-tier>=<Mbit/s>, slow:<device>=<factor>, gone:<device>)";
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) throw E("event '" + text + "': no kind" + usage);
  ScenarioEvent e;
  e.text = text;
  const std::string kind = text.substr(0, colon), rest = text.substr(colon + 1);
  if (kind == "gone") {
    if (rest.empty() || rest.find('=') != std::string::npos) throw E("event '" + text + "': gone takes a device id" + usage);
    e.kind = ScenarioEvent::Kind::Gone;
    e.target = rest;
    return e;
  }
  if (kind != "bandwidth" && kind != "slow") throw E("event '" + text + "': unknown kind '" + kind + "'" + usage);
  e.kind = kind == "bandwidth" ? ScenarioEvent::Kind::Bandwidth : ScenarioEvent::Kind::Slow;
  const std::size_t eq = rest.find('=');
  if (eq == std::string::npos || eq == 0) throw E("event '" + text + "': needs <target>=<value>" + usage);
  e.target = rest.substr(0, eq);
  const std::string v = rest.substr(eq + 1);
  std::size_t used = 0;
  try {
    e.value = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const double hi = e.kind == ScenarioEvent::Kind::Bandwidth ? 1e7 : 1e6;
  if (v.empty() || used != v.size() || !std::isfinite(e.value) || !(e.value > 0) || e.value > hi)
    throw E("event '" + text + "': the value must be a positive number" +
            (e.kind == ScenarioEvent::Kind::Bandwidth ? std::string(" of Mbit/s") : std::string(" (the factor compute times are multiplied by)")));
  return e;
}

std::string apply_events(const std::string& text, const std::vector<ScenarioEvent>& events) {
  json j = jsonio::parse_text<E>(text);
  if (!j.is_object() || !j.contains("devices") || !j["devices"].is_array()) throw E("scenario: no devices array");
  for (const ScenarioEvent& e : events) {
    try {
      switch (e.kind) {
        case ScenarioEvent::Kind::Bandwidth: set_bandwidth(j, e); break;
        case ScenarioEvent::Kind::Slow: slow_down(j, e); break;
        case ScenarioEvent::Kind::Gone: remove_device(j, e); break;
      }
    } catch (const json::exception&) {
      throw E("event '" + e.text + "': the scenario's network is malformed");
    }
  }
  return j.dump(2) + "\n";
}

std::vector<double> trace_times(const std::string& text) {
  json j = jsonio::parse_text<E>(text);
  std::set<double> t{0.0};
  try {
    json& net = network_of(j);
    if (net.contains("traces"))
      for (const auto& [id, tr] : net["traces"].items())
        for (const json& p : tr) t.insert(p.at(0).get<double>());
    if (net.contains("backbone"))
      for (const json& b : net["backbone"])
        if (b.contains("trace"))
          for (const json& p : b["trace"]) t.insert(p.at(0).get<double>());
  } catch (const json::exception&) {
    throw E("scenario.network: a trace is malformed");
  }
  return {t.begin(), t.end()};
}

std::string scenario_at(const std::string& text, double t_ms) {
  json j = jsonio::parse_text<E>(text);
  try {
    json& net = network_of(j);
    if (net.contains("traces")) {
      const json traces = net["traces"];
      net.erase("traces");
      json& rates = rates_object(j, net);
      for (const auto& [id, tr] : traces.items()) rates[id] = rate_at(tr, t_ms);
    }
    if (net.contains("backbone"))
      for (json& b : net["backbone"])
        if (b.contains("trace")) {
          b["rate_mbps"] = rate_at(b["trace"], t_ms);
          b.erase("trace");
        }
  } catch (const json::exception&) {
    throw E("scenario.network: a trace is malformed");
  }
  return j.dump(2) + "\n";
}

}  // namespace edgeplan
