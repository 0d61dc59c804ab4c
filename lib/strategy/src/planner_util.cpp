// Shared helpers of the baseline planners.
#include "edgeplan/strategy/planner_util.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace edgeplan::detail {

std::vector<LayerRange> layer_units(const Graph& g) {
  std::vector<LayerRange> out;
  int start = 0;
  for (int p : single_tensor_cuts(g))
    if (g.layer(p).is_windowed()) {
      out.push_back({start, p});
      start = p;
    }
  out.push_back({start, g.body_end()});
  return out;
}

std::vector<LayerRange> scale_blocks(const Graph& g) {
  std::vector<LayerRange> out;
  int start = 0;
  for (int p : single_tensor_cuts(g)) {
    const Layer& last = g.layer(p - 1);
    if (last.out.h < g.tensor_shape(last.inputs[0]).h) {
      out.push_back({start, p});
      start = p;
    }
  }
  out.push_back({start, g.body_end()});
  return out;
}

std::vector<int> proportional_rows(int n, const std::vector<double>& w) {
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  std::vector<int> rows(w.size(), 0);
  if (total <= 0 || w.empty()) {
    if (!rows.empty()) rows[0] = n;
    return rows;
  }
  std::vector<std::pair<double, std::size_t>> rest;
  int given = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double exact = n * w[i] / total;
    rows[i] = static_cast<int>(std::floor(exact));
    given += rows[i];
    rest.push_back({exact - rows[i], i});
  }
  std::sort(rest.begin(), rest.end(), [](auto a, auto b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  for (std::size_t k = 0; given < n; ++k, ++given) rows[rest[k % rest.size()].second]++;
  return rows;
}

double range_ms(const PlanningContext& ctx, int device, LayerRange range) {
  double ms = 0;
  for (int l = range.first; l < range.last; ++l) ms += ctx.cost.layer_ms(device, l, ctx.graph.layer(l).out.h);
  return ms;
}

Plan empty_plan(const PlanningContext& ctx, int tail_device) {
  Plan p;
  set_plan_model(p, ctx.graph);
  p.devices = ctx.device_ids;
  if (ctx.graph.body_end() < ctx.graph.size())
    p.tail = Tail{LayerRange{ctx.graph.body_end(), ctx.graph.size()}, ctx.device_ids[static_cast<std::size_t>(tail_device)]};
  return p;
}

void add_row_volume(const PlanningContext& ctx, Plan& plan, LayerRange range, const std::vector<int>& order,
                    const std::vector<int>& rows) {
  Volume v;
  v.layers = range;
  const int w = ctx.graph.layer(range.last - 1).out.w;
  int start = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (rows[i] <= 0) continue;
    v.parts.push_back(Part{ctx.device_ids[static_cast<std::size_t>(order[i])], Region{{start, start + rows[i]}, {0, w}}});
    start += rows[i];
  }
  plan.volumes.push_back(std::move(v));
}

double at_rows(const std::vector<int>& r, const std::vector<double>& v, int rows) {
  if (rows <= 0) return 0;
  std::size_t k = 0;
  while (k + 1 < r.size() && r[k] < rows) ++k;
  if (rows >= r[k]) return v[k];
  if (k == 0) return v[0] * rows / r[0];
  const double f = static_cast<double>(rows - r[k - 1]) / (r[k] - r[k - 1]);
  return v[k - 1] + f * (v[k] - v[k - 1]);
}

double ms_per_byte(const PlanningContext& ctx, int a, int b) {
  if (a == b) return 0;
  return (ctx.network.min_transfer_ms(a, b, 1e6) - ctx.network.min_transfer_ms(a, b, 0)) / 1e6;
}

double range_input_bytes(const Graph& g, LayerRange range, const ElementSizes& elements) {
  double bytes = 0;
  for (int t : g.external_inputs(range)) bytes += elements.of(t) * static_cast<double>(g.tensor_shape(t).elements());
  return bytes;
}

VolumeRegions part_regions(const Graph& g, LayerRange range, const Region& want, const std::vector<int>& live) {
  const Shape anchor = g.layer(range.last - 1).out;
  std::map<int, Region> req;
  for (int t : live) req[t] = scale_region(want, anchor, g.tensor_shape(t));
  return required_regions(g, range, req);
}

double part_input_bytes(const Graph& g, const VolumeRegions& regions, const ElementSizes& elements, double start) {
  double bytes = start;
  for (const auto& [t, reg] : regions.inputs) bytes += static_cast<double>(elements.of(t)) * reg.rows.size() * reg.cols.size() * g.tensor_shape(t).c;
  return bytes;
}

double part_compute_ms(const PlanningContext& ctx, int device, LayerRange range, const VolumeRegions& regions, double start) {
  double ms = start;
  for (int l = range.first; l < range.last; ++l) {
    const Region& o = regions.out(l);
    if (!o.empty()) ms += ctx.cost.layer_ms(device, l, static_cast<double>(o.rows.size()) * o.cols.size() / ctx.graph.layer(l).out.w);
  }
  return ms;
}

}  // namespace edgeplan::detail
