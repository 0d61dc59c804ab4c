// Layer execution on a sub-region, padding only at the true image border.
#include <limits>

#include "layer_ops.h"

namespace edgeplan::detail {

namespace {

const std::vector<std::int64_t> kNoPad = {0, 0};

// The input a windowed layer needs for `out`, as one tensor: the real rows/cols from the
// slice plus `fill` only where the window crosses the border of the full map.
torch::Tensor window_input(const Layer& l, const Slice& in, const Shape& in_shape, const Region& out, double fill) {
  const Interval vr = virtual_window(l.win_h, out.rows);
  const Interval vc = virtual_window(l.win_w, out.cols);
  const Interval cr = intersect(vr, Interval{0, in_shape.h});
  const Interval cc = intersect(vc, Interval{0, in_shape.w});
  if (cr == vr && cc == vc) return crop(in, Region{cr, cc});
  torch::Tensor padded = torch::full({1, in.data.size(1), vr.size(), vc.size()}, fill, in.data.options());
  if (!cr.empty() && !cc.empty())
    padded.narrow(2, cr.begin - vr.begin, cr.size()).narrow(3, cc.begin - vc.begin, cc.size()).copy_(crop(in, Region{cr, cc}));
  return padded;
}

// PyTorch's avg-pool divisor for each output position along one axis (ceil mode and
// count_include_pad included), so border windows divide exactly as the monolithic run does.
torch::Tensor avg_divisors(const Layer& l, const Window& w, const Interval& out, int extent) {
  torch::Tensor d = torch::empty({out.size()}, torch::kFloat32);
  float* p = d.data_ptr<float>();
  for (int o = out.begin; o < out.end; ++o) {
    const int start = o * w.stride - w.pad;
    const int end = std::min(start + w.kernel, extent + w.end_pad());
    const int clipped = std::min(end, extent) - std::max(start, 0);
    p[o - out.begin] = static_cast<float>(l.count_include_pad ? end - start : clipped);
  }
  return d;
}

}  // namespace

torch::Tensor crop(const Slice& s, const Region& want) {
  if (!s.region.rows.contains(want.rows) || !s.region.cols.contains(want.cols))
    throw std::logic_error("slice rows " + to_string(s.region.rows) + " cols " + to_string(s.region.cols) +
                           " does not hold rows " + to_string(want.rows) + " cols " + to_string(want.cols));
  return s.data.narrow(2, want.rows.begin - s.region.rows.begin, want.rows.size())
      .narrow(3, want.cols.begin - s.region.cols.begin, want.cols.size());
}

torch::Tensor run_layer_region(const Layer& l, const LayerWeights& w, const std::vector<Slice>& in,
                               const std::vector<Shape>& shapes, const Region& out) {
  const Slice& x = in.at(0);
  const Shape& s = shapes.at(0);
  switch (l.kind) {
    case LayerKind::Conv:
      return torch::conv2d(window_input(l, x, s, out, 0.0), w.weight, w.bias, {l.win_h.stride, l.win_w.stride}, kNoPad,
                           {l.win_h.dilation, l.win_w.dilation}, l.groups);
    case LayerKind::MaxPool:
      return torch::max_pool2d(window_input(l, x, s, out, -std::numeric_limits<double>::infinity()),
                               {l.win_h.kernel, l.win_w.kernel}, {l.win_h.stride, l.win_w.stride}, {0, 0}, {1, 1}, false);
    case LayerKind::AvgPool: {
      torch::Tensor sum = torch::avg_pool2d(window_input(l, x, s, out, 0.0), {l.win_h.kernel, l.win_w.kernel},
                                            {l.win_h.stride, l.win_w.stride}, {0, 0}, false, true, 1);
      torch::Tensor div = torch::outer(avg_divisors(l, l.win_h, out.rows, s.h), avg_divisors(l, l.win_w, out.cols, s.w));
      return sum / div.unsqueeze(0).unsqueeze(0);
    }
    case LayerKind::ConvTranspose: {
      // The transposed convolution of exactly the input cells that reach `out` (no cropping,
      // no output padding), placed at its position; outputs no input reaches hold the bias.
      const Region need = input_region(l, out, s);
      torch::Tensor y = torch::zeros({1, l.out_channels, out.rows.size(), out.cols.size()}, w.weight.options());
      if (!need.empty()) {
        const torch::Tensor full = torch::conv_transpose2d(crop(x, need), w.weight, {}, {l.win_h.stride, l.win_w.stride}, {0, 0},
                                                           {0, 0}, l.groups, {l.win_h.dilation, l.win_w.dilation});
        const Interval span_r = transposed_span(l.win_h, need.rows), span_c = transposed_span(l.win_w, need.cols);  // what `full` holds
        const Interval r = intersect(out.rows, span_r), c = intersect(out.cols, span_c);
        if (!r.empty() && !c.empty())
          y.narrow(2, r.begin - out.rows.begin, r.size())
              .narrow(3, c.begin - out.cols.begin, c.size())
              .copy_(full.narrow(2, r.begin - span_r.begin, r.size()).narrow(3, c.begin - span_c.begin, c.size()));
      }
      if (w.bias.defined()) y += w.bias.reshape({1, -1, 1, 1});
      return y;
    }
    case LayerKind::Upsample: {
      const Region need = input_region(l, out, s);
      torch::Tensor y = crop(x, need).repeat_interleave(l.win_h.stride, 2).repeat_interleave(l.win_w.stride, 3);
      return y.narrow(2, out.rows.begin - need.rows.begin * l.win_h.stride, out.rows.size())
          .narrow(3, out.cols.begin - need.cols.begin * l.win_w.stride, out.cols.size());
    }
    case LayerKind::Reorg: {
      const Region need = input_region(l, out, s);
      return torch::pixel_unshuffle(crop(x, need), l.win_h.stride);
    }
    case LayerKind::Add: {
      torch::Tensor sum = crop(x, out).clone();
      for (std::size_t i = 1; i < in.size(); ++i) sum.add_(crop(in[i], out));
      return sum;
    }
    case LayerKind::Concat: {
      std::vector<torch::Tensor> parts;
      for (const Slice& sl : in) parts.push_back(crop(sl, out));
      return torch::cat(parts, 1);
    }
    case LayerKind::Mul: {  // each operand's own cells: a per-channel vector is read whole and broadcast
      auto operand = [&](std::size_t i) { return crop(in[i], input_region(l, out, shapes.at(i))); };
      torch::Tensor prod = operand(0);
      for (std::size_t i = 1; i < in.size(); ++i) prod = prod * operand(i);
      return prod;
    }
    default:
      if (l.is_pointwise()) return run_layer_full(l, w, {crop(x, out)});
      throw std::logic_error("layer '" + l.name + "' cannot run on a region");
  }
}

}  // namespace edgeplan::detail
