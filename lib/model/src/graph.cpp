// Graph construction, shape inference and per-layer cost counts.
#include "edgeplan/model/graph.h"

#include <algorithm>

#include "edgeplan/model/error.h"

namespace edgeplan {

namespace {

int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

Window square(int kernel, int stride, int pad, int dilation = 1) { return Window{kernel, stride, pad, dilation}; }

}  // namespace

int window_output_extent(const Window& w, int in, bool ceil_mode) {
  const int span = w.dilation * (w.kernel - 1) + 1;
  int out = floor_div(in + w.pad + w.end_pad() - span + (ceil_mode ? w.stride - 1 : 0), w.stride) + 1;
  // PyTorch: the last window must start inside the input or its left padding.
  if (ceil_mode && out > 0 && (out - 1) * w.stride >= in + w.pad) --out;
  return out;
}

Graph::Graph(std::string name, Shape input) : name_(std::move(name)), input_(input) {
  if (input.c <= 0 || input.h <= 0 || input.w <= 0)
    throw ModelError("model '" + name_ + "': input shape must be positive, got " + to_string(input));
}

void Graph::throw_bad_tensor(int tensor) { throw ModelError("tensor id " + std::to_string(tensor) + " out of range"); }

// Feature maps larger than this (rows or columns) are refused: a model file cannot ask for
// maps that overflow the arithmetic of shapes and MACs.
constexpr int kMaxExtent = 1 << 16;

Shape Graph::infer_shape(const Layer& l) const {
  const std::size_t n_in = l.inputs.size();
  const bool multi = l.kind == LayerKind::Add || l.kind == LayerKind::Mul || l.kind == LayerKind::Concat;
  if (multi ? n_in < 2 : n_in != 1)
    throw ModelError("layer '" + l.name + "': " + to_string(l.kind) + " takes " + (multi ? "two or more inputs" : "one input"));
  for (int t : l.inputs)
    if (t != kModelInput && (t < 0 || t >= size()))
      throw ModelError("layer '" + l.name + "': input " + std::to_string(t) + " is not an earlier layer");
  const Shape in = tensor_shape(l.inputs[0]);
  auto fail = [&](const std::string& why) -> ModelError {
    return ModelError("layer '" + l.name + "': " + why + " (input " + to_string(in) + ")");
  };
  Shape out = in;
  switch (l.kind) {
    case LayerKind::Conv: {
      if (l.groups <= 0 || in.c % l.groups != 0 || l.out_channels <= 0 || l.out_channels % l.groups != 0)
        throw fail("channels not divisible by groups");
      if (l.win_h.kernel <= 0 || l.win_h.stride <= 0 || l.win_h.pad < 0 || l.win_h.dilation <= 0 ||
          l.win_w.kernel <= 0 || l.win_w.stride <= 0 || l.win_w.pad < 0 || l.win_w.dilation <= 0 ||
          l.win_h.end_pad() < 0 || l.win_w.end_pad() < 0)
        throw fail("invalid window");
      out = Shape{l.out_channels, window_output_extent(l.win_h, in.h, false), window_output_extent(l.win_w, in.w, false)};
      break;
    }
    case LayerKind::ConvTranspose: {
      if (l.groups <= 0 || in.c % l.groups != 0 || l.out_channels <= 0 || l.out_channels % l.groups != 0)
        throw fail("channels not divisible by groups");
      for (const Window* w : {&l.win_h, &l.win_w})
        if (w->kernel <= 0 || w->stride <= 0 || w->dilation <= 0 || w->pad < 0 || w->end_pad() < 0 || w->extra < 0 ||
            w->extra >= std::max(w->stride, w->dilation))
          throw fail("invalid transposed-convolution window (output padding must be below the stride or the dilation)");
      out = Shape{l.out_channels, transposed_output_extent(l.win_h, in.h), transposed_output_extent(l.win_w, in.w)};
      break;
    }
    case LayerKind::MaxPool:
    case LayerKind::AvgPool:
      if (l.win_h.kernel <= 0 || l.win_h.stride <= 0 || l.win_h.pad < 0 || 2 * l.win_h.pad > l.win_h.kernel ||
          l.win_w.kernel <= 0 || l.win_w.stride <= 0 || l.win_w.pad < 0 || 2 * l.win_w.pad > l.win_w.kernel ||
          l.win_h.end_pad() < 0 || 2 * l.win_h.end_pad() > l.win_h.kernel || l.win_w.end_pad() < 0 ||
          2 * l.win_w.end_pad() > l.win_w.kernel || l.win_h.dilation != 1 || l.win_w.dilation != 1)
        throw fail("invalid pooling window (padding must be at most half the kernel)");
      out = Shape{in.c, window_output_extent(l.win_h, in.h, l.ceil_mode), window_output_extent(l.win_w, in.w, l.ceil_mode)};
      break;
    case LayerKind::Clip:
      if (!(l.alpha <= l.beta)) throw fail("clip minimum above its maximum");
      break;
    case LayerKind::ChannelSlice:
      if (l.channel_begin < 0 || l.out_channels <= 0 || l.channel_begin > in.c - l.out_channels)
        throw fail("channels [" + std::to_string(l.channel_begin) + ", " + std::to_string(l.channel_begin + l.out_channels) +
                   ") are not all in the input");
      out.c = l.out_channels;
      break;
    case LayerKind::ChannelShuffle:
      if (l.groups <= 0 || in.c % l.groups != 0) throw fail("channels not divisible by the shuffle's groups");
      break;
    default:  // element-wise: the input's shape
      break;
    case LayerKind::Add:
      for (int t : l.inputs)
        if (tensor_shape(t) != in) throw fail("add of different shapes " + to_string(tensor_shape(t)));
      break;
    case LayerKind::Mul:
      // Maps of one shape, or a map scaled by per-channel vectors C x 1 x 1 (squeeze-and-
      // excitation): the output is the map's shape.
      for (int t : l.inputs)
        if (tensor_shape(t).h * tensor_shape(t).w > out.h * out.w) out = tensor_shape(t);
      for (int t : l.inputs) {
        const Shape& s = tensor_shape(t);
        if (s != out && !(s.c == out.c && s.h == 1 && s.w == 1))
          throw fail("mul of " + to_string(s) + " and " + to_string(out) + " (only equal shapes, or a map and a per-channel vector)");
      }
      break;
    case LayerKind::Concat:
      out.c = 0;
      for (int t : l.inputs) {
        const Shape& s = tensor_shape(t);
        if (s.h != in.h || s.w != in.w) throw fail("concat of different spatial sizes " + to_string(s));
        out.c += s.c;
      }
      break;
    case LayerKind::Upsample:
      if (l.win_h.stride <= 0 || l.win_w.stride <= 0) throw fail("upsample factor must be positive");
      if (static_cast<long long>(in.h) * l.win_h.stride > kMaxExtent || static_cast<long long>(in.w) * l.win_w.stride > kMaxExtent)
        throw fail("output would exceed " + std::to_string(kMaxExtent) + " rows or columns");
      out = Shape{in.c, in.h * l.win_h.stride, in.w * l.win_w.stride};
      break;
    case LayerKind::Reorg:
      if (l.win_h.stride <= 0 || l.win_w.stride <= 0 || in.h % l.win_h.stride != 0 || in.w % l.win_w.stride != 0)
        throw fail("reorg needs a height and width divisible by its stride " + std::to_string(l.win_h.stride));
      out = Shape{in.c * l.win_h.stride * l.win_w.stride, in.h / l.win_h.stride, in.w / l.win_w.stride};
      break;
    case LayerKind::GlobalAvgPool:
      out = Shape{in.c, 1, 1};
      break;
    case LayerKind::AdaptiveAvgPool:
      if (l.out_h <= 0 || l.out_w <= 0) throw fail("adaptive pool target must be positive");
      out = Shape{in.c, l.out_h, l.out_w};
      break;
    case LayerKind::Flatten:
      if (in.elements() > (1LL << 30)) throw fail("flattening more than 2^30 values");
      out = Shape{static_cast<int>(in.elements()), 1, 1};
      break;
    case LayerKind::Linear:
      if (in.h != 1 || in.w != 1) throw fail("fully connected layer needs a flattened input");
      if (l.out_channels <= 0) throw fail("fully connected layer needs positive outputs");
      out = Shape{l.out_channels, 1, 1};
      break;
  }
  if (out.c <= 0 || out.h <= 0 || out.w <= 0)
    throw fail("output would be empty; the input is too small for this architecture");
  if (out.h > kMaxExtent || out.w > kMaxExtent) throw fail("output would exceed " + std::to_string(kMaxExtent) + " rows or columns");
  return out;
}

int Graph::add(Layer layer) {
  layer.out = infer_shape(layer);
  layers_.push_back(std::move(layer));
  return size() - 1;
}

int Graph::conv(const std::string& name, int input, int out_channels, int kernel, int stride, int pad, int groups,
                bool bias, int dilation) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::Conv;
  l.inputs = {input};
  l.win_h = l.win_w = square(kernel, stride, pad, dilation);
  l.out_channels = out_channels;
  l.groups = groups;
  l.bias = bias;
  return add(std::move(l));
}

