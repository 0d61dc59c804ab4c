// Seeded weight generation: He-uniform convolutions and non-trivial batch-norm statistics.
#include "layer_weights.h"

#include <cmath>

namespace edgeplan::detail {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

torch::Tensor seeded_uniform(std::uint64_t seed, at::IntArrayRef sizes, float lo, float hi) {
  torch::Tensor t = torch::empty(sizes, torch::kFloat32);
  float* p = t.data_ptr<float>();
  const std::int64_t n = t.numel();
  std::uint64_t state = seed;
  const float scale = (hi - lo) / 16777216.0f;  // 24 random bits -> [0, 1)
  for (std::int64_t i = 0; i < n; ++i) p[i] = lo + static_cast<float>(splitmix64(state) >> 40) * scale;
  return t;
}

namespace {

torch::Tensor from_values(const std::vector<float>& v, at::IntArrayRef sizes) {
  if (v.empty()) return {};
  return torch::from_blob(const_cast<float*>(v.data()), sizes, torch::kFloat32).clone();
}

// The file's parameters (checked against the shapes by Graph::set_weights).
LayerWeights stored_layer_weights(const Graph& graph, int i) {
  const Layer& l = graph.layer(i);
  const Shape& in = graph.tensor_shape(l.inputs[0]);
  const LayerParams& p = graph.weights()->layers.at(static_cast<std::size_t>(i));
  LayerWeights w;
  if (l.kind == LayerKind::Conv) {
    w.weight = from_values(p.weight, {l.out_channels, in.c / l.groups, l.win_h.kernel, l.win_w.kernel});
    w.bias = from_values(p.bias, {l.out_channels});
  } else if (l.kind == LayerKind::ConvTranspose) {  // ONNX and PyTorch: [in, out / groups, kh, kw]
    w.weight = from_values(p.weight, {in.c, l.out_channels / l.groups, l.win_h.kernel, l.win_w.kernel});
    w.bias = from_values(p.bias, {l.out_channels});
  } else if (l.kind == LayerKind::Linear) {
    w.weight = from_values(p.weight, {l.out_channels, in.c});
    w.bias = from_values(p.bias, {l.out_channels});
  } else if (l.kind == LayerKind::Affine) {
    w.gamma = from_values(p.gamma, {in.c});
    w.beta = from_values(p.beta, {in.c});
  } else if (l.kind == LayerKind::BatchNorm) {
    w.gamma = from_values(p.gamma, {in.c});
    w.beta = from_values(p.beta, {in.c});
    w.running_mean = from_values(p.mean, {in.c});
    w.running_var = from_values(p.var, {in.c});
  }
  return w;
}

std::vector<float> values(const torch::Tensor& t) {
  if (!t.defined()) return {};
  const torch::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

LayerWeights make_layer_weights(const Graph& graph, int i, std::uint64_t seed) {
  if (graph.weights()) return stored_layer_weights(graph, i);
  const Layer& l = graph.layer(i);
  const Shape& in = graph.tensor_shape(l.inputs[0]);
  // Each tensor of each layer gets its own stream.
  const std::uint64_t base = seed * 0x100000001B3ULL + static_cast<std::uint64_t>(i) * 16;
  LayerWeights w;
  if (l.kind == LayerKind::Conv) {
    const int fan_in = in.c / l.groups * l.win_h.kernel * l.win_w.kernel;
    const float b = std::sqrt(6.0f / static_cast<float>(fan_in));
    w.weight = seeded_uniform(base + 1, {l.out_channels, in.c / l.groups, l.win_h.kernel, l.win_w.kernel}, -b, b);
    if (l.bias) w.bias = seeded_uniform(base + 2, {l.out_channels}, -0.1f, 0.1f);
  } else if (l.kind == LayerKind::ConvTranspose) {
    const int fan_in = in.c / l.groups * l.win_h.kernel * l.win_w.kernel;
    const float b = std::sqrt(6.0f / static_cast<float>(fan_in));
    w.weight = seeded_uniform(base + 1, {in.c, l.out_channels / l.groups, l.win_h.kernel, l.win_w.kernel}, -b, b);
    if (l.bias) w.bias = seeded_uniform(base + 2, {l.out_channels}, -0.1f, 0.1f);
  } else if (l.kind == LayerKind::Linear) {
    const float b = std::sqrt(6.0f / static_cast<float>(in.c));
    w.weight = seeded_uniform(base + 1, {l.out_channels, in.c}, -b, b);
    if (l.bias) w.bias = seeded_uniform(base + 2, {l.out_channels}, -0.1f, 0.1f);
  } else if (l.kind == LayerKind::Affine) {
    w.gamma = seeded_uniform(base + 3, {in.c}, 0.5f, 1.5f);
    w.beta = seeded_uniform(base + 4, {in.c}, -0.2f, 0.2f);
  } else if (l.kind == LayerKind::BatchNorm) {
    w.gamma = seeded_uniform(base + 3, {in.c}, 0.5f, 1.5f);
    w.beta = seeded_uniform(base + 4, {in.c}, -0.2f, 0.2f);
    w.running_mean = seeded_uniform(base + 5, {in.c}, -0.2f, 0.2f);
    w.running_var = seeded_uniform(base + 6, {in.c}, 0.5f, 2.0f);
  }
  return w;
}

std::vector<LayerWeights> make_weights(const Graph& graph, std::uint64_t seed) {
  std::vector<LayerWeights> out;
  for (int i = 0; i < graph.size(); ++i) out.push_back(make_layer_weights(graph, i, seed));
  return out;
}

torch::Tensor model_input(const Graph& graph, const ExecutorOptions& o) {
  const Shape& s = graph.input_shape();
  if (!o.input.empty()) {
    if (static_cast<std::int64_t>(o.input.size()) != s.elements())
      throw std::invalid_argument("input data has " + std::to_string(o.input.size()) + " values, the model's input " +
                                  to_string(s) + " needs " + std::to_string(s.elements()));
    return from_values(o.input, {1, s.c, s.h, s.w});
  }
  return seeded_uniform(o.input_seed * 0x9E3779B97F4A7C15ULL + 0x1234, {1, s.c, s.h, s.w}, -1.0f, 1.0f);
}

}  // namespace edgeplan::detail

namespace edgeplan {

LayerParams layer_params(const Graph& graph, int layer, std::uint64_t seed) {
  const detail::LayerWeights w = detail::make_layer_weights(graph, layer, seed);
  return LayerParams{detail::values(w.weight), detail::values(w.bias), detail::values(w.gamma),
                     detail::values(w.beta), detail::values(w.running_mean), detail::values(w.running_var)};
}

ModelWeights model_weights(const Graph& graph, std::uint64_t seed) {
  ModelWeights out;
  for (int i = 0; i < graph.size(); ++i) out.layers.push_back(layer_params(graph, i, seed));
  return out;
}

std::vector<float> model_input_values(const Graph& graph, const ExecutorOptions& options) {
  return detail::values(detail::model_input(graph, options));
}

}  // namespace edgeplan
