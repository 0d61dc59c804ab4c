// Running the suite, its JSON, and the regression check.
#include "edgeplan/strategy/benchmark_suite.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/jsonio/fields.h"
#include "edgeplan/strategy/planner.h"

namespace edgeplan {

namespace jio = jsonio;
using nlohmann::json;

Suite load_suite_file(const std::string& path) {
  const json j = jio::parse_text<Error>(jio::read_file<Error>(path, "suite"));
  const std::string w = path;
  if (!j.is_object()) throw Error(path + ": top level must be a JSON object");
  jio::only_keys<Error>(j, {"format", "planners", "scenarios"}, w);
  if (jio::string_at<Error>(j, "format", w) != kSuiteFormat) throw Error(path + ": format must be '" + kSuiteFormat + "'");
  const auto slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? "." : path.substr(0, slash);
  Suite s;
  for (const json& p : jio::array_at<Error>(j, "planners", w)) {
    if (!p.is_string()) throw Error(path + ": planners must be names");
    make_planner(p.get<std::string>());  // throws for an unknown name
    s.planners.push_back(p.get<std::string>());
  }
  const json& sc = jio::array_at<Error>(j, "scenarios", w);
  for (std::size_t i = 0; i < sc.size(); ++i) {
    const std::string ew = w + ": scenarios[" + std::to_string(i) + "]";
    jio::only_keys<Error>(sc[i], {"scenario", "group", "quick"}, ew);
    SuiteEntry e;
    const std::string rel = jio::string_at<Error>(sc[i], "scenario", ew);
    e.scenario_path = !rel.empty() && rel[0] == '/' ? rel : base + "/" + rel;
    e.group = jio::string_at<Error>(sc[i], "group", ew);
    e.quick = jio::bool_at<Error>(sc[i], "quick", ew, false);
    s.entries.push_back(e);
  }
  if (s.entries.empty() || s.planners.empty()) throw Error(path + ": needs planners and scenarios");
  return s;
}

ScenarioResult evaluate_planners(const Scenario& s, const Simulator& sim, const std::vector<std::string>& planners,
                                 const std::function<void(const std::string&)>& done) {
  const PlanningContext ctx = PlanningContext::of(s, sim);
  ScenarioResult sr{s.name, "", "", {}};
  for (const std::string& name : planners) {
    PlannerResult r;
    r.planner = name;
    const auto t0 = std::chrono::steady_clock::now();
    const Plan p = make_planner(name)->plan(ctx);
    r.planning_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    try {
      validate_plan(p, s.graph);
      r.latency_ms = sim.latency_ms(p);
    } catch (const Error& err) {
      r.valid = false;
      r.error = err.what();
    }
    r.images_per_s = r.latency_ms > 0 ? 1000.0 / r.latency_ms : 0;
    r.gap = sim.lower_bound_ms() > 0 ? r.latency_ms / sim.lower_bound_ms() : 1;
    sr.planners.push_back(r);
    if (done) done(name);
  }
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
  return sr;
}

BenchResults run_suite(const Suite& suite, bool quick, const std::vector<std::string>& only,
                       const std::function<void(int, int, const std::string&)>& progress) {
  const std::vector<std::string> planners = only.empty() ? suite.planners : only;
  for (const auto& p : planners) make_planner(p);
  int total = 0, done = 0;
  for (const auto& e : suite.entries)
    if (!quick || e.quick) total += static_cast<int>(planners.size());
  BenchResults out;
  std::map<std::string, double> log_single, log_best;
  for (const SuiteEntry& e : suite.entries) {
    if (quick && !e.quick) continue;
    const Scenario s = load_scenario_file(e.scenario_path);
    const Simulator sim(s);
    ScenarioResult sr = evaluate_planners(s, sim, planners, [&](const std::string& name) {
      if (progress) progress(++done, total, s.name + " " + name);
    });
    sr.group = e.group;
    sr.path = e.scenario_path;
    for (const auto& r : sr.planners) {
      if (r.speedup_vs_single > 0) log_single[r.planner] += std::log(r.speedup_vs_single);
      if (r.speedup_vs_best_baseline > 0) log_best[r.planner] += std::log(r.speedup_vs_best_baseline);
    }
    out.scenarios.push_back(std::move(sr));
  }
  const double n = static_cast<double>(out.scenarios.size());
  for (const auto& [p, v] : log_single) out.geomean_vs_single[p] = std::exp(v / n);
  for (const auto& [p, v] : log_best) out.geomean_vs_best_baseline[p] = std::exp(v / n);
  return out;
}

std::string results_to_json(const BenchResults& r, const std::string& provenance_json) {
  nlohmann::ordered_json j;
  j["format"] = kBenchFormat;
  j["provenance"] = nlohmann::ordered_json::parse(provenance_json.empty() ? "{}" : provenance_json);
  j["scenarios"] = nlohmann::ordered_json::array();
  for (const auto& s : r.scenarios) {
    nlohmann::ordered_json ps = nlohmann::ordered_json::array();
    for (const auto& p : s.planners)
      ps.push_back({{"planner", p.planner},
                    {"latency_ms", p.latency_ms},
                    {"images_per_s", p.images_per_s},
                    {"speedup_vs_single", p.speedup_vs_single},
                    {"speedup_vs_best_baseline", p.speedup_vs_best_baseline},
                    {"gap", p.gap},
                    {"planning_ms", p.planning_ms},
                    {"valid", p.valid},
                    {"error", p.error}});
    j["scenarios"].push_back({{"name", s.name}, {"group", s.group}, {"planners", ps}});
  }
  j["geomean_speedup_vs_single"] = r.geomean_vs_single;
  j["geomean_speedup_vs_best_baseline"] = r.geomean_vs_best_baseline;
  return j.dump(2) + "\n";
}

BenchResults results_from_json(const std::string& text) {
  const json j = jio::parse_text<Error>(text);
  const std::string w = "results";
  if (!j.is_object() || jio::string_at<Error>(j, "format", w) != kBenchFormat)
    throw Error("results: format must be '" + std::string(kBenchFormat) + "'");
  BenchResults r;
  for (const json& s : jio::array_at<Error>(j, "scenarios", w)) {
    ScenarioResult sr;
    sr.name = jio::string_at<Error>(s, "name", "results.scenarios");
    sr.group = jio::string_at<Error>(s, "group", "results.scenarios");
    for (const json& p : jio::array_at<Error>(s, "planners", "results.scenarios")) {
      const std::string pw = "results.scenarios." + sr.name;
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

std::vector<Regression> check_against(const BenchResults& now, const BenchResults& base, double tolerance) {
  std::vector<Regression> out;
  for (const auto& s : now.scenarios)
    for (const auto& p : s.planners) {
      if (!p.valid) {
        out.push_back({s.name, p.planner, "plan fails validation: " + p.error});
        continue;
      }
      for (const auto& bs : base.scenarios) {
        if (bs.name != s.name) continue;
        for (const auto& bp : bs.planners) {
          if (bp.planner != p.planner || p.speedup_vs_single >= bp.speedup_vs_single * (1 - tolerance)) continue;
          char buf[200];
          std::snprintf(buf, sizeof buf, "speedup over single %.3fx is below the baseline's %.3fx by more than %.1f%%",
                        p.speedup_vs_single, bp.speedup_vs_single, 100 * tolerance);
          out.push_back({s.name, p.planner, buf});
        }
      }
    }
  return out;
}

}  // namespace edgeplan