namespace {
Layer simple(const std::string& name, LayerKind kind, std::vector<int> inputs) {
  Layer l;
  l.name = name;
  l.kind = kind;
  l.inputs = std::move(inputs);
  return l;
}
}  // namespace

int Graph::conv_transpose(const std::string& name, int input, int out_channels, Window h, Window w, int groups, bool bias) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::ConvTranspose;
  l.inputs = {input};
  l.win_h = h;
  l.win_w = w;
  l.out_channels = out_channels;
  l.groups = groups;
  l.bias = bias;
  return add(std::move(l));
}

int Graph::batch_norm(const std::string& name, int input, float eps) {
  Layer l = simple(name, LayerKind::BatchNorm, {input});
  l.eps = eps;
  return add(std::move(l));
}
int Graph::relu(const std::string& name, int input) { return add(simple(name, LayerKind::ReLU, {input})); }
int Graph::relu6(const std::string& name, int input) { return add(simple(name, LayerKind::ReLU6, {input})); }
int Graph::leaky_relu(const std::string& name, int input, float slope) {
  Layer l = simple(name, LayerKind::LeakyReLU, {input});
  l.alpha = slope;
  return add(std::move(l));
}
int Graph::max_pool(const std::string& name, int input, int kernel, int stride, int pad, bool ceil_mode) {
  Layer l = simple(name, LayerKind::MaxPool, {input});
  l.win_h = l.win_w = square(kernel, stride, pad);
  l.ceil_mode = ceil_mode;
  return add(std::move(l));
}
int Graph::avg_pool(const std::string& name, int input, int kernel, int stride, int pad, bool ceil_mode,
                    bool count_include_pad) {
  Layer l = simple(name, LayerKind::AvgPool, {input});
  l.win_h = l.win_w = square(kernel, stride, pad);
  l.ceil_mode = ceil_mode;
  l.count_include_pad = count_include_pad;
  return add(std::move(l));
}
int Graph::add_tensors(const std::string& name, std::vector<int> inputs) {
  return add(simple(name, LayerKind::Add, std::move(inputs)));
}
int Graph::concat(const std::string& name, std::vector<int> inputs) {
  return add(simple(name, LayerKind::Concat, std::move(inputs)));
}
int Graph::upsample(const std::string& name, int input, int factor) {
  Layer l = simple(name, LayerKind::Upsample, {input});
  l.win_h.stride = l.win_w.stride = factor;
  return add(std::move(l));
}
int Graph::reorg(const std::string& name, int input, int stride) {
  Layer l = simple(name, LayerKind::Reorg, {input});
  l.win_h.stride = l.win_w.stride = stride;
  return add(std::move(l));
}
int Graph::global_avg_pool(const std::string& name, int input) {
  return add(simple(name, LayerKind::GlobalAvgPool, {input}));
}
int Graph::adaptive_avg_pool(const std::string& name, int input, int out_h, int out_w) {
  Layer l = simple(name, LayerKind::AdaptiveAvgPool, {input});
  l.out_h = out_h;
  l.out_w = out_w;
  return add(std::move(l));
}
int Graph::flatten(const std::string& name, int input) { return add(simple(name, LayerKind::Flatten, {input})); }
int Graph::linear(const std::string& name, int input, int out_features, bool bias) {
  Layer l = simple(name, LayerKind::Linear, {input});
  l.out_channels = out_features;
  l.bias = bias;
  return add(std::move(l));
}

