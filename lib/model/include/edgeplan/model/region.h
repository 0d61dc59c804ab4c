// Exact receptive-field (halo) math: which input rows / columns a volume's outputs need.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "edgeplan/model/graph.h"

namespace edgeplan {

// Half-open index interval [begin, end) along one axis.
struct Interval {
  int begin = 0;
  int end = 0;

  int size() const { return end > begin ? end - begin : 0; }
  bool empty() const { return end <= begin; }
  bool contains(const Interval& o) const { return o.empty() || (begin <= o.begin && o.end <= end); }
  bool operator==(const Interval& o) const { return begin == o.begin && end == o.end; }
  bool operator!=(const Interval& o) const { return !(*this == o); }
};

// Smallest interval holding both (an empty side is ignored). Inline: the simulator's hot loop.
inline Interval hull(const Interval& a, const Interval& b) {
  if (a.empty()) return b.empty() ? Interval{} : b;
  if (b.empty()) return a;
  return Interval{a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end};
}
inline Interval intersect(const Interval& a, const Interval& b) {
  Interval r{a.begin > b.begin ? a.begin : b.begin, a.end < b.end ? a.end : b.end};
  return r.empty() ? Interval{} : r;
}

enum class Axis { Rows, Cols };

// A rectangle of a feature map: rows x cols (all channels).
struct Region {
  Interval rows;
  Interval cols;

  bool empty() const { return rows.empty() || cols.empty(); }
  Interval& along(Axis a) { return a == Axis::Rows ? rows : cols; }
  const Interval& along(Axis a) const { return a == Axis::Rows ? rows : cols; }
  bool operator==(const Region& o) const { return rows == o.rows && cols == o.cols; }
  bool operator!=(const Region& o) const { return !(*this == o); }
};

inline Region hull(const Region& a, const Region& b) {
  if (a.empty()) return b.empty() ? Region{} : b;
  if (b.empty()) return a;
  return Region{hull(a.rows, b.rows), hull(a.cols, b.cols)};
}
inline Region full_region(const Shape& s) { return Region{Interval{0, s.h}, Interval{0, s.w}}; }
std::string to_string(const Interval& i);  // "[3,9)"

// The input cells a sliding window (conv, pooling) reads for outputs `out` along one axis,
// before clipping to the map: output o reads [o*s - p, o*s - p + d*(k-1) + 1); what falls
// outside [0, extent) is padding.
inline Interval virtual_window(const Window& w, const Interval& out) {
  return Interval{out.begin * w.stride - w.pad, (out.end - 1) * w.stride - w.pad + w.dilation * (w.kernel - 1) + 1};
}

// Input interval along `axis` that `layer` reads to produce output interval `out`, clipped to
// the input extent `in_extent`: padding exists only at the true border of the image.
// The same rule serves rows and columns; it is exact for every spatial layer kind.
Interval input_interval(const Layer& layer, Axis axis, const Interval& out, int in_extent);
// Both axes at once: the region of an input of shape `in` that `layer` reads for `out`.
inline Region input_region(const Layer& layer, const Region& out, const Shape& in) {
  return Region{input_interval(layer, Axis::Rows, out.rows, in.h), input_interval(layer, Axis::Cols, out.cols, in.w)};
}
// A transposed convolution's output cells (before cropping) that input cells `in` reach along
// one axis: what the uncropped transposed convolution of just those cells produces.
inline Interval transposed_span(const Window& w, const Interval& in) {
  const int first = in.begin * w.stride - w.pad;
  return Interval{first, first + (in.size() - 1) * w.stride + w.dilation * (w.kernel - 1) + 1};
}

// What computing some outputs of a volume requires.
struct VolumeRegions {
  LayerRange range;
  // Region of each layer's output that must be computed (index: layer - range.first);
  // empty when the layer is not needed.
  std::vector<Region> layer_out;
  // Region needed of each tensor produced outside the volume (kModelInput or earlier layers).
  std::map<int, Region> inputs;

  const Region& out(int layer) const { return layer_out.at(static_cast<std::size_t>(layer - range.first)); }
};

// Propagates requested output regions (tensor id -> region, tensors produced in the volume)
// backwards through the volume, across branches (residual add, concat). Throws ModelError
// if the range is not a spatial volume of `graph` or a requested tensor is outside it.
VolumeRegions required_regions(const Graph& graph, LayerRange range, const std::map<int, Region>& requested);

// Maps a boundary b of an axis of extent `from` onto an axis of extent `to` (floor(b*to/from)).
// Applied to both ends of consecutive intervals it turns a partition of one axis into a
// partition of the other: how one part's share of a volume's anchor output becomes its
// share of the volume's other outputs.
inline int scale_boundary(int b, int from, int to) { return static_cast<int>(static_cast<long long>(b) * to / from); }
inline Region scale_region(const Region& r, const Shape& from, const Shape& to) {
  if (from.h == to.h && from.w == to.w) return r;
  return Region{Interval{scale_boundary(r.rows.begin, from.h, to.h), scale_boundary(r.rows.end, from.h, to.h)},
                Interval{scale_boundary(r.cols.begin, from.w, to.w), scale_boundary(r.cols.end, from.w, to.w)}};
}

}  // namespace edgeplan
