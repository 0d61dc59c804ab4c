// SVG line chart rendering.
#include "svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace edgeplan::cli {

namespace {

const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                          "#bcbd22", "#7f7f7f", "#393b79"};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

// A "nice" tick step giving about `count` ticks over [0, hi].
double tick_step(double hi, int count) {
  const double raw = hi / count;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

}  // namespace

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
  const double xs = tick_step(xmax, 8), ys = tick_step(ymax, 6);
  for (double x = 0; x <= xmax + 1e-9; x += xs)
    o += "<line x1=\"" + num(px(x)) + "\" y1=\"" + num(top) + "\" x2=\"" + num(px(x)) + "\" y2=\"" + num(top + ph) +
         "\" stroke=\"#eee\"/><text x=\"" + num(px(x)) + "\" y=\"" + num(top + ph + 16) + "\" text-anchor=\"middle\">" +
         num(x) + "</text>\n";
  for (double y = 0; y <= ymax + 1e-12; y += ys)
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

std::string bar_chart_svg(const std::string& title, const std::string& y_label, const std::vector<std::string>& categories,
                          const std::vector<std::string>& series, const std::vector<std::vector<double>>& values) {
  const double left = 70, right = 150, top = 50, bottom = 60;
  const double group_w = std::max(60.0, 14.0 * static_cast<double>(series.size()) + 16);
  const double W = left + right + group_w * static_cast<double>(categories.size()), H = 460;
  const double pw = W - left - right, ph = H - top - bottom;
  double ymax = 1e-9;
  for (const auto& row : values)
    for (double v : row) ymax = std::max(ymax, v);
  ymax *= 1.08;
  auto py = [&](double y) { return top + ph - y / ymax * ph; };
  std::string o = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(W) + "\" height=\"" + num(H) +
                  "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o += "<text x=\"" + num(left) + "\" y=\"28\" font-size=\"15\">" + escape(title) + "</text>\n";
  const double ys = tick_step(ymax, 6);
  for (double y = 0; y <= ymax + 1e-12; y += ys)
    o += "<line x1=\"" + num(left) + "\" y1=\"" + num(py(y)) + "\" x2=\"" + num(left + pw) + "\" y2=\"" + num(py(y)) +
         "\" stroke=\"#eee\"/><text x=\"" + num(left - 6) + "\" y=\"" + num(py(y) + 4) + "\" text-anchor=\"end\">" + num(y) +
         "</text>\n";
  o += "<text transform=\"translate(18," + num(top + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" + escape(y_label) + "</text>\n";
  const double bar_w = (group_w - 16) / static_cast<double>(std::max<std::size_t>(1, series.size()));
  for (std::size_t c = 0; c < categories.size(); ++c) {
    const double gx = left + group_w * static_cast<double>(c) + 8;
    for (std::size_t k = 0; k < series.size(); ++k) {
      const double v = values[k][c];
      o += "<rect x=\"" + num(gx + bar_w * static_cast<double>(k)) + "\" y=\"" + num(py(v)) + "\" width=\"" + num(bar_w - 1) +
           "\" height=\"" + num(top + ph - py(v)) + "\" fill=\"" + kColours[k % (sizeof kColours / sizeof kColours[0])] +
           "\"><title>" + escape(series[k]) + " " + escape(categories[c]) + ": " + num(v) + "</title></rect>\n";
    }
    o += "<text x=\"" + num(gx + (group_w - 16) / 2) + "\" y=\"" + num(top + ph + 16) + "\" text-anchor=\"middle\">" +
         escape(categories[c]) + "</text>\n";
  }
  o += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(pw) + "\" height=\"" + num(ph) +
       "\" fill=\"none\" stroke=\"#333\"/>\n";
  for (std::size_t k = 0; k < series.size(); ++k) {
    const double ly = top + 8 + 18.0 * static_cast<double>(k);
    o += "<rect x=\"" + num(left + pw + 12) + "\" y=\"" + num(ly) + "\" width=\"12\" height=\"12\" fill=\"" +
         kColours[k % (sizeof kColours / sizeof kColours[0])] + "\"/><text x=\"" + num(left + pw + 30) + "\" y=\"" + num(ly + 10) +
         "\">" + escape(series[k]) + "</text>\n";
  }
  return o + "</svg>\n";
}

}  // namespace edgeplan::cli
