// Receptive-field propagation through spatial layers and volumes.
#include "edgeplan/model/region.h"


#include "edgeplan/model/error.h"

namespace edgeplan {

std::string to_string(const Interval& i) {
  return "[" + std::to_string(i.begin) + "," + std::to_string(i.end) + ")";
}

Interval input_interval(const Layer& layer, Axis axis, const Interval& out, int in_extent) {
  if (out.empty()) return Interval{};
  const Window& w = axis == Axis::Rows ? layer.win_h : layer.win_w;
  Interval in;
  switch (layer.kind) {
    case LayerKind::Conv:
    case LayerKind::MaxPool:
    case LayerKind::AvgPool:
      in = virtual_window(w, out);
      break;
    case LayerKind::ConvTranspose: {
      // Output o is position u = o + pad of the uncropped result, which input i reaches
      // through tap j when u = i*s + j*d: i in [ceil((u - d*(k-1)) / s), floor(u / s)].
      auto floor_div = [](long long a, long long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
      const long long lo = static_cast<long long>(out.begin) + w.pad - static_cast<long long>(w.dilation) * (w.kernel - 1);
      in.begin = static_cast<int>(-floor_div(-lo, w.stride));
      in.end = static_cast<int>(floor_div(static_cast<long long>(out.end) - 1 + w.pad, w.stride) + 1);
      break;
    }
    case LayerKind::Upsample:
      in.begin = out.begin / w.stride;
      in.end = (out.end - 1) / w.stride + 1;
      break;
    case LayerKind::Reorg:
      in.begin = out.begin * w.stride;
      in.end = out.end * w.stride;
      break;
    case LayerKind::Mul:
      // A per-channel vector (extent 1) scales every cell of the map: each part needs all of it.
      in = in_extent == 1 ? Interval{0, 1} : out;
      break;
    case LayerKind::Add:
    case LayerKind::Concat:
      in = out;
      break;
    default:
      if (layer.is_pointwise()) {
        in = out;
        break;
      }
      throw ModelError("layer '" + layer.name + "' (" + to_string(layer.kind) + ") has no row/column receptive field");
  }
  return intersect(in, Interval{0, in_extent});
}

VolumeRegions required_regions(const Graph& graph, LayerRange range, const std::map<int, Region>& requested) {
  if (range.first < 0 || range.last > graph.body_end() || range.size() <= 0)
    throw ModelError("layers [" + std::to_string(range.first) + "," + std::to_string(range.last) +
                     ") are not a volume of the spatial body [0," + std::to_string(graph.body_end()) + ")");
  VolumeRegions vr;
  vr.range = range;
  vr.layer_out.assign(static_cast<std::size_t>(range.size()), Region{});
  for (const auto& [tensor, region] : requested) {
    if (!range.contains(tensor))
      throw ModelError("requested tensor " + std::to_string(tensor) + " is not produced by the volume");
    vr.layer_out[static_cast<std::size_t>(tensor - range.first)] = region;
  }
  // Reverse topological order: every consumer inside the volume is visited before its producer.
  for (int l = range.last - 1; l >= range.first; --l) {
    Region& need = vr.layer_out[static_cast<std::size_t>(l - range.first)];
    const Layer& layer = graph.layer(l);
    need = Region{intersect(need.rows, Interval{0, layer.out.h}), intersect(need.cols, Interval{0, layer.out.w})};
    if (need.empty()) {
      need = Region{};
      continue;
    }
    for (int t : layer.inputs) {
      const Shape& s = graph.tensor_shape(t);
      Region in = input_region(layer, need, s);
      if (range.contains(t)) {
        Region& prev = vr.layer_out[static_cast<std::size_t>(t - range.first)];
        prev = hull(prev, in);
      } else {
        vr.inputs[t] = hull(vr.inputs[t], in);
      }
    }
  }
  return vr;
}

}  // namespace edgeplan
