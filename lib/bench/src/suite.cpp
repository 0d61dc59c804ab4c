// The suite file, results JSON, their summaries and the regression check.
#include "edgeplan/bench/suite.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "edgeplan/jsonio/fields.h"
#include "edgeplan/model/error.h"

namespace edgeplan {

namespace jio = jsonio;
using nlohmann::json;

namespace {

std::string base_name(const std::string& spec) { return spec.substr(0, spec.find(':')); }

json parse_named(const std::string& text, const std::string& path) {
  try {
    return jio::parse_text<Error>(text);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

}  // namespace

Suite parse_suite(const std::string& text, const std::string& path, const std::function<void(const std::string&)>& check_planner) {
  const json j = parse_named(text, path);
  const std::string w = path;
  if (!j.is_object()) throw Error(path + ": top level must be a JSON object");
  jio::only_keys<Error>(j, {"format", "planners", "scenarios"}, w);
  if (jio::string_at<Error>(j, "format", w) != kSuiteFormat) throw Error(path + ": format must be '" + kSuiteFormat + "'");
  const auto slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? "." : path.substr(0, slash);
  Suite s;
  const json& planners = jio::array_at<Error>(j, "planners", w);
  for (std::size_t i = 0; i < planners.size(); ++i) {
    const json& p = planners[i];
    if (!p.is_string()) throw Error(path + ": planners[" + std::to_string(i) + "] must be a planner name");
    if (check_planner) try {
        check_planner(p.get<std::string>());
      } catch (const Error& e) {
        throw Error(path + ": planners[" + std::to_string(i) + "]: " + e.what());
      }
    s.planners.push_back(p.get<std::string>());
  }
  const json& sc = jio::array_at<Error>(j, "scenarios", w);
  for (std::size_t i = 0; i < sc.size(); ++i) {
    const std::string ew = w + ": scenarios[" + std::to_string(i) + "]";
    if (!sc[i].is_object()) throw Error(ew + ": must be an object");
    jio::only_keys<Error>(sc[i], {"scenario", "group", "quick"}, ew);
    SuiteEntry e;
    const std::string rel = jio::string_at<Error>(sc[i], "scenario", ew);
    if (rel.empty()) throw Error(ew + ".scenario: must name a file");
    e.scenario_path = rel[0] == '/' ? rel : base + "/" + rel;
    e.group = jio::string_at<Error>(sc[i], "group", ew);
    e.quick = jio::bool_at<Error>(sc[i], "quick", ew, false);
    s.entries.push_back(e);
  }
  if (s.entries.empty() || s.planners.empty()) throw Error(path + ": needs planners and scenarios");
  return s;
}

Suite load_suite_file(const std::string& path, const std::function<void(const std::string&)>& check_planner) {
  return parse_suite(jio::read_file<Error>(path, "suite"), path, check_planner);
}

double geometric_mean(const std::vector<double>& v) {
  if (v.empty()) return 0.0;
  double l = 0;
  for (double x : v) l += std::log(x);
  return std::exp(l / static_cast<double>(v.size()));
}

void fill_speedups(ScenarioResult& sr) {
  double single = 0;
  for (const auto& r : sr.planners)
    if (r.planner == "single") single = r.latency_ms;
  for (auto& r : sr.planners) {
    double best_other = 1e300;
    for (const auto& q : sr.planners)
      if (q.valid && q.planner != "opt" && q.planner != r.planner) best_other = std::min(best_other, q.latency_ms);
    if (r.latency_ms > 0) {
      r.speedup_vs_single = single > 0 ? single / r.latency_ms : 0;
      r.speedup_vs_best_baseline = best_other < 1e300 ? best_other / r.latency_ms : 1;
    }
  }
}

void fill_geomeans(BenchResults& out) {
  std::map<std::string, double> log_single, log_best;
  for (const auto& sr : out.scenarios)
    for (const auto& r : sr.planners) {
      if (r.speedup_vs_single > 0) log_single[r.planner] += std::log(r.speedup_vs_single);
      if (r.speedup_vs_best_baseline > 0) log_best[r.planner] += std::log(r.speedup_vs_best_baseline);
    }
  const double n = static_cast<double>(out.scenarios.size());
  out.geomean_vs_single.clear();
  out.geomean_vs_best_baseline.clear();
  for (const auto& [p, v] : log_single) out.geomean_vs_single[p] = std::exp(v / n);
  for (const auto& [p, v] : log_best) out.geomean_vs_best_baseline[p] = std::exp(v / n);
}

std::string results_to_json(const BenchResults& r, const std::string& provenance_json) {
  nlohmann::ordered_json j;
  j["format"] = kBenchFormat;
  j["provenance"] = nlohmann::ordered_json::parse(provenance_json.empty() ? "{}" : provenance_json);
  j["scenarios"] = nlohmann::ordered_json::array();
  for (const auto& s : r.scenarios) {
    nlohmann::ordered_json ps = nlohmann::ordered_json::array();
    for (const auto& p : s.planners) {
      ps.push_back({{"planner", p.planner},
                    {"latency_ms", p.latency_ms},
                    {"images_per_s", p.images_per_s},
                    {"speedup_vs_single", p.speedup_vs_single},
                    {"speedup_vs_best_baseline", p.speedup_vs_best_baseline},
                    {"gap", p.gap},
                    {"planning_ms", p.planning_ms},
                    {"valid", p.valid},
                    {"error", p.error}});
      if (!p.backbone_bytes.empty()) ps.back()["backbone_bytes"] = p.backbone_bytes;
    }
    nlohmann::ordered_json sj = {{"name", s.name}, {"group", s.group}};
    if (!s.model.empty()) sj["model"] = s.model;
    if (!s.model_sha256.empty()) sj["model_sha256"] = s.model_sha256;
    sj["planners"] = ps;
    j["scenarios"].push_back(sj);
  }
  j["geomean_speedup_vs_single"] = r.geomean_vs_single;
  j["geomean_speedup_vs_best_baseline"] = r.geomean_vs_best_baseline;
  return j.dump(2) + "\n";
}

BenchResults results_from_json(const std::string& text, const std::string& path) {
  const json j = parse_named(text, path);
  const std::string w = path;
  if (!j.is_object() || jio::string_at<Error>(j, "format", w) != kBenchFormat)
    throw Error(path + ": format must be '" + std::string(kBenchFormat) + "'");
  BenchResults r;
  const json& scenarios = jio::array_at<Error>(j, "scenarios", w);
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const json& s = scenarios[i];
    const std::string sw = w + ": scenarios[" + std::to_string(i) + "]";
    if (!s.is_object()) throw Error(sw + ": must be an object");
    ScenarioResult sr;
    sr.name = jio::string_at<Error>(s, "name", sw);
    sr.group = jio::string_at<Error>(s, "group", sw);
    for (const json& p : jio::array_at<Error>(s, "planners", sw)) {
      const std::string pw = sw + " (" + sr.name + ")";
      if (!p.is_object()) throw Error(pw + ": planners must be objects");
      PlannerResult pr;
      pr.planner = jio::string_at<Error>(p, "planner", pw);
      pr.latency_ms = jio::number_at<Error>(p, "latency_ms", pw, 0, 1e300);
      pr.speedup_vs_single = jio::number_at<Error>(p, "speedup_vs_single", pw, 0, 1e300);
      pr.speedup_vs_best_baseline = jio::number_or<Error>(p, "speedup_vs_best_baseline", pw, 0, 1e300, 0);
      pr.valid = jio::bool_at<Error>(p, "valid", pw, true);
      sr.planners.push_back(pr);
    }
    r.scenarios.push_back(std::move(sr));
  }
  return r;
}

BenchResults load_results_file(const std::string& path) {
  return results_from_json(jio::read_file<Error>(path, "results"), path);
}

std::string group_summary_markdown(const BenchResults& r) {
  std::map<std::string, std::vector<double>> vs_aofl, vs_best, vs_single;
  std::vector<std::string> order;
  for (const auto& s : r.scenarios) {
    double opt = 0, aofl = 0, single = 0, best = 1e300;
    for (const auto& p : s.planners) {
      if (!p.valid || !(p.latency_ms > 0)) continue;  // a planner that does not apply here
      if (p.planner == "opt") opt = p.latency_ms;
      else best = std::min(best, p.latency_ms);
      if (p.planner == "aofl") aofl = p.latency_ms;
      if (p.planner == "single") single = p.latency_ms;
    }
    if (opt <= 0) continue;
    if (!vs_best.count(s.group)) order.push_back(s.group);
    if (aofl > 0) vs_aofl[s.group].push_back(aofl / opt);
    if (best < 1e300) vs_best[s.group].push_back(best / opt);
    if (single > 0) vs_single[s.group].push_back(single / opt);
  }
  std::string md = "| group | scenarios | opt vs aofl | opt vs best baseline | opt vs single |\n|---|---|---|---|---|\n";
  char buf[200];
  for (const auto& g : order) {
    char aofl[32] = "-";  // suites without aofl (the tiered one)
    if (!vs_aofl[g].empty()) std::snprintf(aofl, sizeof aofl, "%.2fx", geometric_mean(vs_aofl[g]));
    std::snprintf(buf, sizeof buf, "| %s | %zu | %s | %.2fx | %.2fx |\n", g.c_str(), vs_best[g].size(), aofl,
                  geometric_mean(vs_best[g]), geometric_mean(vs_single[g]));
    md += buf;
  }
  return md;
}

std::string results_markdown(const BenchResults& r) {
  std::string md = "| scenario | group | planner | latency ms | images/s | vs single | vs best baseline | gap | planning ms |\n"
                   "|---|---|---|---|---|---|---|---|---|\n";
  char buf[256];
  for (const auto& s : r.scenarios)
    for (const auto& p : s.planners) {
      std::snprintf(buf, sizeof buf, "| %s | %s | %s | %.3f | %.2f | %.2fx | %.2fx | %.2fx | %.2f |\n", s.name.c_str(),
                    s.group.c_str(), p.planner.c_str(), p.latency_ms, p.images_per_s, p.speedup_vs_single,
                    p.speedup_vs_best_baseline, p.gap, p.planning_ms);
      md += buf;
    }
  md += "\n| planner | geomean speedup vs single | geomean speedup vs best baseline |\n|---|---|---|\n";
  for (const auto& [p, v] : r.geomean_vs_single) {
    std::snprintf(buf, sizeof buf, "| %s | %.3fx | %.3fx |\n", p.c_str(), v, r.geomean_vs_best_baseline.at(p));
    md += buf;
  }
  return md;
}

std::vector<Regression> check_against(const BenchResults& now, const BenchResults& base, double tolerance,
                                      const std::string& baseline_name) {
  std::vector<Regression> out;
  int compared = 0;
  char buf[400];
  for (const auto& s : now.scenarios) {
    const ScenarioResult* bs = nullptr;
    for (const auto& c : base.scenarios)
      if (c.name == s.name) bs = &c;
    const PlannerResult* opt = nullptr;
    for (const auto& p : s.planners)
      if (p.valid && base_name(p.planner) == "opt") opt = &p;
    for (const auto& p : s.planners) {
      if (!p.valid) {
        out.push_back({s.name, p.planner, "plan fails validation: " + p.error});
        continue;
      }
      // opt starts from every other planner's plan it knows, so it must never be slower.
      if (opt && base_name(p.planner) != "opt" && opt->latency_ms > p.latency_ms * (1 + 1e-9)) {
        std::snprintf(buf, sizeof buf, "%s's plan (%.3f ms) is slower than this planner's (%.3f ms)", opt->planner.c_str(),
                      opt->latency_ms, p.latency_ms);
        out.push_back({s.name, p.planner, buf});
      }
      const PlannerResult* bp = nullptr;
      if (bs)
        for (const auto& c : bs->planners)
          if (base_name(c.planner) == base_name(p.planner)) bp = &c;
      if (!bp) {
        out.push_back({s.name, p.planner, "missing from " + baseline_name + " (nothing to compare with)"});
        continue;
      }
      ++compared;
      if (p.speedup_vs_single >= bp->speedup_vs_single * (1 - tolerance)) continue;
      std::snprintf(buf, sizeof buf, "speedup over single %.3fx is below %s's %.3fx by more than %.1f%%", p.speedup_vs_single,
                    baseline_name.c_str(), bp->speedup_vs_single, 100 * tolerance);
      out.push_back({s.name, p.planner, buf});
    }
  }
  if (compared == 0) out.push_back({"(all)", "(all)", "nothing was compared: " + baseline_name + " has none of these scenarios and planners"});
  return out;
}

}  // namespace edgeplan
