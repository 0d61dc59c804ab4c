// Minimal SVG line charts (latency vs rows) written by the CLI; no plotting library needed.
#pragma once
#include <string>
#include <vector>

namespace edgeplan::cli {

struct ChartSeries {
  std::string label;
  std::vector<double> x, y;          // the line (and its sample dots)
  std::vector<double> band_lo, band_hi;  // optional spread band along x (same length as x)
};

// A chart with linear axes, ticks with units, a legend, one colour per series.
std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                           const std::vector<ChartSeries>& series);

// Grouped bars: one group per category, one bar per series (values[series][category]).
std::string bar_chart_svg(const std::string& title, const std::string& y_label, const std::vector<std::string>& categories,
                          const std::vector<std::string>& series, const std::vector<std::vector<double>>& values);

}  // namespace edgeplan::cli