int transposed_output_extent(const Window& w, int in) {
  const long long full = static_cast<long long>(w.stride) * (in - 1) + static_cast<long long>(w.dilation) * (w.kernel - 1) + 1 + w.extra;
  const long long out = full - w.pad - w.end_pad();
  return out > (1LL << 30) ? (1 << 30) : static_cast<int>(out);
}

int Graph::body_end() const {
  for (int i = 0; i < size(); ++i)
    if (!layers_[static_cast<std::size_t>(i)].is_spatial()) return i;
  return size();
}

std::vector<int> Graph::consumers(int tensor) const {
  std::vector<int> out;
  for (int i = 0; i < size(); ++i) {
    const auto& in = layers_[static_cast<std::size_t>(i)].inputs;
    if (std::find(in.begin(), in.end(), tensor) != in.end()) out.push_back(i);
  }
  return out;
}

std::vector<int> Graph::live_outputs(LayerRange range) const {
  std::vector<bool> live(static_cast<std::size_t>(range.size()), false);
  for (int i = range.last; i < size(); ++i)
    for (int t : layers_[static_cast<std::size_t>(i)].inputs)
      if (range.contains(t)) live[static_cast<std::size_t>(t - range.first)] = true;
  if (range.contains(size() - 1)) live.back() = true;
  std::vector<int> out;
  for (int i = 0; i < range.size(); ++i)
    if (live[static_cast<std::size_t>(i)]) out.push_back(range.first + i);
  return out;
}

