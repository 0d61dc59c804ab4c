// edgeplan.scenario/v1 reading: model, devices with profiles, source / sink, network.
#include <cstdio>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/jsonio/fields.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/onnx/onnx_model.h"

namespace edgeplan {

using nlohmann::json;
namespace jio = jsonio;

namespace {

using E = ScenarioError;
constexpr double kMaxRate = 1e7;     // Mbit/s
constexpr double kMaxTime = 1e9;     // ms

std::string join_path(const std::string& base, const std::string& path) {
  if (path.empty() || path[0] == '/' || base.empty()) return path;
  return base + "/" + path;
}

// A rate per device: one number for all, or an object keyed by device id.
std::vector<double> device_rates(const json& net, const Scenario& s, const std::string& w, const char* key = "rates_mbps") {
  const std::string k = key;
  const json& r = jio::field<E>(net, key, w);
  std::vector<double> out(s.devices.size(), 0.0);
  if (r.is_number()) {
    const double v = jio::number_value<E>(r, w + "." + k, 1e-9, kMaxRate);
    std::fill(out.begin(), out.end(), v);
    return out;
  }
  if (!r.is_object()) throw E(w + "." + k + ": must be a number or an object keyed by device id");
  for (auto it = r.begin(); it != r.end(); ++it) {
    const int d = s.device_index(it.key());
    if (d < 0) throw E(w + "." + k + ": unknown device '" + it.key() + "'");
    out[static_cast<std::size_t>(d)] = jio::number_value<E>(it.value(), w + "." + k + "." + it.key(), 1e-9, kMaxRate);
  }
  for (std::size_t d = 0; d < out.size(); ++d)
    if (out[d] == 0) throw E(w + "." + k + ": no rate for device '" + s.devices[d].id + "'");
  return out;
}

RateTrace parse_trace(const json& t, const std::string& w) {
  if (!t.is_array() || t.empty()) throw E(w + ": must be a non-empty array of [time_ms, mbps] pairs");
  RateTrace tr;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const std::string pw = w + "[" + std::to_string(i) + "]";
    if (!t[i].is_array() || t[i].size() != 2) throw E(pw + ": must be [time_ms, mbps]");
    const double time = jio::number_value<E>(t[i][0], pw + "[0]", 0, kMaxTime);
    const double rate = jio::number_value<E>(t[i][1], pw + "[1]", 0, kMaxRate);
    if (!tr.t_ms.empty() && !(time > tr.t_ms.back())) throw E(pw + ": times must increase");
    tr.t_ms.push_back(time);
    tr.mbps.push_back(rate);
  }
  return tr;
}

void device_traces(const json& net, const Scenario& s, NetworkModel& m, const std::string& w) {
  if (!net.contains("traces")) return;
  const json& t = jio::object_at<E>(net, "traces", w);
  for (auto it = t.begin(); it != t.end(); ++it) {
    const int d = s.device_index(it.key());
    if (d < 0) throw E(w + ".traces: unknown device '" + it.key() + "'");
    m.set_trace(d, parse_trace(it.value(), w + ".traces." + it.key()));
  }
}

// `calibration` (written by calibrate-network): the tbf rates the replay shapes links to,
// while rates_mbps holds what was measured through them; the rest is provenance.
std::vector<double> parse_calibration(const json& net, const Scenario& s, const std::string& w) {
  if (!net.contains("calibration")) return {};
  const json& c = jio::object_at<E>(net, "calibration", w);
  jio::only_keys<E>(c, {"link_rates_mbps", "method", "date", "pairs", "overhead_method"}, w + ".calibration");
  if (c.contains("overhead_method") && !c["overhead_method"].is_string()) throw E(w + ".calibration.overhead_method: must be a string");
  if (!c.contains("link_rates_mbps")) return {};  // only the per-message overhead was calibrated
  return device_rates(c, s, w + ".calibration", "link_rates_mbps");
}

// The activation type and the image's encoding. Default activations: the computing
// devices' profiles' precision (they must agree); default input: an 8-bit camera frame.
ElementSizes parse_precision(const json& j, const Scenario& s) {
  const std::string w = "scenario.precision";
  ElementSizes e;
  auto type_at = [&](const json& o, const char* key, bool input) {
    const std::string name = jio::string_at<E>(o, key, w);
    const auto t = parse_element_type(name);
    if (!t || (!input && *t == ElementType::U8))
      throw E(w + "." + key + ": unknown type '" + name + (input ? "' (fp32, fp16, int8, uint8)" : "' (fp32, fp16, int8)"));
    return *t;
  };
  std::optional<ElementType> activations;
  e.input = ElementType::U8;
  if (j.contains("precision")) {
    const json& p = jio::object_at<E>(j, "precision", "scenario");
    jio::only_keys<E>(p, {"activations", "input"}, w);
    if (p.contains("activations")) activations = type_at(p, "activations", false);
    if (p.contains("input")) e.input = type_at(p, "input", true);
  }
  for (int d = 0; d < s.compute_devices; ++d) {
    const ScenarioDevice& dev = s.devices[static_cast<std::size_t>(d)];
    if (!activations) activations = dev.profile.precision;
    if (dev.profile.precision != *activations)
      throw E(w + ".activations: device '" + dev.id + "' has a " + to_string(dev.profile.precision) + " profile but the scenario runs " +
              to_string(*activations) + (j.contains("precision") ? "" : " (from the first device's profile)") +
              "; use profiles of one precision");
  }
  e.activations = *activations;
  return e;
}

NetworkModel parse_network(const json& net, const Scenario& s, const std::vector<int>& position, std::string& summary,
                           std::vector<double>& link_rates) {
  const std::string w = "scenario.network";
  if (!net.is_object()) throw E(w + ": must be an object");
  const std::string type = jio::string_at<E>(net, "type", w);
  const double latency = jio::number_or<E>(net, "latency_ms", w, 0, kMaxTime, 0.0);
  const double overhead = jio::number_or<E>(net, "overhead_ms", w, 0, kMaxTime, 0.0);
  char buf[200];
  if (type == "wifi_star" || type == "switched") {
    jio::only_keys<E>(net, {"type", "rates_mbps", "shared_channel", "channel_mbps", "latency_ms", "overhead_ms", "traces", "calibration"}, w);
    const std::vector<double> rates = device_rates(net, s, w);
    link_rates = parse_calibration(net, s, w);
    const bool shared = jio::bool_at<E>(net, "shared_channel", w, false);
    if (type == "switched" && net.contains("shared_channel")) throw E(w + ".shared_channel: only for wifi_star");
    if (type == "switched" && net.contains("channel_mbps")) throw E(w + ".channel_mbps: only for wifi_star");
    const double channel = jio::number_or<E>(net, "channel_mbps", w, 1e-9, kMaxRate, 0.0);
    if (shared && channel > 0)
      throw E(w + ".channel_mbps: a shared channel (shared_channel: true) already holds the whole medium per transfer; give one of them");
    NetworkModel m = type == "switched" ? NetworkModel::switched(rates, latency, overhead)
                     : channel > 0     ? NetworkModel::wifi_channel(rates, channel, latency, overhead)
                                       : NetworkModel::wifi_star(rates, shared, latency, overhead);
    device_traces(net, s, m, w);
    const auto [lo, hi] = std::minmax_element(rates.begin(), rates.end());
    char channel_text[48] = "";
    if (channel > 0) std::snprintf(channel_text, sizeof channel_text, " (channel %g Mbit/s)", channel);
    std::snprintf(buf, sizeof buf, "%s%s%s, %g-%g Mbit/s per device, latency %g ms, overhead %g ms%s", type.c_str(),
                  shared ? " (shared channel)" : "", channel_text, *lo, *hi, latency, overhead, net.contains("traces") ? ", traced" : "");
    summary = buf;
    return m;
  }
  if (type == "matrix") {
    jio::only_keys<E>(net, {"type", "mbps", "latency_ms", "overhead_ms"}, w);
    const json& rows = jio::array_at<E>(net, "mbps", w);
    if (rows.size() != s.devices.size()) throw E(w + ".mbps: needs one row per device, in the devices' order");
    std::vector<std::vector<double>> mbps(rows.size(), std::vector<double>(rows.size(), 1.0));
    for (std::size_t a = 0; a < rows.size(); ++a) {
      const std::string rw = w + ".mbps[" + std::to_string(a) + "]";
      if (!rows[a].is_array() || rows[a].size() != s.devices.size()) throw E(rw + ": needs one entry per device");
      for (std::size_t b = 0; b < rows[a].size(); ++b)
        if (a != b)
          mbps[static_cast<std::size_t>(position[a])][static_cast<std::size_t>(position[b])] =
              jio::number_value<E>(rows[a][b], rw + "[" + std::to_string(b) + "]", 1e-9, kMaxRate);
    }
    std::snprintf(buf, sizeof buf, "matrix of measured throughputs, latency %g ms, overhead %g ms", latency, overhead);
    summary = buf;
    return NetworkModel::matrix(mbps, latency, overhead);
  }
  if (type == "tiered") {
    jio::only_keys<E>(net, {"type", "tiers", "rates_mbps", "backbone", "overhead_ms", "traces"}, w);
    const json& tiers = jio::array_at<E>(net, "tiers", w);
    if (tiers.size() < 2 || tiers.size() > 5) throw E(w + ".tiers: needs 2 to 5 tiers");
    std::vector<int> tier_of(s.devices.size(), -1);
    std::vector<double> tier_latency;
    std::string names;
    for (std::size_t t = 0; t < tiers.size(); ++t) {
      const std::string tw = w + ".tiers[" + std::to_string(t) + "]";
      jio::only_keys<E>(tiers[t], {"name", "devices", "latency_ms"}, tw);
      names += (t ? "/" : "") + jio::string_at<E>(tiers[t], "name", tw);
      tier_latency.push_back(jio::number_or<E>(tiers[t], "latency_ms", tw, 0, kMaxTime, 0.0));
      for (const json& id : jio::array_at<E>(tiers[t], "devices", tw)) {
        if (!id.is_string()) throw E(tw + ".devices: must be device ids");
        const int d = s.device_index(id.get<std::string>());
        if (d < 0) throw E(tw + ".devices: unknown device '" + id.get<std::string>() + "'");
        if (tier_of[static_cast<std::size_t>(d)] >= 0) throw E(tw + ".devices: device '" + id.get<std::string>() + "' is in two tiers");
        tier_of[static_cast<std::size_t>(d)] = static_cast<int>(t);
      }
    }
    for (std::size_t d = 0; d < tier_of.size(); ++d)
      if (tier_of[d] < 0) throw E(w + ".tiers: device '" + s.devices[d].id + "' is in no tier");
    const json& bb = jio::array_at<E>(net, "backbone", w);
    if (bb.size() + 1 != tiers.size()) throw E(w + ".backbone: needs one link between each pair of neighbouring tiers");
    std::vector<NetworkModel::Backbone> links;
    std::vector<RateTrace> link_traces;
    for (std::size_t k = 0; k < bb.size(); ++k) {
      const std::string bw = w + ".backbone[" + std::to_string(k) + "]";
      jio::only_keys<E>(bb[k], {"rate_mbps", "latency_ms", "trace"}, bw);
      links.push_back({jio::number_at<E>(bb[k], "rate_mbps", bw, 1e-9, kMaxRate),
                       jio::number_or<E>(bb[k], "latency_ms", bw, 0, kMaxTime, 0.0)});
      link_traces.push_back(bb[k].contains("trace") ? parse_trace(bb[k]["trace"], bw + ".trace") : RateTrace{});
    }
    NetworkModel m = NetworkModel::tiered(tier_of, device_rates(net, s, w), tier_latency, links, overhead);
    device_traces(net, s, m, w);
    for (std::size_t k = 0; k < link_traces.size(); ++k)
      if (!link_traces[k].empty()) m.set_trace(static_cast<int>(s.devices.size() + k), link_traces[k]);
    std::snprintf(buf, sizeof buf, "tiered %s, backbone %g Mbit/s first link, overhead %g ms", names.c_str(),
                  links.front().rate_mbps, overhead);
    summary = buf;
    return m;
  }
  throw E(w + ".type: unknown network type '" + type + "' (wifi_star, switched, matrix, tiered)");
}

}  // namespace

