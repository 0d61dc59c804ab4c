// Layer signatures, the fallback latency model, and profile lookups.
#include "edgeplan/costmodel/device_profile.h"

#include <algorithm>
#include <cmath>

namespace edgeplan {

std::string layer_signature(const Graph& graph, int index) {
  const Layer& l = graph.layer(index);
  std::string s = to_string(l.kind);
  if (l.is_windowed() || l.kind == LayerKind::ConvTranspose) {
    s += " k" + std::to_string(l.win_h.kernel) + "x" + std::to_string(l.win_w.kernel) + " s" +
         std::to_string(l.win_h.stride) + "x" + std::to_string(l.win_w.stride) + " p" + std::to_string(l.win_h.pad) +
         "x" + std::to_string(l.win_w.pad);
    if (!l.win_h.symmetric() || !l.win_w.symmetric())
      s += " e" + std::to_string(l.win_h.end_pad()) + "x" + std::to_string(l.win_w.end_pad());
  }
  if (l.kind == LayerKind::ConvTranspose && (l.win_h.extra || l.win_w.extra))
    s += " o" + std::to_string(l.win_h.extra) + "x" + std::to_string(l.win_w.extra);
  if (l.kind == LayerKind::Conv || l.kind == LayerKind::ConvTranspose)
    s += " d" + std::to_string(l.win_h.dilation) + "x" + std::to_string(l.win_w.dilation) + " g" +
         std::to_string(l.groups) + (l.bias ? " bias" : "");
  if (l.kind == LayerKind::Linear && l.bias) s += " bias";
  if (l.ceil_mode) s += " ceil";
  if (l.kind == LayerKind::AvgPool && !l.count_include_pad) s += " excl";
  if (l.kind == LayerKind::Upsample || l.kind == LayerKind::Reorg) s += " f" + std::to_string(l.win_h.stride);
  if (l.kind == LayerKind::ChannelSlice) s += " from" + std::to_string(l.channel_begin);
  if (l.kind == LayerKind::ChannelShuffle) s += " g" + std::to_string(l.groups);
  if (l.kind == LayerKind::HardSigmoid || l.kind == LayerKind::Clip)
    s += " a" + std::to_string(l.alpha) + " b" + std::to_string(l.beta);
  s += " in";
  for (std::size_t i = 0; i < l.inputs.size(); ++i) s += (i ? "+" : "") + to_string(graph.tensor_shape(l.inputs[i]));
  return s + " out" + to_string(l.out);
}

const char* to_string(CostClass c) {
  switch (c) {
    case CostClass::Conv: return "conv";
    case CostClass::Depthwise: return "depthwise";
    case CostClass::Linear: return "linear";
    case CostClass::Pool: return "pool";
    case CostClass::Eltwise: return "eltwise";
    case CostClass::Count: break;
  }
  return "unknown";
}

CostClass cost_class(const Layer& l) {
  switch (l.kind) {
    case LayerKind::Conv:
    case LayerKind::ConvTranspose: return l.groups > 1 ? CostClass::Depthwise : CostClass::Conv;
    case LayerKind::Linear: return CostClass::Linear;
    case LayerKind::MaxPool:
    case LayerKind::AvgPool:
    case LayerKind::GlobalAvgPool:
    case LayerKind::AdaptiveAvgPool: return CostClass::Pool;
    default: return CostClass::Eltwise;
  }
}

LayerWork fallback_work(const Graph& graph, int index, double rows, double element_bytes) {
  LayerWork w;
  if (rows <= 0) return w;
  const Layer& l = graph.layer(index);
  const double frac = std::min(1.0, rows / l.out.h);
  const double out_full = static_cast<double>(l.out.elements());
  double in_full = 0;
  for (int t : l.inputs) in_full += static_cast<double>(graph.tensor_shape(t).elements());
  double work_full = 0;
  switch (cost_class(l)) {
    case CostClass::Conv:
    case CostClass::Depthwise:
    case CostClass::Linear: work_full = static_cast<double>(graph.macs(index)); break;
    case CostClass::Pool: work_full = l.is_windowed() ? out_full * l.win_h.kernel * l.win_w.kernel : in_full; break;
    default: work_full = std::max(out_full, in_full); break;
  }
  w.work = work_full * frac;
  w.out_elements = out_full * frac;
  w.bytes = element_bytes * ((in_full + out_full) * frac + static_cast<double>(graph.params(index)));
  return w;
}

double FallbackModel::latency_ms(const Graph& graph, int index, double rows) const {
  if (rows <= 0) return 0.0;
  const Layer& l = graph.layer(index);
  LayerWork w = fallback_work(graph, index, rows, element_bytes);
  if (wave_outputs > 0 && w.out_elements > 0) {
    // Whole waves: exactly the same work for every row count inside one wave.
    const double full = fallback_work(graph, index, l.out.h, element_bytes).work;
    const double waves = std::ceil(w.out_elements / static_cast<double>(wave_outputs));
    w.work = full / static_cast<double>(l.out.elements()) * waves * static_cast<double>(wave_outputs);
  }
  const Kind& k = kinds[static_cast<int>(cost_class(l))];
  double compute_ms = 0;
  if (w.work > 0) {
    const double eff = std::min(1.0, std::pow(w.work / (saturation_mmacs * 1e6), beta));
    compute_ms = w.work / (peak_gmacs * 1e9 * k.efficiency * eff) * 1e3;
  }
  const double memory_ms = w.bytes / (memory_bandwidth_gbs * 1e9) * 1e3;
  return k.overhead_ms + std::max(compute_ms, memory_ms);
}

double DeviceProfile::latency_ms(const Graph& graph, int layer, double rows, bool* used_fallback) const {
  if (!curves.empty()) {
    auto it = curves.find(layer_signature(graph, layer));
    if (it != curves.end()) {
      if (used_fallback) *used_fallback = false;
      return time_scale * it->second.at(rows);
    }
  }
  if (used_fallback) *used_fallback = true;
  return time_scale * fallback.latency_ms(graph, layer, rows);
}

}  // namespace edgeplan