std::vector<int> Graph::external_inputs(LayerRange range) const {
  std::vector<int> out;
  for (int i = range.first; i < range.last; ++i)
    for (int t : layers_[static_cast<std::size_t>(i)].inputs)
      if (t < range.first) out.push_back(t);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::int64_t Graph::macs(int index) const {
  const Layer& l = layer(index);
  const Shape& in = tensor_shape(l.inputs[0]);
  switch (l.kind) {
    case LayerKind::Conv:
      return l.out.elements() * (in.c / l.groups) * l.win_h.kernel * l.win_w.kernel;
    case LayerKind::ConvTranspose:  // every input cell scatters a kernel per output channel of its group
      return in.elements() * (l.out_channels / l.groups) * l.win_h.kernel * l.win_w.kernel;
    case LayerKind::Linear:
      return std::int64_t{in.c} * l.out_channels;
    default:
      return 0;
  }
}

std::int64_t Graph::params(int index) const {
  const Layer& l = layer(index);
  const Shape& in = tensor_shape(l.inputs[0]);
  switch (l.kind) {
    case LayerKind::Conv:
    case LayerKind::ConvTranspose:
      return std::int64_t{l.out_channels} * (in.c / l.groups) * l.win_h.kernel * l.win_w.kernel +
             (l.bias ? l.out_channels : 0);
    case LayerKind::Linear:
      return std::int64_t{in.c} * l.out_channels + (l.bias ? l.out_channels : 0);
    case LayerKind::BatchNorm:
    case LayerKind::Affine:
      return 2 * std::int64_t{in.c};
    default:
      return 0;
  }
}

void Graph::set_weights(std::shared_ptr<const ModelWeights> weights) {
  if (weights) {
    if (static_cast<int>(weights->layers.size()) != size())
      throw ModelError("model '" + name_ + "': weights for " + std::to_string(weights->layers.size()) + " layers, the graph has " +
                       std::to_string(size()));
    for (int i = 0; i < size(); ++i) {
      const Layer& l = layer(i);
      const LayerParams& p = weights->layers[static_cast<std::size_t>(i)];
      const Shape& in = tensor_shape(l.inputs[0]);
      auto expect = [&](const std::vector<float>& v, std::int64_t n, const char* what) {
        if (static_cast<std::int64_t>(v.size()) != n)
          throw ModelError("layer '" + l.name + "': " + what + " has " + std::to_string(v.size()) + " values, expected " +
                           std::to_string(n));
      };
      std::int64_t weight = 0, bias = 0, channels = 0;
      if (l.kind == LayerKind::Conv || l.kind == LayerKind::ConvTranspose) {
        weight = std::int64_t{l.out_channels} * (in.c / l.groups) * l.win_h.kernel * l.win_w.kernel;
        bias = l.bias ? l.out_channels : 0;
      } else if (l.kind == LayerKind::Linear) {
        weight = std::int64_t{l.out_channels} * in.c;
        bias = l.bias ? l.out_channels : 0;
      } else if (l.kind == LayerKind::BatchNorm || l.kind == LayerKind::Affine) {
        channels = in.c;
      }
      const std::int64_t stats = l.kind == LayerKind::BatchNorm ? channels : 0;
      expect(p.weight, weight, "weight");
      expect(p.bias, bias, "bias");
      expect(p.gamma, channels, "scale");
      expect(p.beta, channels, "shift");
      expect(p.mean, stats, "running mean");
      expect(p.var, stats, "running variance");
    }
  }
  weights_ = std::move(weights);
}

std::int64_t Graph::total_macs() const {
  std::int64_t s = 0;
  for (int i = 0; i < size(); ++i) s += macs(i);
  return s;
}

std::int64_t Graph::total_params() const {
  std::int64_t s = 0;
  for (int i = 0; i < size(); ++i) s += params(i);
  return s;
}

std::vector<int> single_tensor_cuts(const Graph& graph) {
  std::vector<int> last_use(static_cast<std::size_t>(graph.size() + 1), -1);
  for (int i = 0; i < graph.size(); ++i)
    for (int t : graph.layer(i).inputs) last_use[static_cast<std::size_t>(t + 1)] = std::max(last_use[static_cast<std::size_t>(t + 1)], i);
  std::vector<int> cuts;
  for (int p = 1; p < graph.body_end(); ++p) {
    int crossing = 0;
    for (int t = -1; t < p; ++t)
      if (last_use[static_cast<std::size_t>(t + 1)] >= p) ++crossing;
    if (crossing == 1) cuts.push_back(p);
  }
  return cuts;
}

}  // namespace edgeplan
