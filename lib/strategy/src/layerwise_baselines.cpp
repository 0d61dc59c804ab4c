// Per-layer baselines as DistrEdge characterizes them: MoDNN, MeDNN, CoEdge; and Neurosurgeon.
#include <algorithm>
#include <limits>

#include "edgeplan/strategy/opt_planner.h"
#include "edgeplan/strategy/layerwise_baselines.h"
#include "edgeplan/strategy/planner_util.h"

namespace edgeplan {

using detail::add_row_volume;
using detail::empty_plan;
using detail::layer_units;
using detail::proportional_rows;
using detail::range_ms;

namespace {

std::vector<int> all_devices(const PlanningContext& ctx) {
  std::vector<int> d(static_cast<std::size_t>(ctx.device_count()));
  for (int i = 0; i < ctx.device_count(); ++i) d[static_cast<std::size_t>(i)] = i;
  return d;
}

}  // namespace

// MoDNN (BODP): each layer's rows in proportion to the device's profiled capability
// (inverse of its time for the whole model); the network is not considered.
Plan ModnnPlanner::plan(const PlanningContext& ctx) const {
  const Graph& g = ctx.graph;
  std::vector<double> speed;
  for (int d = 0; d < ctx.device_count(); ++d) speed.push_back(1.0 / range_ms(ctx, d, LayerRange{0, g.body_end()}));
  Plan p = empty_plan(ctx, ctx.home_device);
  for (const LayerRange& u : layer_units(g))
    add_row_volume(ctx, p, u, all_devices(ctx), proportional_rows(g.layer(u.last - 1).out.h, speed));
  return p;
}

// CoEdge (latency form): per layer, rows so that linear compute (ms per row on the device)
// plus linear transfer (the rows' input and output bytes over the device's link to the
// source) finish at the same time: rows proportional to 1 / (compute + transfer per row).
Plan CoedgePlanner::plan(const PlanningContext& ctx) const {
  const Graph& g = ctx.graph;
  Plan p = empty_plan(ctx, ctx.home_device);
  const double bpe = ctx.elements.activation_bytes();
  for (const LayerRange& u : layer_units(g)) {
    const int h = g.layer(u.last - 1).out.h;
    const double bytes_per_row =
        (detail::range_input_bytes(g, u, ctx.elements) + bpe * static_cast<double>(g.layer(u.last - 1).out.elements())) / h;
    std::vector<double> w;
    for (int d = 0; d < ctx.device_count(); ++d)
      w.push_back(1.0 / (range_ms(ctx, d, u) / h + bytes_per_row * detail::ms_per_byte(ctx, ctx.input_device, d)));
    add_row_volume(ctx, p, u, all_devices(ctx), proportional_rows(h, w));
  }
  return p;
}

// MeDNN (GTDP): per layer, the output cut into a grid of small 2-D blocks, each given in
// raster order to the device that would finish it first under a linear compute model.
Plan MednnPlanner::plan(const PlanningContext& ctx) const {
  const Graph& g = ctx.graph;
  Plan p = empty_plan(ctx, ctx.home_device);
  for (const LayerRange& u : layer_units(g)) {
    const Shape out = g.layer(u.last - 1).out;
    const int gr = std::min(out.h, 4), gc = std::min(out.w, 4);
    std::vector<double> free(static_cast<std::size_t>(ctx.device_count()), 0.0);
    std::vector<double> full;
    for (int d = 0; d < ctx.device_count(); ++d) full.push_back(range_ms(ctx, d, u));
    Volume v;
    v.layers = u;
    for (int i = 0; i < gr; ++i)
      for (int j = 0; j < gc; ++j) {
        const Interval rows{out.h * i / gr, out.h * (i + 1) / gr}, cols{out.w * j / gc, out.w * (j + 1) / gc};
        const double share = static_cast<double>(rows.size()) * cols.size() / (static_cast<double>(out.h) * out.w);
        int best = 0;
        for (int d = 1; d < ctx.device_count(); ++d)
          if (free[static_cast<std::size_t>(d)] + share * full[static_cast<std::size_t>(d)] <
              free[static_cast<std::size_t>(best)] + share * full[static_cast<std::size_t>(best)])
            best = d;
        free[static_cast<std::size_t>(best)] += share * full[static_cast<std::size_t>(best)];
        v.parts.push_back(Part{ctx.device_ids[static_cast<std::size_t>(best)], Region{rows, cols}});
      }
    p.volumes.push_back(std::move(v));
  }
  return p;
}

// Neurosurgeon: the input device and the fastest device ("server"); one cut j along the
// chain: layers before j on the input device, the feature map at j sent once, the rest
// and the tail on the server, the result back. The cut minimizing that sum wins.
Plan NeurosurgeonPlanner::plan(const PlanningContext& ctx) const {
  const Graph& g = ctx.graph;
  const int src = ctx.home_device;
  const LayerRange all{0, g.size()};
  int server = 0;
  for (int d = 1; d < ctx.device_count(); ++d)
    if (range_ms(ctx, d, all) < range_ms(ctx, server, all)) server = d;
  const double bpe = ctx.elements.activation_bytes();
  const double result = bpe * static_cast<double>(g.layer(g.size() - 1).out.elements());
  std::vector<int> cuts = single_tensor_cuts(g);
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(g.body_end());
  int best_cut = 0;
  double best_ms = std::numeric_limits<double>::infinity();
  for (int j : cuts) {
    double ms = range_ms(ctx, src, LayerRange{0, j});
    if (j < g.body_end()) {
      const double bytes = j == 0 ? ctx.elements.input_bytes() * static_cast<double>(g.input_shape().elements())
                                  : bpe * static_cast<double>(g.tensor_shape(g.live_outputs(LayerRange{0, j}).front()).elements());
      ms += ctx.network.min_transfer_ms(src, server, bytes) + range_ms(ctx, server, LayerRange{j, g.size()}) +
            ctx.network.min_transfer_ms(server, ctx.output_device, result);
    } else {
      ms += range_ms(ctx, src, LayerRange{g.body_end(), g.size()}) + ctx.network.min_transfer_ms(src, ctx.output_device, result);
    }
    if (ms < best_ms) {
      best_ms = ms;
      best_cut = j;
    }
  }
  const int tail = best_cut < g.body_end() ? server : src;
  Plan p = empty_plan(ctx, tail);
  if (best_cut > 0) add_row_volume(ctx, p, LayerRange{0, best_cut}, {src}, {g.layer(best_cut - 1).out.h});
  if (best_cut < g.body_end()) add_row_volume(ctx, p, LayerRange{best_cut, g.body_end()}, {server}, {g.layer(g.body_end() - 1).out.h});
  return p;
}

}  // namespace edgeplan
