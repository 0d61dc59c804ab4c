// Minimal SVG charts (line charts with bands, strip charts of distributions); no plotting library needed.
#pragma once
#include <string>
#include <vector>

namespace edgeplan {

struct ChartSeries {
  std::string label;
  std::vector<double> x, y;          // the line (and its sample dots)
  std::vector<double> band_lo, band_hi;  // optional spread band along x (same length as x)
};

// A chart with linear axes, ticks with units, a legend, one colour per series.
std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                           const std::vector<ChartSeries>& series);

struct StripRow {
  std::string label;
  std::vector<double> values;  // one per item (scenario); non-finite or non-positive ones are skipped
};

// One row per label on a log axis: a dot per value, the middle half as a box, the median
// marked and printed; a dashed line at `reference` (> 0; e.g. 1x). At most 1,000 px wide.
std::string strip_chart_svg(const std::string& title, const std::string& x_label, const std::vector<StripRow>& rows,
                            double reference = 0);

}  // namespace edgeplan
