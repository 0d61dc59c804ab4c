// SVG Gantt chart: per device a compute lane and a network lane, volume labels, idle gaps.
#include "edgeplan/report/gantt_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "edgeplan/model/error.h"
#include "svg_util.h"

namespace edgeplan {

using svg::escape;
using svg::num;

namespace {

constexpr double kLeft = 130, kRight = 30, kLane = 16, kGap = 14, kWidth = 1000;

double chart_height(const SimResult& r) { return 60 + static_cast<double>(r.devices.size()) * (2 * kLane + kGap) + 70; }

void check_finite(const SimResult& r) {
  if (!std::isfinite(r.latency_ms))
    throw Error("the plan never finishes in this scenario (a link's rate drops to 0 for good): no Gantt chart to draw");
}

// One chart whose top edge is at y0, on a time axis of tmax ms.
std::string gantt_block(const std::string& title, const std::string& subtitle, const SimResult& r, double y0, double tmax) {
  const double left = kLeft, lane = kLane, gap = kGap, pw = kWidth - kLeft - kRight, top = y0 + 60;
  const std::size_t n = r.devices.size();
  auto px = [&](double t) { return left + t / tmax * pw; };
  std::string o = "<text x=\"" + num(left) + "\" y=\"" + num(y0 + 24) + "\" font-size=\"15\">" + escape(title) + "</text>\n";
  o += "<text x=\"" + num(left) + "\" y=\"" + num(y0 + 42) + "\">" + escape(subtitle) +
       "; compute (blue, labelled with the volume), send (orange), receive (green), idle (blank)</text>\n";
  // Time axis with ms ticks.
  const double axis_y = top + static_cast<double>(n) * (2 * lane + gap);
  for (double t : svg::ticks(tmax, 10))
    o += "<line x1=\"" + num(px(t)) + "\" y1=\"" + num(top - 4) + "\" x2=\"" + num(px(t)) + "\" y2=\"" + num(axis_y) +
         "\" stroke=\"#eee\"/><text x=\"" + num(px(t)) + "\" y=\"" + num(axis_y + 14) + "\" text-anchor=\"middle\">" + num(t) +
         "</text>\n";
  o += "<text x=\"" + num(left + pw / 2) + "\" y=\"" + num(axis_y + 32) + "\" text-anchor=\"middle\">time (ms)</text>\n";
  for (std::size_t d = 0; d < n; ++d) {
    const double y = top + static_cast<double>(d) * (2 * lane + gap);
    o += "<text x=\"" + num(left - 8) + "\" y=\"" + num(y + lane + 4) + "\" text-anchor=\"end\">" + escape(r.devices[d].id) + "</text>\n";
    o += "<rect x=\"" + num(left) + "\" y=\"" + num(y) + "\" width=\"" + num(pw) + "\" height=\"" + num(2 * lane) +
         "\" fill=\"#fafafa\" stroke=\"#ddd\"/>\n";
  }
  for (const TimelineEvent& e : r.timeline) {
    if (e.end_ms <= e.start_ms) continue;
    const double y = top + static_cast<double>(e.device) * (2 * lane + gap);
    const bool compute = e.kind == TimelineEvent::Kind::Compute;
    const char* fill = compute ? "#4e79a7" : e.kind == TimelineEvent::Kind::Send ? "#f28e2b" : "#59a14f";
    const double ly = compute ? y : y + lane;
    const double h = compute ? lane : lane / 2;
    const double yy = e.kind == TimelineEvent::Kind::Receive ? ly + lane / 2 : ly;
    const double x0 = px(e.start_ms), w = std::max(0.5, px(e.end_ms) - x0);
    o += "<rect x=\"" + num(x0) + "\" y=\"" + num(yy) + "\" width=\"" + num(w) + "\" height=\"" + num(h) + "\" fill=\"" + fill +
         "\" stroke=\"white\" stroke-width=\"0.3\"><title>" + (compute ? "compute" : e.kind == TimelineEvent::Kind::Send ? "send" : "receive") +
         " volume " + std::to_string(e.volume) + ", " + num(e.start_ms) + "-" + num(e.end_ms) + " ms" +
         (e.bytes > 0 ? ", " + std::to_string(e.bytes) + " B" : "") + "</title></rect>\n";
    if (compute && w > 18)
      o += "<text x=\"" + num(x0 + w / 2) + "\" y=\"" + num(y + lane - 4) + "\" text-anchor=\"middle\" fill=\"white\" font-size=\"9\">v" +
           std::to_string(e.volume) + "</text>\n";
  }
  return o;
}

std::string svg_open(double height) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" + num(height) +
         "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
}

}  // namespace

std::string gantt_svg(const std::string& title, const SimResult& r) {
  check_finite(r);
  return svg_open(chart_height(r)) +
         gantt_block(title, "end-to-end " + num(r.latency_ms) + " ms, lower bound " + num(r.lower_bound_ms) + " ms", r, 0,
                     std::max(r.latency_ms, 1e-9)) +
         "</svg>\n";
}

std::string gantt_compare_svg(const std::string& title, const SimResult& predicted, const SimResult& measured) {
  check_finite(predicted);
  check_finite(measured);
  const double tmax = std::max({predicted.latency_ms, measured.latency_ms, 1e-9});
  const double h1 = chart_height(predicted);
  return svg_open(h1 + chart_height(measured)) +
         gantt_block(title + ": predicted", "simulator: end-to-end " + num(predicted.latency_ms) + " ms", predicted, 0, tmax) +
         gantt_block(title + ": measured", "replay, median repeat: end-to-end " + num(measured.latency_ms) + " ms", measured, h1, tmax) +
         "</svg>\n";
}

}  // namespace edgeplan
