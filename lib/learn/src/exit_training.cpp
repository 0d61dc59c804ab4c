// Joint training of a backbone and its exit heads on Fashion-MNIST (libtorch, CPU).
#include "edgeplan/learn/exit_training.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <cmath>

#include <torch/torch.h>

#include "edgeplan/strategy/exit_policy.h"

namespace edgeplan {

namespace {

namespace F = torch::nn::functional;

constexpr float kMean = kFashionMnistMean, kStd = kFashionMnistStd;
constexpr double kTemperature = 3.0;

struct Params {
  std::vector<torch::Tensor> weight, bias;  // per graph layer (undefined where none)
  std::vector<torch::Tensor> head_w, head_b;
  std::vector<torch::Tensor> all() const {
    std::vector<torch::Tensor> out;
    for (const auto* v : {&weight, &bias, &head_w, &head_b})
      for (const auto& t : *v)
        if (t.defined()) out.push_back(t);
    return out;
  }
};

torch::Tensor he(std::vector<std::int64_t> sizes, std::int64_t fan_in) {
  return (torch::randn(sizes) * std::sqrt(2.0 / static_cast<double>(fan_in))).requires_grad_(true);
}

Params init_params(const ExitModel& m) {
  const Graph& g = m.graph;
  Params p;
  p.weight.resize(static_cast<std::size_t>(g.size()));
  p.bias.resize(static_cast<std::size_t>(g.size()));
  for (int l = 0; l < g.size(); ++l) {
    const Layer& L = g.layer(l);
    const auto i = static_cast<std::size_t>(l);
    if (L.kind == LayerKind::Conv) {
      const int cin = g.tensor_shape(L.inputs[0]).c / L.groups;
      p.weight[i] = he({L.out_channels, cin, L.win_h.kernel, L.win_w.kernel}, cin * L.win_h.kernel * L.win_w.kernel);
    } else if (L.kind == LayerKind::Linear) {
      const int cin = static_cast<int>(g.tensor_shape(L.inputs[0]).elements());
      p.weight[i] = he({L.out_channels, cin}, cin);
    }
    if (p.weight[i].defined() && L.bias) p.bias[i] = torch::zeros({L.out_channels}).requires_grad_(true);
  }
  for (const ExitHead& e : m.exits) {
    const int c = g.layer(e.after - 1).out.c;
    p.head_w.push_back(he({e.classes, c}, c));
    p.head_b.push_back(torch::zeros({e.classes}).requires_grad_(true));
  }
  return p;
}

Params params_from(const ExitModel& m, const ModelWeights& w, const std::vector<LayerParams>& heads) {
  Params p = init_params(m);
  torch::NoGradGuard no_grad;
  auto load = [](torch::Tensor& t, const std::vector<float>& v) {
    if (t.defined()) t.copy_(torch::from_blob(const_cast<float*>(v.data()), t.sizes(), torch::kFloat32));
  };
  for (std::size_t l = 0; l < p.weight.size(); ++l) {
    load(p.weight[l], w.layers.at(l).weight);
    load(p.bias[l], w.layers.at(l).bias);
  }
  for (std::size_t e = 0; e < p.head_w.size(); ++e) {
    load(p.head_w[e], heads.at(e).weight);
    load(p.head_b[e], heads.at(e).bias);
  }
  return p;
}

// Every head's scores for a batch [N, 1, 28, 28]: exits in order, then the final head.
std::vector<torch::Tensor> forward(const ExitModel& m, const Params& p, const torch::Tensor& x) {
  const Graph& g = m.graph;
  std::vector<torch::Tensor> maps(static_cast<std::size_t>(g.size()));
  std::vector<torch::Tensor> heads;
  auto in = [&](int t) -> const torch::Tensor& { return t == kModelInput ? x : maps[static_cast<std::size_t>(t)]; };
  std::size_t next_exit = 0;
  for (int l = 0; l < g.size(); ++l) {
    const Layer& L = g.layer(l);
    const auto i = static_cast<std::size_t>(l);
    const torch::Tensor& a = in(L.inputs[0]);
    switch (L.kind) {
      case LayerKind::Conv:
        if (!L.win_h.symmetric() || !L.win_w.symmetric()) throw Error("train-exits: layer '" + L.name + "' pads asymmetrically");
        maps[i] = torch::conv2d(a, p.weight[i], p.bias[i], {L.win_h.stride, L.win_w.stride}, {L.win_h.pad, L.win_w.pad},
                                {L.win_h.dilation, L.win_w.dilation}, L.groups);
        break;
      case LayerKind::ReLU: maps[i] = torch::relu(a); break;
      case LayerKind::MaxPool:
        maps[i] = torch::max_pool2d(a, {L.win_h.kernel, L.win_w.kernel}, {L.win_h.stride, L.win_w.stride}, {L.win_h.pad, L.win_w.pad},
                                    {1, 1}, L.ceil_mode);
        break;
      case LayerKind::Add: {
        torch::Tensor s = a;
        for (std::size_t k = 1; k < L.inputs.size(); ++k) s = s + in(L.inputs[k]);
        maps[i] = s;
        break;
      }
      case LayerKind::GlobalAvgPool: maps[i] = torch::adaptive_avg_pool2d(a, {1, 1}); break;
      case LayerKind::Flatten: maps[i] = a.reshape({a.size(0), -1, 1, 1}); break;
      case LayerKind::Linear: maps[i] = torch::linear(a.reshape({a.size(0), -1}), p.weight[i], p.bias[i]).reshape({a.size(0), -1, 1, 1}); break;
      default: throw Error(std::string("train-exits: layer '") + L.name + "' is a " + to_string(L.kind) +
                           " (the trainer runs conv, relu, maxpool, add, global_avgpool, flatten, linear)");
    }
    while (next_exit < m.exits.size() && m.exits[next_exit].after == l + 1) {
      const torch::Tensor pooled = torch::adaptive_avg_pool2d(maps[i], {1, 1}).flatten(1);
      heads.push_back(torch::linear(pooled, p.head_w[next_exit], p.head_b[next_exit]));
      ++next_exit;
    }
  }
  heads.push_back(maps.back().flatten(1));
  return heads;
}

torch::Tensor images_tensor(const ImageSet& s, int first, int n) {
  torch::Tensor t = torch::from_blob(const_cast<std::uint8_t*>(s.image(first)), {n, 1, s.rows, s.cols}, torch::kUInt8);
  return (t.to(torch::kFloat32) / 255.0f - kMean) / kStd;
}

torch::Tensor labels_tensor(const ImageSet& s) {
  return torch::from_blob(const_cast<std::uint8_t*>(s.labels.data()), {s.size()}, torch::kUInt8).to(torch::kLong);
}

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

std::vector<float> softmax(const std::vector<float>& z) {
  const float top = *std::max_element(z.begin(), z.end());
  std::vector<float> p(z.size());
  double sum = 0;
  for (std::size_t c = 0; c < z.size(); ++c) sum += p[c] = std::exp(z[c] - top);
  for (float& v : p) v = static_cast<float>(v / sum);
  return p;
}

}  // namespace

std::vector<ExitCalibration> calibrate_exits(const std::vector<std::string>& names, const std::vector<std::vector<std::vector<float>>>& scores,
                                             const std::vector<int>& labels, HeadOutcomes* outcomes) {
  HeadOutcomes o;
  o.labels = labels;
  for (std::size_t h = 0; h < scores.size(); ++h) {
    o.confidence.emplace_back();
    o.difference.emplace_back();
    o.predicted.emplace_back();
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const std::vector<float> p = softmax(scores[h][i]);
      const auto top = std::max_element(p.begin(), p.end());
      o.confidence[h].push_back(*top);
      o.predicted[h].push_back(static_cast<int>(top - p.begin()));
      double d = 0;
      if (h > 0) {
        const std::vector<float> q = softmax(scores[h - 1][i]);
        for (std::size_t c = 0; c < p.size(); ++c) d += std::abs(p[c] - q[c]);
      }
      o.difference[h].push_back(static_cast<float>(d));
    }
  }
  static const double kConfidence[] = {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 0.999};
  static const double kDifference[] = {0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0};
  std::vector<ExitCalibration> out;
  const double n = static_cast<double>(labels.size());
  for (std::size_t h = 0; h < names.size(); ++h) {
    auto table = [&](const char* criterion, const double* ts, std::size_t count, bool by_confidence) {
      ExitCalibration c{names[h], criterion, {}};
      for (std::size_t k = 0; k < count; ++k) {
        ThresholdPoint tp;
        tp.threshold = ts[k];
        int right = 0;
        for (std::size_t i = 0; i < labels.size(); ++i) {
          const bool exits = by_confidence ? o.confidence[h][i] >= ts[k] : o.difference[h][i] <= ts[k];
          if (!exits) continue;
          ++tp.exited;
          right += o.predicted[h][i] == labels[i];
        }
        tp.exit_rate = n > 0 ? tp.exited / n : 0;
        tp.accuracy = tp.exited > 0 ? static_cast<double>(right) / tp.exited : 0;
        c.points.push_back(tp);
      }
      out.push_back(std::move(c));
    };
    table("confidence", kConfidence, std::size(kConfidence), true);
    if (h > 0) table("difference", kDifference, std::size(kDifference), false);
  }
  if (outcomes) *outcomes = std::move(o);
  return out;
}

