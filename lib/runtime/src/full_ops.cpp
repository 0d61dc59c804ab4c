// Whole-map layer execution with libtorch's built-in padding (the monolithic reference).
#include "layer_ops.h"

namespace edgeplan::detail {

namespace F = torch::nn::functional;

torch::Tensor run_layer_full(const Layer& l, const LayerWeights& w, const std::vector<torch::Tensor>& in) {
  const torch::Tensor& x = in.at(0);
  if ((l.kind == LayerKind::MaxPool || l.kind == LayerKind::AvgPool || l.kind == LayerKind::ConvTranspose) &&
      (!l.win_h.symmetric() || !l.win_w.symmetric())) {
    // libtorch pools pad (and transposed convolutions crop) symmetrically only: the region
    // kernel (explicit border padding and divisors) computes the whole map; ONNX Runtime
    // checks it (test_onnx).
    const Shape s{static_cast<int>(x.size(1)), static_cast<int>(x.size(2)), static_cast<int>(x.size(3))};
    return run_layer_region(l, w, {Slice{x, full_region(s)}}, {s}, full_region(l.out));
  }
  switch (l.kind) {
    case LayerKind::Conv:
      if (!l.win_h.symmetric() || !l.win_w.symmetric())  // libtorch pads symmetrically: pad first
        return torch::conv2d(F::pad(x, F::PadFuncOptions({l.win_w.pad, l.win_w.end_pad(), l.win_h.pad, l.win_h.end_pad()})),
                             w.weight, w.bias, {l.win_h.stride, l.win_w.stride}, std::vector<std::int64_t>{0, 0},
                             {l.win_h.dilation, l.win_w.dilation}, l.groups);
      return torch::conv2d(x, w.weight, w.bias, {l.win_h.stride, l.win_w.stride}, {l.win_h.pad, l.win_w.pad},
                           {l.win_h.dilation, l.win_w.dilation}, l.groups);
    case LayerKind::BatchNorm:
      return torch::batch_norm(x, w.gamma, w.beta, w.running_mean, w.running_var, false, 0.0, l.eps, false);
    case LayerKind::ReLU: return torch::relu(x);
    case LayerKind::ReLU6: return torch::hardtanh(x, 0.0, 6.0);
    case LayerKind::LeakyReLU: return torch::leaky_relu(x, l.alpha);
    case LayerKind::Sigmoid: return torch::sigmoid(x);
    case LayerKind::HardSigmoid: return torch::clamp(x * l.alpha + l.beta, 0.0, 1.0);
    case LayerKind::HardSwish: return torch::hardswish(x);
    case LayerKind::Clip: return torch::clamp(x, l.alpha, l.beta);
    case LayerKind::Affine: return x * w.gamma.reshape({1, -1, 1, 1}) + w.beta.reshape({1, -1, 1, 1});
    case LayerKind::ChannelSlice: return x.narrow(1, l.channel_begin, l.out_channels).contiguous();
    case LayerKind::ChannelShuffle: {
      const std::int64_t c = x.size(1), h = x.size(2), wd = x.size(3);
      return x.reshape({1, l.groups, c / l.groups, h, wd}).transpose(1, 2).reshape({1, c, h, wd});
    }
    case LayerKind::Mul: {  // out of place: a per-channel vector may come first and broadcast
      torch::Tensor s = x;
      for (std::size_t i = 1; i < in.size(); ++i) s = s * in[i];
      return s;
    }
    case LayerKind::MaxPool:
      return torch::max_pool2d(x, {l.win_h.kernel, l.win_w.kernel}, {l.win_h.stride, l.win_w.stride},
                               {l.win_h.pad, l.win_w.pad}, {1, 1}, l.ceil_mode);
    case LayerKind::AvgPool:
      return torch::avg_pool2d(x, {l.win_h.kernel, l.win_w.kernel}, {l.win_h.stride, l.win_w.stride},
                               {l.win_h.pad, l.win_w.pad}, l.ceil_mode, l.count_include_pad);
    case LayerKind::Add: {
      torch::Tensor s = x.clone();
      for (std::size_t i = 1; i < in.size(); ++i) s.add_(in[i]);
      return s;
    }
    case LayerKind::Concat: return torch::cat(in, 1);
    case LayerKind::Upsample:
      return torch::upsample_nearest2d(x, {x.size(2) * l.win_h.stride, x.size(3) * l.win_w.stride});
    case LayerKind::Reorg: return torch::pixel_unshuffle(x, l.win_h.stride);
    case LayerKind::GlobalAvgPool: return torch::adaptive_avg_pool2d(x, {1, 1});
    case LayerKind::AdaptiveAvgPool: return torch::adaptive_avg_pool2d(x, {l.out_h, l.out_w});
    case LayerKind::Flatten: return x.reshape({1, -1, 1, 1});
    case LayerKind::Linear:
      return torch::linear(x.reshape({1, -1}), w.weight, w.bias).reshape({1, -1, 1, 1});
    case LayerKind::ConvTranspose:
      return torch::conv_transpose2d(x, w.weight, w.bias, {l.win_h.stride, l.win_w.stride}, {l.win_h.pad, l.win_w.pad},
                                     {l.win_h.extra, l.win_w.extra}, l.groups, {l.win_h.dilation, l.win_w.dilation});
  }
  throw std::logic_error("unhandled layer kind");
}

}  // namespace edgeplan::detail
