// Aggregating replay reports into the fidelity table.
#include "edgeplan/replay/fidelity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "edgeplan/compute/percentile.h"
#include "edgeplan/jsonio/fields.h"
#include "edgeplan/replay/rank_record.h"

namespace edgeplan {

using nlohmann::json;

namespace {
constexpr double kTie = 0.01;
}  // namespace

FidelityRow read_fidelity_row(const std::string& path) {
  try {
    const json j = jsonio::parse_text<ReplayError>(jsonio::read_file<ReplayError>(path, "replay report"));
    if (!j.is_object() || j.value("format", "") != "edgeplan.replay/v1") throw ReplayError("not an edgeplan.replay/v1 report");
    FidelityRow r;
    r.scenario = j.at("scenario").get<std::string>();
    r.network = j.at("network").value("scenario", "");
    r.model = j.at("model").get<std::string>();
    std::string plan = j.at("plan").get<std::string>();
    plan = plan.substr(plan.find_last_of('/') + 1);
    r.planner = plan.size() > 5 && plan.substr(plan.size() - 5) == ".json" ? plan.substr(0, plan.size() - 5) : plan;
    r.ranks = static_cast<int>(j.at("provenance").at("ranks").size());
    r.predicted_ms = j.at("predicted").at("latency_ms").get<double>();
    const json& m = j.at("measured").at("latency_ms");
    r.measured_ms = m.at("median").get<double>();
    r.p10_ms = m.at("p10").get<double>();
    r.p90_ms = m.at("p90").get<double>();
    if (!(r.measured_ms > 0) || !std::isfinite(r.predicted_ms)) throw ReplayError("latencies must be positive and finite");
    return r;
  } catch (const json::exception& e) {
    throw ReplayError(path + ": malformed replay report: " + std::string(e.what()).substr(0, 200));
  } catch (const ReplayError& e) {
    const std::string msg = e.what();
    throw ReplayError(msg.rfind(path, 0) == 0 ? msg : path + ": " + msg);
  }
}

FidelitySummary summarize_fidelity(std::vector<FidelityRow> rows) {
  FidelitySummary s;
  if (rows.empty()) throw ReplayError("no replay reports to summarize");
  std::stable_sort(rows.begin(), rows.end(), [](const FidelityRow& a, const FidelityRow& b) { return a.scenario < b.scenario; });
  s.rows = rows;
  std::vector<double> errs;
  for (const FidelityRow& r : rows) {
    errs.push_back(std::fabs(r.error()));
    if (errs.back() >= s.worst_abs_error) {
      s.worst_abs_error = errs.back();
      s.worst = r.model + ", " + r.network + ", " + r.planner;
    }
  }
  s.median_abs_error = percentile(errs, 0.5);
  s.p90_abs_error = percentile(errs, 0.9);
  std::map<std::string, std::vector<const FidelityRow*>> groups;
  for (const FidelityRow& r : s.rows) groups[r.scenario].push_back(&r);
  for (const auto& [name, g] : groups) {
    if (g.size() < 2) continue;
    ++s.groups;
    // Planners predicted within 1% of each other are a tie: the simulator does not order them.
    const double best_pred = (*std::min_element(g.begin(), g.end(), [](auto a, auto b) { return a->predicted_ms < b->predicted_ms; }))->predicted_ms;
    const auto by_meas = std::min_element(g.begin(), g.end(), [](auto a, auto b) { return a->measured_ms < b->measured_ms; });
    if ((*by_meas)->predicted_ms <= best_pred * (1 + kTie)) ++s.fastest_agrees;
    for (std::size_t i = 0; i < g.size(); ++i)
      for (std::size_t k = i + 1; k < g.size(); ++k) {
        const double a = g[i]->predicted_ms, b = g[k]->predicted_ms;
        if (std::fabs(a - b) <= kTie * std::min(a, b)) {
          ++s.pairs_tied;
          continue;
        }
        ++s.pairs;
        if ((a < b) == (g[i]->measured_ms < g[k]->measured_ms)) ++s.pairs_agree;
      }
  }
  return s;
}

std::string fidelity_markdown(const FidelitySummary& s) {
  std::string o = "| model | network | planner | ranks | predicted ms | measured ms (median) | p10-p90 ms | error |\n|---|---|---|---:|---:|---:|---:|---:|\n";
  char buf[512];
  for (const FidelityRow& r : s.rows) {
    std::snprintf(buf, sizeof buf, "| %s | %s | %s | %d | %.1f | %.1f | %.1f-%.1f | %+.1f%% |\n", r.model.c_str(), r.network.c_str(),
                  r.planner.c_str(), r.ranks, r.predicted_ms, r.measured_ms, r.p10_ms, r.p90_ms, 100 * r.error());
    o += buf;
  }
  std::snprintf(buf, sizeof buf,
                "\n%zu replays; |predicted - measured| / measured: median %.1f%%, p90 %.1f%%, worst %.1f%% (%s).\n",
                s.rows.size(), 100 * s.median_abs_error, 100 * s.p90_abs_error, 100 * s.worst_abs_error, s.worst.c_str());
  o += buf;
  if (s.groups > 0) {
    std::snprintf(buf, sizeof buf,
                  "Ranking: the planner measured fastest was predicted fastest (or within 1%% of it) in %d of %d scenarios; "
                  "%d of %d planner pairs (%.0f%%) keep their predicted order when measured (%d more pairs predicted within 1%% "
                  "of each other are ties, not counted).\n",
                  s.fastest_agrees, s.groups, s.pairs_agree, s.pairs, s.pairs ? 100.0 * s.pairs_agree / s.pairs : 0.0, s.pairs_tied);
    o += buf;
  }
  return o;
}

}  // namespace edgeplan
