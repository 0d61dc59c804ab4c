#include "svg_util.h"

#include <cmath>
#include <cstdio>

#include "edgeplan/model/error.h"

namespace edgeplan::svg {

const char* const kColours[11] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                  "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79"};

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
    else if (c == '"') out += "&quot;";
    else if (c == '\'') out += "&apos;";
    else if (static_cast<unsigned char>(c) < 0x20 && c != '\t') continue;  // not allowed in XML 1.0
    else out += c;
  }
  return out;
}

std::vector<double> ticks(double hi, int count) {
  if (!std::isfinite(hi) || hi <= 0) throw Error("cannot draw an axis up to " + num(hi) + " (not a finite positive number)");
  const double raw = hi / count;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  std::vector<double> out;
  for (int i = 0; i <= 4 * count && i * step <= hi * (1 + 1e-9); ++i) out.push_back(i * step);  // bounded
  return out;
}

std::vector<double> log_ticks(double lo, double hi) {
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo > 0 && hi >= lo))
    throw Error("cannot draw a log axis over [" + num(lo) + ", " + num(hi) + "]");
  std::vector<double> out;
  for (int e = static_cast<int>(std::floor(std::log10(lo))); e <= static_cast<int>(std::ceil(std::log10(hi))) && out.size() < 64; ++e)
    for (double m : {1.0, 2.0, 5.0}) {
      const double t = m * std::pow(10.0, e);
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) out.push_back(t);
    }
  return out;
}

}  // namespace edgeplan::svg
