// edgeplan.profile/v1 reading (strict, one-line errors) and writing.
#include <nlohmann/json.hpp>

#include "edgeplan/costmodel/device_profile.h"
#include "edgeplan/jsonio/fields.h"

namespace edgeplan {

using nlohmann::json;
namespace jio = jsonio;

namespace {

using E = ScenarioError;

std::vector<double> number_list(const json& j, const char* key, const std::string& where, double lo, double hi) {
  const json& a = jio::array_at<E>(j, key, where);
  std::vector<double> out;
  for (std::size_t i = 0; i < a.size(); ++i)
    out.push_back(jio::number_value<E>(a[i], where + "." + key + "[" + std::to_string(i) + "]", lo, hi));
  return out;
}

LatencyCurve make_curve(std::vector<double> rows, std::vector<double> ms, const std::string& where) {
  try {
    return LatencyCurve(std::move(rows), std::move(ms));
  } catch (const std::invalid_argument& e) {
    throw E(where + ": " + e.what());
  }
}

void check_provenance(const json& p) {
  const std::string w = "profile.provenance";
  const std::string type = jio::string_at<E>(p, "type", w);
  if (type == "measured") {
    jio::only_keys<E>(p, {"type", "machine", "cpu", "libraries", "threads", "date", "repetitions", "repetitions_made", "notes", "blas", "gpu",
                          "cpu_quota"}, w);
    if (p.contains("cpu_quota")) jio::number_at<E>(p, "cpu_quota", w, 0.01, 4096);
    if (p.contains("repetitions_made")) jio::object_at<E>(p, "repetitions_made", w);
    jio::string_at<E>(p, "machine", w);
    jio::string_at<E>(p, "date", w);
    jio::object_at<E>(p, "libraries", w);
    jio::number_at<E>(p, "threads", w, 1, 4096);
    jio::number_at<E>(p, "repetitions", w, 1, 1e9);
  } else if (type == "modeled") {
    jio::only_keys<E>(p, {"type", "sources", "notes"}, w);
    const json& s = jio::array_at<E>(p, "sources", w);
    if (s.empty()) throw E(w + ".sources: a modeled profile must name its sources");
    for (const json& x : s)
      if (!x.is_string() || x.get<std::string>().empty()) throw E(w + ".sources: must be non-empty strings");
  } else {
    throw E(w + ".type: must be 'measured' or 'modeled', got '" + type + "'");
  }
}

}  // namespace

DeviceProfile parse_profile(const std::string& text) {
  const json j = jio::parse_text<E>(text);
  const std::string w = "profile";
  if (!j.is_object()) throw E("profile: top level must be a JSON object");
  jio::only_keys<E>(j, {"format", "name", "kind", "precision", "memory_mb", "provenance", "fallback", "curves", "executor"}, w);
  const std::string format = jio::string_at<E>(j, "format", w);
  if (format != kProfileFormat) throw E("profile: format is '" + format + "', expected '" + kProfileFormat + "'");
  DeviceProfile p;
  p.name = jio::string_at<E>(j, "name", w);
  if (p.name.empty()) throw E("profile.name: must not be empty");
  p.kind = jio::string_at<E>(j, "kind", w);
  if (p.kind != "cpu" && p.kind != "gpu" && p.kind != "npu") throw E("profile.kind: must be cpu, gpu or npu");
  p.memory_bytes = static_cast<std::int64_t>(jio::number_at<E>(j, "memory_mb", w, 1, 1e8) * 1024 * 1024);
  if (j.contains("precision")) {
    const std::string name = jio::string_at<E>(j, "precision", w);
    const auto t = parse_element_type(name);
    if (!t || *t == ElementType::U8) throw E("profile.precision: unknown type '" + name + "' (fp32, fp16, int8)");
    p.precision = *t;
  }
  const json& prov = jio::object_at<E>(j, "provenance", w);
  check_provenance(prov);
  if (j.contains("executor")) {
    const json& x = jio::object_at<E>(j, "executor", w);
    const std::string xw = "profile.executor";
    jio::only_keys<E>(x, {"per_part_ms", "per_layer_ms", "ms_per_mb", "source"}, xw);
    p.executor.per_part_ms = jio::number_or<E>(x, "per_part_ms", xw, 0, 1e6, 0.0);
    p.executor.per_layer_ms = jio::number_or<E>(x, "per_layer_ms", xw, 0, 1e6, 0.0);
    p.executor.ms_per_mb = jio::number_or<E>(x, "ms_per_mb", xw, 0, 1e6, 0.0);
    p.executor.source = jio::string_at<E>(x, "source", xw);
    p.executor.present = true;
  }
  p.provenance_type = prov["type"].get<std::string>();
  p.provenance_json = prov.dump();
  p.cpu_quota = prov.contains("cpu_quota") ? prov["cpu_quota"].get<double>() : 0.0;

  const json& f = jio::object_at<E>(j, "fallback", w);
  const std::string fw = "profile.fallback";
  jio::only_keys<E>(f, {"peak_gmacs", "memory_bandwidth_gbs", "saturation_mmacs", "beta", "wave_outputs", "kinds"}, fw);
  FallbackModel& fb = p.fallback;
  fb.peak_gmacs = jio::number_at<E>(f, "peak_gmacs", fw, 1e-6, 1e9);
  fb.memory_bandwidth_gbs = jio::number_at<E>(f, "memory_bandwidth_gbs", fw, 1e-6, 1e9);
  fb.saturation_mmacs = jio::number_at<E>(f, "saturation_mmacs", fw, 1e-9, 1e12);
  fb.beta = jio::number_at<E>(f, "beta", fw, 0, 1);
  fb.wave_outputs = static_cast<std::int64_t>(jio::number_or<E>(f, "wave_outputs", fw, 0, 1e12, 0));
  fb.element_bytes = element_bytes(p.precision);
  const json& kinds = jio::object_at<E>(f, "kinds", fw);
  for (int c = 0; c < static_cast<int>(CostClass::Count); ++c) {
    const char* name = to_string(static_cast<CostClass>(c));
    const std::string kw = fw + ".kinds";
    const json& k = jio::object_at<E>(kinds, name, kw);
    jio::only_keys<E>(k, {"overhead_ms", "efficiency"}, kw + "." + name);
    fb.kinds[c].overhead_ms = jio::number_at<E>(k, "overhead_ms", kw + "." + name, 0, 1e6);
    fb.kinds[c].efficiency = jio::number_at<E>(k, "efficiency", kw + "." + name, 1e-6, 1);
  }
  if (kinds.size() != static_cast<std::size_t>(CostClass::Count))
    throw E(fw + ".kinds: expected exactly conv, depthwise, linear, pool, eltwise");

  if (j.contains("curves")) {
    const json& curves = jio::array_at<E>(j, "curves", w);
    for (std::size_t i = 0; i < curves.size(); ++i) {
      const std::string cw = "profile.curves[" + std::to_string(i) + "]";
      const json& c = curves[i];
      if (!c.is_object()) throw E(cw + ": must be an object");
      jio::only_keys<E>(c, {"signature", "rows", "p10_ms", "p50_ms", "p90_ms"}, cw);
      const std::string sig = jio::string_at<E>(c, "signature", cw);
      if (p.curves.count(sig)) throw E(cw + ": signature '" + sig + "' appears twice");
      const std::vector<double> rows = number_list(c, "rows", cw, 0, 1e7);
      p.curves[sig] = make_curve(rows, number_list(c, "p50_ms", cw, 0, 1e9), cw);
      if (c.contains("p10_ms")) p.p10[sig] = make_curve(rows, number_list(c, "p10_ms", cw, 0, 1e9), cw + ".p10_ms");
      if (c.contains("p90_ms")) p.p90[sig] = make_curve(rows, number_list(c, "p90_ms", cw, 0, 1e9), cw + ".p90_ms");
    }
  }
  if (p.provenance_type == "modeled" && !p.curves.empty())
    throw E("profile: a modeled profile has no measured curves; mark it 'measured' with its machine");
  return p;
}

DeviceProfile load_profile_file(const std::string& path) {
  const std::string text = jio::read_file<E>(path, "profile");
  try {
    return parse_profile(text);
  } catch (const E& e) {
    throw E(path + ": " + e.what());
  }
}

std::string profile_to_json(const DeviceProfile& p) {
  json j;
  j["format"] = kProfileFormat;
  j["name"] = p.name;
  j["kind"] = p.kind;
  j["precision"] = to_string(p.precision);
  j["memory_mb"] = static_cast<double>(p.memory_bytes) / (1024.0 * 1024.0);
  j["provenance"] = json::parse(p.provenance_json);
  if (p.executor.present)
    j["executor"] = {{"per_part_ms", p.executor.per_part_ms}, {"per_layer_ms", p.executor.per_layer_ms},
                     {"ms_per_mb", p.executor.ms_per_mb}, {"source", p.executor.source}};
  json kinds = json::object();
  for (int c = 0; c < static_cast<int>(CostClass::Count); ++c)
    kinds[to_string(static_cast<CostClass>(c))] = {{"overhead_ms", p.fallback.kinds[c].overhead_ms},
                                                    {"efficiency", p.fallback.kinds[c].efficiency}};
  j["fallback"] = {{"peak_gmacs", p.fallback.peak_gmacs},
                   {"memory_bandwidth_gbs", p.fallback.memory_bandwidth_gbs},
                   {"saturation_mmacs", p.fallback.saturation_mmacs},
                   {"beta", p.fallback.beta},
                   {"wave_outputs", p.fallback.wave_outputs},
                   {"kinds", kinds}};
  json curves = json::array();
  for (const auto& [sig, c] : p.curves) {
    json cj = {{"signature", sig}, {"rows", c.rows()}, {"p50_ms", c.ms()}};
    if (p.p10.count(sig)) cj["p10_ms"] = p.p10.at(sig).ms();
    if (p.p90.count(sig)) cj["p90_ms"] = p.p90.at(sig).ms();
    curves.push_back(cj);
  }
  if (!curves.empty()) j["curves"] = curves;
  return j.dump(2) + "\n";
}

}  // namespace edgeplan
