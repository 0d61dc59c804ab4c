// Charts of benchmark results.
#include "edgeplan/report/bench_charts.h"

#include <algorithm>
#include <cstdlib>

#include "edgeplan/report/svg_chart.h"

namespace edgeplan {

std::map<std::string, std::string> bench_chart_svgs(const BenchResults& r) {
  std::map<std::string, std::string> out;
  std::vector<std::string> planners;
  for (const auto& s : r.scenarios)
    for (const auto& p : s.planners)
      if (std::find(planners.begin(), planners.end(), p.planner) == planners.end()) planners.push_back(p.planner);
  std::vector<StripRow> rows;
  for (const auto& name : planners) {
    if (name == "single") continue;  // 1x by definition
    StripRow row{name, {}};
    for (const auto& s : r.scenarios)
      for (const auto& p : s.planners)
        if (p.planner == name && p.valid) row.values.push_back(p.speedup_vs_single);
    rows.push_back(row);
  }
  if (!rows.empty())
    out["speedup-vs-single.svg"] =
        strip_chart_svg("Speedup over single (whole model on the best device), " + std::to_string(r.scenarios.size()) +
                            " scenarios", "speedup over single (latency ratio, higher is better)", rows, 1.0);
  std::vector<ChartSeries> curves;
  for (const auto& name : planners) {
    ChartSeries c{name, {}, {}, {}, {}};
    std::vector<std::pair<double, double>> pts;
    for (const auto& s : r.scenarios) {
      if (s.name.rfind("DA-", 0) != 0) continue;
      const double mbps = std::atof(s.name.c_str() + 3);
      for (const auto& p : s.planners)
        if (p.planner == name && mbps > 0 && p.valid) pts.push_back({mbps, p.latency_ms});
    }
    std::sort(pts.begin(), pts.end());
    for (const auto& [x, y] : pts) {
      c.x.push_back(x);
      c.y.push_back(y);
    }
    if (!c.x.empty()) curves.push_back(c);
  }
  if (!curves.empty())
    out["latency-vs-bandwidth.svg"] = line_chart_svg("DA (2 TX2 + 2 Nano, VGG16): latency vs per-device rate",
                                                     "Mbit/s per device", "end-to-end latency (ms)", curves);
  return out;
}

}  // namespace edgeplan