ExitTrainResult train_exits(const ExitModel& m, const FashionMnist& data, const ExitTrainOptions& o,
                            const std::function<void(int, int, int, double)>& progress) {
  if (o.epochs < 1 || o.batch < 1 || !(o.learning_rate > 0) || o.validation_images < 0 || o.train_images < 0 || o.distillation < 0)
    throw Error("train-exits: epochs and batch must be positive, the learning rate above 0, image counts and distillation not negative");
  if (!o.exit_weights.empty() && o.exit_weights.size() != m.exits.size())
    throw Error("train-exits: " + std::to_string(m.exits.size()) + " exit weights needed, got " + std::to_string(o.exit_weights.size()));
  if (!(m.graph.input_shape() == Shape{1, data.train.rows, data.train.cols}))
    throw Error("train-exits: the model takes " + to_string(m.graph.input_shape()) + " images, the data set has 1x" +
                std::to_string(data.train.rows) + "x" + std::to_string(data.train.cols));
  const auto t0 = std::chrono::steady_clock::now();
  if (o.threads > 0) torch::set_num_threads(o.threads);
  torch::manual_seed(o.seed);
  const Split split = split_off(data.train, o.validation_images, o.seed);
  const ImageSet train = o.train_images > 0 ? first_images(split.kept, o.train_images) : split.kept;
  if (train.size() == 0) throw Error("train-exits: no training images left");
  const torch::Tensor x_all = images_tensor(train, 0, train.size());
  const torch::Tensor y_all = labels_tensor(train);
  Params p = init_params(m);
  torch::optim::Adam adam(p.all(), torch::optim::AdamOptions(o.learning_rate));
  std::vector<double> w = o.exit_weights.empty() ? std::vector<double>(m.exits.size(), 1.0) : o.exit_weights;
  w.push_back(1.0);
  ExitTrainResult r;
  const int batches = (train.size() + o.batch - 1) / o.batch;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    const torch::Tensor order = torch::randperm(train.size(), torch::kLong);
    double sum = 0;
    for (int b = 0; b < batches; ++b) {
      const torch::Tensor idx = order.narrow(0, static_cast<std::int64_t>(b) * o.batch, std::min(o.batch, train.size() - b * o.batch));
      const torch::Tensor x = x_all.index_select(0, idx), y = y_all.index_select(0, idx);
      const std::vector<torch::Tensor> heads = forward(m, p, x);
      torch::Tensor loss = torch::zeros({});
      for (std::size_t h = 0; h < heads.size(); ++h) loss = loss + w[h] * F::cross_entropy(heads[h], y);
      if (o.distillation > 0) {
        const torch::Tensor teacher = torch::softmax(heads.back().detach() / kTemperature, 1);
        for (std::size_t h = 0; h + 1 < heads.size(); ++h)
          loss = loss + o.distillation * kTemperature * kTemperature *
                            F::kl_div(torch::log_softmax(heads[h] / kTemperature, 1), teacher, F::KLDivFuncOptions().reduction(torch::kBatchMean));
      }
      adam.zero_grad();
      loss.backward();
      adam.step();
      sum += loss.item<double>();
      if (progress) progress(epoch, b + 1, batches, sum / (b + 1));
    }
    r.epoch_loss.push_back(sum / batches);
  }
  // The trained parameters in the graph's (ONNX) layout, and every head's test accuracy.
  r.weights.layers.resize(static_cast<std::size_t>(m.graph.size()));
  for (std::size_t l = 0; l < p.weight.size(); ++l) {
    if (p.weight[l].defined()) r.weights.layers[l].weight = to_vector(p.weight[l]);
    if (p.bias[l].defined()) r.weights.layers[l].bias = to_vector(p.bias[l]);
  }
  for (std::size_t e = 0; e < p.head_w.size(); ++e) r.heads.push_back(LayerParams{to_vector(p.head_w[e]), to_vector(p.head_b[e]), {}, {}, {}, {}});
  const auto scores = exit_scores(m, r.weights, r.heads, data.test, 0, data.test.size());
  // Every head's outcome per test image (calibrate_exits' predictions), its accuracy and MACs;
  // then the calibration on the held-out validation images.
  std::vector<std::string> names;
  for (const ExitHead& e : m.exits) names.push_back(e.name);
  const std::vector<int> test_labels(data.test.labels.begin(), data.test.labels.end());
  calibrate_exits(names, scores, test_labels, &r.test_outcomes);
  const std::vector<double> macs = head_macs(m);
  for (std::size_t h = 0; h < scores.size(); ++h) {
    const bool final = h == m.exits.size();
    HeadAccuracy a{final ? "final" : m.exits[h].name, final ? m.graph.size() : m.exits[h].after, 0, static_cast<std::int64_t>(macs[h])};
    int right = 0;
    for (std::size_t i = 0; i < test_labels.size(); ++i) right += r.test_outcomes.predicted[h][i] == test_labels[i];
    a.accuracy = static_cast<double>(right) / data.test.size();
    r.test.push_back(a);
  }
  if (split.held_out.size() > 0) {
    const std::vector<int> labels(split.held_out.labels.begin(), split.held_out.labels.end());
    r.calibration = calibrate_exits(names, exit_scores(m, r.weights, r.heads, split.held_out, 0, split.held_out.size()), labels, &r.validation);
  }
  r.train_images = train.size();
  r.validation_images = split.held_out.size();
  r.test_images = data.test.size();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::vector<std::vector<std::vector<float>>> exit_scores(const ExitModel& m, const ModelWeights& weights, const std::vector<LayerParams>& heads,
                                                         const ImageSet& set, int first, int images) {
  torch::NoGradGuard no_grad;
  const Params p = params_from(m, weights, heads);
  std::vector<std::vector<std::vector<float>>> out(m.exits.size() + 1);
  for (int at = first; at < first + images; at += 500) {
    const int n = std::min(500, first + images - at);
    const std::vector<torch::Tensor> hs = forward(m, p, images_tensor(set, at, n));
    for (std::size_t h = 0; h < hs.size(); ++h) {
      const torch::Tensor s = hs[h].contiguous();
      for (int i = 0; i < n; ++i) out[h].emplace_back(s[i].data_ptr<float>(), s[i].data_ptr<float>() + s.size(1));
    }
  }
  return out;
}

}  // namespace edgeplan