int Scenario::device_index(const std::string& id) const {
  for (std::size_t i = 0; i < devices.size(); ++i)
    if (devices[i].id == id) return static_cast<int>(i);
  return -1;
}

std::vector<std::string> Scenario::device_ids() const {
  std::vector<std::string> ids;
  for (const auto& d : devices) ids.push_back(d.id);
  return ids;
}

Scenario parse_scenario(const std::string& text, const std::string& base_dir) {
  const json j = jio::parse_text<E>(text);
  const std::string w = "scenario";
  if (!j.is_object()) throw E("scenario: top level must be a JSON object");
  jio::only_keys<E>(j, {"format", "name", "description", "model", "devices", "precision", "input_device", "output_device", "network"}, w);
  const std::string format = jio::string_at<E>(j, "format", w);
  if (format != kScenarioFormat) throw E("scenario: format is '" + format + "', expected '" + kScenarioFormat + "'");
  const json& model = jio::object_at<E>(j, "model", w);
  jio::only_keys<E>(model, {"name", "onnx", "input"}, "scenario.model");
  if (model.contains("name") == model.contains("onnx"))
    throw E("scenario.model: give either \"name\" (a zoo model) or \"onnx\" (a file, relative to the scenario)");
  const bool onnx = model.contains("onnx");
  const std::string model_name = jio::string_at<E>(model, onnx ? "onnx" : "name", "scenario.model");
  if (onnx && !is_onnx_path(model_name)) throw E("scenario.model.onnx: '" + model_name + "' does not end in .onnx");
  if (!onnx && is_onnx_path(model_name)) throw E("scenario.model.name: '" + model_name + "' is a file; write it as \"onnx\"");
  std::optional<Shape> input;
  if (model.contains("input")) {
    const json& in = model["input"];
    if (!in.is_array() || in.size() != 3) throw E("scenario.model.input: must be [C, H, W]");
    int dims[3];
    for (std::size_t d = 0; d < 3; ++d) {
      dims[d] = static_cast<int>(jio::index_value<E>(in[d], "scenario.model.input[" + std::to_string(d) + "]", 1 << 24));
      if (dims[d] == 0) throw E("scenario.model.input: dimensions must be positive");
    }
    input = Shape{dims[0], dims[1], dims[2]};
  }
  Graph graph = [&] {
    try {
      return load_model(model_name, input, base_dir);
    } catch (const ModelError& e) {
      throw E(std::string("scenario.model: ") + e.what());
    }
  }();
  Scenario s{j.contains("name") ? jio::string_at<E>(j, "name", w) : std::string("unnamed"), std::move(graph), {}, 0, {}, 0, 0,
             NetworkModel::switched({1.0}, 0, 0), "", {}};
  const json& devices = jio::array_at<E>(j, "devices", w);
  if (devices.empty()) throw E("scenario.devices: needs at least one device");
  if (devices.size() > 1024) throw E("scenario.devices: more than 1024 devices");
  std::vector<ScenarioDevice> computing, others;
  std::vector<int> file_index[2];  // file index of each computing / other device
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const std::string dw = "scenario.devices[" + std::to_string(i) + "]";
    jio::only_keys<E>(devices[i], {"id", "profile", "compute", "slowdown"}, dw);
    ScenarioDevice d;
    d.id = jio::string_at<E>(devices[i], "id", dw);
    if (d.id.empty()) throw E(dw + ".id: must not be empty");
    for (std::size_t k = 0; k < i; ++k)
      if (devices[k].contains("id") && devices[k]["id"] == d.id) throw E(dw + ".id: '" + d.id + "' is used twice");
    d.computes = jio::bool_at<E>(devices[i], "compute", dw, true);
    if (!d.computes) {
      if (devices[i].contains("profile")) throw E(dw + ".profile: a device with \"compute\": false has no profile");
      if (devices[i].contains("slowdown")) throw E(dw + ".slowdown: a device with \"compute\": false computes nothing to slow down");
      others.push_back(std::move(d));
      file_index[1].push_back(static_cast<int>(i));
      continue;
    }
    if (!devices[i].contains("profile"))
      throw E(dw + ".profile: missing (a node that only sends the image or receives the result says \"compute\": false)");
    d.profile_path = jio::string_at<E>(devices[i], "profile", dw);
    try {
      d.profile = load_profile_file(join_path(base_dir, d.profile_path));
    } catch (const ScenarioError& e) {
      throw E(dw + ".profile: " + e.what());
    }
    d.profile.time_scale = jio::number_or<E>(devices[i], "slowdown", dw, 1e-3, 1e6, 1.0);
    computing.push_back(std::move(d));
    file_index[0].push_back(static_cast<int>(i));
  }
  if (computing.empty()) throw E("scenario.devices: no device computes (every one says \"compute\": false)");
  s.compute_devices = static_cast<int>(computing.size());
  s.devices = std::move(computing);
  for (ScenarioDevice& d : others) s.devices.push_back(std::move(d));
  // Position in s.devices of each device of the file (matrix rows are in the file's order).
  std::vector<int> position(devices.size());
  for (int g = 0, k = 0; g < 2; ++g)
    for (int i : file_index[g]) position[static_cast<std::size_t>(i)] = k++;
  s.elements = parse_precision(j, s);
  auto device_at = [&](const char* key, const std::string& fallback) {
    const std::string id = j.contains(key) ? jio::string_at<E>(j, key, w) : fallback;
    const int d = s.device_index(id);
    if (d < 0) throw E(std::string("scenario.") + key + ": unknown device '" + id + "'");
    return d;
  };
  s.input_device = device_at("input_device", devices.front()["id"].get<std::string>());
  s.output_device = device_at("output_device", s.devices[static_cast<std::size_t>(s.input_device)].id);
  try {
    s.network = parse_network(jio::field<E>(j, "network", w), s, position, s.network_summary, s.link_rates_mbps);
  } catch (const std::invalid_argument& e) {
    throw E(std::string("scenario.network: ") + e.what());
  }
  return s;
}

Scenario load_scenario_file(const std::string& path) {
  const std::string text = jio::read_file<E>(path, "scenario");
  const auto slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? "." : path.substr(0, slash);
  try {
    return parse_scenario(text, base);
  } catch (const E& e) {
    throw E(path + ": " + e.what());
  }
}

}  // namespace edgeplan
