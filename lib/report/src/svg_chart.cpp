// SVG line chart rendering.
#include "edgeplan/report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "edgeplan/model/error.h"
#include "svg_util.h"

namespace edgeplan {

using svg::escape;
using svg::kColours;
using svg::num;

std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                           const std::vector<ChartSeries>& series) {
  const double W = 820, H = 520, left = 80, right = 260, top = 50, bottom = 60;
  double xmax = 1, ymax = 1e-9;
  for (const auto& s : series) {
    for (double v : s.x) xmax = std::max(xmax, v);
    for (double v : s.y) ymax = std::max(ymax, v);
    for (double v : s.band_hi) ymax = std::max(ymax, v);
  }
  ymax *= 1.05;
  const double pw = W - left - right, ph = H - top - bottom;
  auto px = [&](double x) { return left + x / xmax * pw; };
  auto py = [&](double y) { return top + ph - y / ymax * ph; };
  std::string o = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(W) + "\" height=\"" + num(H) +
                  "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o += "<text x=\"" + num(left) + "\" y=\"28\" font-size=\"16\">" + escape(title) + "</text>\n";
  for (double x : svg::ticks(xmax, 8))
    o += "<line x1=\"" + num(px(x)) + "\" y1=\"" + num(top) + "\" x2=\"" + num(px(x)) + "\" y2=\"" + num(top + ph) +
         "\" stroke=\"#eee\"/><text x=\"" + num(px(x)) + "\" y=\"" + num(top + ph + 16) + "\" text-anchor=\"middle\">" +
         num(x) + "</text>\n";
  for (double y : svg::ticks(ymax, 6))
    o += "<line x1=\"" + num(left) + "\" y1=\"" + num(py(y)) + "\" x2=\"" + num(left + pw) + "\" y2=\"" + num(py(y)) +
         "\" stroke=\"#eee\"/><text x=\"" + num(left - 6) + "\" y=\"" + num(py(y) + 4) + "\" text-anchor=\"end\">" +
         num(y) + "</text>\n";
  o += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(pw) + "\" height=\"" + num(ph) +
       "\" fill=\"none\" stroke=\"#333\"/>\n";
  o += "<text x=\"" + num(left + pw / 2) + "\" y=\"" + num(H - 18) + "\" text-anchor=\"middle\">" + escape(x_label) + "</text>\n";
  o += "<text transform=\"translate(20," + num(top + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" + escape(y_label) +
       "</text>\n";
  for (std::size_t i = 0; i < series.size(); ++i) {
    const ChartSeries& s = series[i];
    const char* c = kColours[i % (sizeof kColours / sizeof kColours[0])];
    if (s.band_lo.size() == s.x.size() && s.band_hi.size() == s.x.size() && !s.x.empty()) {
      std::string pts;
      for (std::size_t k = 0; k < s.x.size(); ++k) pts += num(px(s.x[k])) + "," + num(py(s.band_hi[k])) + " ";
      for (std::size_t k = s.x.size(); k-- > 0;) pts += num(px(s.x[k])) + "," + num(py(s.band_lo[k])) + " ";
      o += "<polygon points=\"" + pts + "\" fill=\"" + c + "\" fill-opacity=\"0.15\" stroke=\"none\"/>\n";
    }
    std::string pts;
    for (std::size_t k = 0; k < s.x.size(); ++k) pts += num(px(s.x[k])) + "," + num(py(s.y[k])) + " ";
    o += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + c + "\" stroke-width=\"1.6\"/>\n";
    for (std::size_t k = 0; k < s.x.size(); ++k)
      o += "<circle cx=\"" + num(px(s.x[k])) + "\" cy=\"" + num(py(s.y[k])) + "\" r=\"2.2\" fill=\"" + c + "\"/>\n";
    const double ly = top + 10 + 34.0 * static_cast<double>(i);
    o += "<rect x=\"" + num(left + pw + 12) + "\" y=\"" + num(ly) + "\" width=\"12\" height=\"12\" fill=\"" + c + "\"/>\n";
    // Long labels (layer signatures) wrap onto two lines.
    std::string a = s.label, b;
    if (a.size() > 30) {
      const auto cut = a.rfind(' ', 30);
      b = a.substr(cut == std::string::npos ? 30 : cut + 1);
      a = a.substr(0, cut == std::string::npos ? 30 : cut);
    }
    o += "<text x=\"" + num(left + pw + 30) + "\" y=\"" + num(ly + 10) + "\" font-size=\"10\">" + escape(a) + "</text>\n";
    if (!b.empty())
      o += "<text x=\"" + num(left + pw + 30) + "\" y=\"" + num(ly + 23) + "\" font-size=\"10\">" + escape(b) + "</text>\n";
  }
  return o + "</svg>\n";
}

std::string strip_chart_svg(const std::string& title, const std::string& x_label, const std::vector<StripRow>& rows,
                            double reference) {
  const double W = 1000, left = 120, right = 150, top = 56, row_h = 30, bottom = 56;
  const double H = top + row_h * static_cast<double>(rows.size()) + bottom, pw = W - left - right;
  // Each row's drawable values (finite, positive), sorted; the axis spans them all.
  std::vector<std::vector<double>> sorted(rows.size());
  double lo = reference > 0 ? reference : 1e300, hi = reference > 0 ? reference : 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (double v : rows[i].values)
      if (std::isfinite(v) && v > 0) sorted[i].push_back(v);
    std::sort(sorted[i].begin(), sorted[i].end());
    if (!sorted[i].empty()) {
      lo = std::min(lo, sorted[i].front());
      hi = std::max(hi, sorted[i].back());
    }
  }
  if (!(hi > 0)) throw Error("strip chart '" + title + "': no finite positive value to draw");
  lo /= 1.15;
  hi *= 1.15;
  auto px = [&](double v) { return left + (std::log(v) - std::log(lo)) / (std::log(hi) - std::log(lo)) * pw; };
  std::string o = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(W) + "\" height=\"" + num(H) +
                  "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o += "<text x=\"" + num(left) + "\" y=\"26\" font-size=\"15\">" + escape(title) + "</text>\n";
  o += "<text x=\"" + num(left) + "\" y=\"44\" font-size=\"11\" fill=\"#555\">one dot per scenario; box: middle half; bar and "
       "number: median (log scale)</text>\n";
  const double plot_bottom = top + row_h * static_cast<double>(rows.size());
  for (double t : svg::log_ticks(lo, hi))
    o += "<line x1=\"" + num(px(t)) + "\" y1=\"" + num(top) + "\" x2=\"" + num(px(t)) + "\" y2=\"" + num(plot_bottom) +
         "\" stroke=\"#eee\"/><text x=\"" + num(px(t)) + "\" y=\"" + num(plot_bottom + 16) + "\" text-anchor=\"middle\">" + num(t) +
         "</text>\n";
  if (reference > 0)
    o += "<line x1=\"" + num(px(reference)) + "\" y1=\"" + num(top) + "\" x2=\"" + num(px(reference)) + "\" y2=\"" +
         num(plot_bottom) + "\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>\n";
  o += "<text x=\"" + num(left + pw / 2) + "\" y=\"" + num(H - 14) + "\" text-anchor=\"middle\">" + escape(x_label) + "</text>\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double y = top + row_h * (static_cast<double>(i) + 0.5);
    const char* c = kColours[i % (sizeof kColours / sizeof kColours[0])];
    const std::vector<double>& v = sorted[i];
    o += "<text x=\"" + num(left - 8) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\">" + escape(rows[i].label) + "</text>\n";
    if (v.empty()) continue;
    auto q = [&](double f) { return v[static_cast<std::size_t>(std::lround(f * static_cast<double>(v.size() - 1)))]; };
    o += "<rect x=\"" + num(px(q(0.25))) + "\" y=\"" + num(y - 9) + "\" width=\"" + num(std::max(1.0, px(q(0.75)) - px(q(0.25)))) +
         "\" height=\"18\" fill=\"" + c + "\" fill-opacity=\"0.18\" stroke=\"" + c + "\"/>\n";
    for (std::size_t k = 0; k < v.size(); ++k) {
      const double jitter = (static_cast<double>((k * 7) % 11) / 10.0 - 0.5) * 12;  // deterministic spread
      o += "<circle cx=\"" + num(px(v[k])) + "\" cy=\"" + num(y + jitter) + "\" r=\"2\" fill=\"" + c + "\" fill-opacity=\"0.6\"/>\n";
    }
    o += "<line x1=\"" + num(px(q(0.5))) + "\" y1=\"" + num(y - 12) + "\" x2=\"" + num(px(q(0.5))) + "\" y2=\"" + num(y + 12) +
         "\" stroke=\"#000\" stroke-width=\"2\"/>\n";
    char buf[64];
    std::snprintf(buf, sizeof buf, "median %.2f", q(0.5));
    o += "<text x=\"" + num(left + pw + 10) + "\" y=\"" + num(y + 4) + "\">" + buf + "</text>\n";
  }
  return o + "</svg>\n";
}

}  // namespace edgeplan
