// ONNX import and export: zoo round trips (same layers, same weights, same simulated latency),
// each operator mapped to the layer it means, one-line errors for what is refused, plans that
// remember their file, and mutated files that load or fail cleanly (no libtorch: the
// sanitizer job runs these too).
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../temp_dir.h"
#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/onnx/onnx_model.h"
#include "edgeplan/onnx/plan_export.h"
#include "edgeplan/plan/plan.h"
#include "edgeplan/strategy/simple_plans.h"
#include "onnx_builder.h"

using namespace edgeplan;

namespace {

const std::string kRoot = EDGEPLAN_SOURCE_DIR;

int fuzz_cases() {
  const char* v = std::getenv("EDGEPLAN_FUZZ_CASES");
  return v ? std::max(1, std::atoi(v)) : 1500;
}

// Deterministic weights of the right sizes for every layer (what export needs).
ModelWeights synthetic_weights(const Graph& g) {
  ModelWeights w;
  auto fill = [](std::int64_t n, float scale) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = scale * static_cast<float>((i * 7919) % 23 - 11);
    return v;
  };
  for (int i = 0; i < g.size(); ++i) {
    const Layer& l = g.layer(i);
    const Shape& in = g.tensor_shape(l.inputs[0]);
    LayerParams p;
    if (l.kind == LayerKind::Conv) {
      p.weight = fill(std::int64_t{l.out_channels} * (in.c / l.groups) * l.win_h.kernel * l.win_w.kernel, 0.01f);
      if (l.bias) p.bias = fill(l.out_channels, 0.003f);
    } else if (l.kind == LayerKind::Linear) {
      p.weight = fill(std::int64_t{l.out_channels} * in.c, 0.001f);
      if (l.bias) p.bias = fill(l.out_channels, 0.002f);
    } else if (l.kind == LayerKind::BatchNorm) {
      p.gamma = fill(in.c, 0.01f);
      p.beta = fill(in.c, 0.02f);
      p.mean = fill(in.c, 0.01f);
      for (std::int64_t c = 0; c < in.c; ++c) p.var.push_back(1.0f + 0.01f * static_cast<float>(c % 5));
    }
    w.layers.push_back(std::move(p));
  }
  return w;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

std::string import_error(const std::string& bytes, std::optional<Shape> input = std::nullopt) {
  try {
    import_onnx(bytes, "m", input);
  } catch (const OnnxError& e) {
    const std::string msg = e.what();
    CHECK(msg.find('\n') == std::string::npos);
    return msg;
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("sha256 of known vectors", "[onnx]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("every zoo model survives an ONNX round trip: same layers, weights and simulated latency", "[onnx]") {
  const Scenario base = load_scenario_file(kRoot + "/benchmarks/scenarios/default.json");
  std::vector<std::string> devices;
  for (int d = 0; d < base.compute_devices; ++d) devices.push_back(base.devices[static_cast<std::size_t>(d)].id);
  for (const std::string& name : zoo_model_names()) {
    INFO(name);
    const Graph zoo = build_model(name);
    const ModelWeights w = synthetic_weights(zoo);
    const Graph back = import_onnx(export_onnx(zoo, w), name);
    REQUIRE(back.size() == zoo.size());
    REQUIRE(back.body_end() == zoo.body_end());
    for (int i = 0; i < zoo.size(); ++i) {
      const Layer& a = zoo.layer(i);
      const Layer& b = back.layer(i);
      INFO("layer " << i << " " << a.name);
      CHECK(b.name == a.name);
      CHECK(b.kind == a.kind);
      CHECK(b.inputs == a.inputs);
      CHECK(b.out == a.out);
      if (a.is_windowed()) {
        for (const auto& [x, y] : {std::make_pair(a.win_h, b.win_h), std::make_pair(a.win_w, b.win_w)}) {
          CHECK(y.kernel == x.kernel);
          CHECK(y.stride == x.stride);
          CHECK(y.pad == x.pad);
          CHECK(y.end_pad() == x.end_pad());
          CHECK(y.dilation == x.dilation);
        }
        CHECK(b.ceil_mode == a.ceil_mode);
      }
      CHECK(b.groups == a.groups);
      CHECK(b.bias == a.bias);
      CHECK(b.eps == a.eps);
      CHECK(b.alpha == a.alpha);
      if (a.kind == LayerKind::AvgPool) CHECK(b.count_include_pad == a.count_include_pad);
      const LayerParams& p = w.layers[static_cast<std::size_t>(i)];
      const LayerParams& q = back.weights()->layers[static_cast<std::size_t>(i)];
      CHECK(q.weight == p.weight);
      CHECK(q.bias == p.bias);
      CHECK(q.gamma == p.gamma);
      CHECK(q.var == p.var);
    }
    // Same plan shape, same simulated latency, on the default scenario.
    Scenario sa = base, sb = base;
    sa.graph = zoo;
    sb.graph = back;
    const Plan pa = make_even_plan(zoo, devices, per_layer_volumes(zoo));
    const Plan pb = make_even_plan(back, devices, per_layer_volumes(back));
    CHECK(Simulator(sb).latency_ms(pb) == Simulator(sa).latency_ms(pa));
  }
}

TEST_CASE("each ONNX operator imports as the layer it means", "[onnx]") {
  SECTION("auto_pad SAME_UPPER / SAME_LOWER and a zero Pad fold into the convolution's padding") {
    OnnxBuilder b({1, 2, 8, 8});
    auto* n = b.conv("x", 2, 4, 3);
    n->mutable_attribute()->RemoveLast();  // group
    n->mutable_attribute()->RemoveLast();  // pads
    OnnxBuilder::attr_s(n, "auto_pad", "SAME_UPPER");
    OnnxBuilder::attr(n, "strides", std::vector<std::int64_t>{2, 2});
    OnnxBuilder::attr(n, "group", std::int64_t{1});
    const std::string y = b.last();
    b.node("Pad", {y, b.ints({0, 0, 1, 2, 0, 0, 3, 0})});
    b.conv(b.last(), 4, 4, 3, {1, 1, 1, 1});
    const Graph g = import_onnx(b.bytes(), "m");
    REQUIRE(g.size() == 2);
    CHECK(g.layer(0).win_h.pad == 0);  // 8 rows, stride 2, kernel 3: one padding row, after
    CHECK(g.layer(0).win_h.end_pad() == 1);
    CHECK(g.layer(1).win_h.pad == 2);
    CHECK(g.layer(1).win_h.end_pad() == 4);
    CHECK(g.layer(1).win_w.pad == 3);
    CHECK(g.layer(1).win_w.end_pad() == 1);
    CHECK(g.layer(1).out == Shape{4, 8, 6});
  }
  SECTION("Clip is ReLU6, ReLU or a clip by its bounds; activations keep their parameters") {
    OnnxBuilder b({1, 2, 5, 5});
    b.node("Clip", {"x", b.weight({}, {0.0f}), b.weight({}, {6.0f})});
    b.node("Clip", {b.last(), b.weight({}, {0.0f})});
    b.node("Clip", {b.last(), b.weight({}, {-1.0f}), b.weight({}, {1.0f})});
    OnnxBuilder::attr_f(b.node("LeakyRelu", {b.last()}), "alpha", 0.25f);
    b.node("HardSigmoid", {b.last()});
    b.node("HardSwish", {b.last()});
    b.node("Sigmoid", {b.last()});
    const Graph g = import_onnx(b.bytes(), "m");
    REQUIRE(g.size() == 7);
    CHECK(g.layer(0).kind == LayerKind::ReLU6);
    CHECK(g.layer(1).kind == LayerKind::ReLU);
    CHECK(g.layer(2).kind == LayerKind::Clip);
    CHECK(g.layer(2).alpha == -1.0f);
    CHECK(g.layer(2).beta == 1.0f);
    CHECK(g.layer(3).alpha == 0.25f);
    CHECK(g.layer(4).kind == LayerKind::HardSigmoid);
    CHECK(g.layer(4).alpha == 0.2f);  // ONNX's defaults
    CHECK(g.layer(4).beta == 0.5f);
    CHECK(g.layer(5).kind == LayerKind::HardSwish);
    CHECK(g.layer(6).kind == LayerKind::Sigmoid);
  }
  SECTION("Gemm without transB is transposed and scaled; MatMul + Add is one layer with bias") {
    OnnxBuilder b({1, 2, 1, 1});
    b.node("Flatten", {"x"});
    auto* gemm = b.node("Gemm", {b.last(), b.weight({2, 3}, {1, 2, 3, 4, 5, 6}), b.weight({3}, {1, 1, 1})});
    OnnxBuilder::attr_f(gemm, "alpha", 2.0f);
    OnnxBuilder::attr_f(gemm, "beta", 0.5f);
    b.node("MatMul", {b.last(), b.weight({3, 2})});
    b.node("Add", {b.last(), b.weight({2}, {7, 8})});
    b.node("MatMul", {b.last(), b.weight({2, 4})});
    const Graph g = import_onnx(b.bytes(), "m");
    REQUIRE(g.size() == 4);
    CHECK(g.layer(1).kind == LayerKind::Linear);
    CHECK(g.weights()->layers[1].weight == std::vector<float>{2, 8, 4, 10, 6, 12});  // [out][in] = 2 * W[in][out]
    CHECK(g.weights()->layers[1].bias == std::vector<float>{0.5f, 0.5f, 0.5f});
    CHECK(g.layer(2).kind == LayerKind::Linear);
    CHECK(g.layer(2).bias);
    CHECK(g.weights()->layers[2].bias == std::vector<float>{7, 8});
    CHECK(g.layer(3).out == Shape{4, 1, 1});
    CHECK_FALSE(g.layer(3).bias);
  }
  SECTION("ReduceMean over H and W, shape arithmetic into a flattening Reshape, even pooling into Flatten") {
    OnnxBuilder b({1, 3, 6, 4});
    auto* pool = b.node("AveragePool", {"x"});
    OnnxBuilder::attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
    OnnxBuilder::attr(pool, "strides", std::vector<std::int64_t>{2, 2});
    const std::string pooled = b.last();
    auto* mean = b.node("ReduceMean", {pooled});
    OnnxBuilder::attr(mean, "axes", std::vector<std::int64_t>{-2, -1});
    const std::string m = b.last();
    b.node("Shape", {m});
    b.node("Gather", {b.last(), b.ints({0})});
    OnnxBuilder::attr(b.node("Concat", {b.last(), b.ints({-1})}), "axis", std::int64_t{0});
    b.node("Reshape", {m, b.last()});
    const Graph g = import_onnx(b.bytes(), "m");
    REQUIRE(g.size() == 3);
    CHECK(g.layer(0).kind == LayerKind::AvgPool);  // not into Flatten: a spatial pooling
    CHECK(g.layer(1).kind == LayerKind::GlobalAvgPool);
    CHECK(g.layer(2).kind == LayerKind::Flatten);

    OnnxBuilder h({1, 3, 6, 4});
    auto* p2 = h.node("AveragePool", {"x"});
    OnnxBuilder::attr(p2, "kernel_shape", std::vector<std::int64_t>{3, 2});
    OnnxBuilder::attr(p2, "strides", std::vector<std::int64_t>{3, 2});
    h.node("Flatten", {h.last()});
    const Graph head = import_onnx(h.bytes(), "m");
    CHECK(head.layer(0).kind == LayerKind::AdaptiveAvgPool);
    CHECK(head.layer(0).out == Shape{3, 2, 2});
    CHECK(head.body_end() == 0);
  }
  SECTION("pixel-unshuffle and nearest Resize") {
    OnnxBuilder b({1, 2, 4, 6});
    b.node("Reshape", {"x", b.ints({1, 2, 2, 2, 3, 2})});
    OnnxBuilder::attr(b.node("Transpose", {b.last()}), "perm", std::vector<std::int64_t>{0, 1, 3, 5, 2, 4});
    b.node("Reshape", {b.last(), b.ints({1, 8, 2, 3})});
    auto* r = b.node("Resize", {b.last(), "", "", b.ints({1, 8, 6, 6})});
    OnnxBuilder::attr_s(r, "mode", "nearest");
    OnnxBuilder::attr_s(r, "coordinate_transformation_mode", "asymmetric");
    OnnxBuilder::attr_s(r, "nearest_mode", "floor");
    const Graph g = import_onnx(b.bytes(), "m");
    REQUIRE(g.size() == 2);
    CHECK(g.layer(0).kind == LayerKind::Reorg);
    CHECK(g.layer(0).win_h.stride == 2);
    CHECK(g.layer(1).kind == LayerKind::Upsample);
    CHECK(g.layer(1).win_h.stride == 3);
    CHECK(g.layer(1).win_w.stride == 2);
  }
  SECTION("Split, channel shuffle and a channel Slice") {
    OnnxBuilder b({1, 6, 5, 4});
    auto* split = b.node("Split", {"x", b.ints({2, 4})});
    split->add_output("second");
    OnnxBuilder::attr(split, "axis", std::int64_t{1});
    const std::string first = b.last();
    b.node("Concat", {"second", first});
    OnnxBuilder::attr(b.model().mutable_graph()->mutable_node(1), "axis", std::int64_t{1});
    b.node("Reshape", {b.last(), b.ints({1, 3, 2, 5, 4})});
    OnnxBuilder::attr(b.node("Transpose", {b.last()}), "perm", std::vector<std::int64_t>{0, 2, 1, 3, 4});
    b.node("Reshape", {b.last(), b.ints({1, 6, 5, 4})});
    b.node("Slice", {b.last(), b.ints({1}), b.ints({-1}), b.ints({1})});
    const Graph g = import_onnx(b.bytes(), "m");
    REQUIRE(g.size() == 5);
    CHECK(g.layer(0).kind == LayerKind::ChannelSlice);
    CHECK(g.layer(0).out == Shape{2, 5, 4});
    CHECK(g.layer(1).channel_begin == 2);
    CHECK(g.layer(1).out_channels == 4);
    CHECK(g.layer(2).inputs == std::vector<int>{1, 0});
    CHECK(g.layer(3).kind == LayerKind::ChannelShuffle);
    CHECK(g.layer(3).groups == 3);
    CHECK(g.layer(4).kind == LayerKind::ChannelSlice);
    CHECK(g.layer(4).channel_begin == 1);
    CHECK(g.layer(4).out == Shape{4, 5, 4});
  }
  SECTION("Mul, Add and Sub by a per-channel constant or a scalar are one affine layer each") {
    OnnxBuilder b({1, 2, 4, 4});
    b.node("Sub", {"x", b.weight({1, 2, 1, 1}, {0.5f, -1.0f})});
    b.node("Mul", {b.last(), b.weight({2, 1, 1}, {2.0f, 3.0f})});
    b.node("Add", {b.weight({}, {0.25f}), b.last()});
    b.node("Sub", {b.weight({1}, {1.0f}), b.last()});
    const Graph g = import_onnx(b.bytes(), "m");
    REQUIRE(g.size() == 4);
    const auto& p = g.weights()->layers;
    for (int i = 0; i < 4; ++i) CHECK(g.layer(i).kind == LayerKind::Affine);
    CHECK(p[0].gamma == std::vector<float>{1, 1});
    CHECK(p[0].beta == std::vector<float>{-0.5f, 1.0f});
    CHECK(p[1].gamma == std::vector<float>{2, 3});
    CHECK(p[1].beta == std::vector<float>{0, 0});
    CHECK(p[2].beta == std::vector<float>{0.25f, 0.25f});
    CHECK(p[3].gamma == std::vector<float>{-1, -1});
    CHECK(p[3].beta == std::vector<float>{1, 1});
    OnnxBuilder w({1, 2, 4, 4});
    w.node("Add", {"x", w.weight({2}, {1, 2})});  // broadcasts along columns, not channels
    CHECK(contains(import_error(w.bytes()), "only a scalar or one value per channel"));
  }
  SECTION("Div by a constant is a scale by its inverse; Sub of two maps adds the negation") {
    OnnxBuilder b({1, 2, 4, 4});
    b.node("Div", {"x", b.weight({1, 2, 1, 1}, {4.0f, -0.5f})});
    const std::string d = b.last();
    b.node("Relu", {d});
    b.node("Sub", {d, b.last()});
    const Graph g = import_onnx(b.bytes(), "m");
    REQUIRE(g.size() == 4);
    const auto& p = g.weights()->layers;
    CHECK(g.layer(0).kind == LayerKind::Affine);
    CHECK(p[0].gamma == std::vector<float>{0.25f, -2.0f});
    CHECK(g.layer(2).kind == LayerKind::Affine);  // -relu
    CHECK(g.layer(2).inputs == std::vector<int>{1});
    CHECK(p[2].gamma == std::vector<float>{-1, -1});
    CHECK(g.layer(3).kind == LayerKind::Add);
    CHECK(g.layer(3).inputs == std::vector<int>{0, 2});
    OnnxBuilder rev({1, 2, 4, 4});
    rev.node("Div", {rev.weight({}, {1.0f}), "x"});
    CHECK(contains(import_error(rev.bytes()), "Div of a constant by a map"));
    OnnxBuilder maps({1, 2, 4, 4});
    maps.node("Relu", {"x"});
    maps.node("Div", {"x", maps.last()});
    CHECK(contains(import_error(maps.bytes()), "Div is supported only for a map divided by a scalar or per-channel constant"));
    OnnxBuilder zero({1, 2, 4, 4});
    zero.node("Div", {"x", zero.weight({2, 1, 1}, {1.0f, 0.0f})});
    CHECK(contains(import_error(zero.bytes()), "Div by zero"));
  }
  SECTION("squeeze-and-excitation: the pooling is a whole-map window inside the body, a spatial barrier") {
    OnnxBuilder b({1, 4, 7, 5});
    b.conv("x", 4, 4, 3, {1, 1, 1, 1});
    const std::string x = b.last();
    b.node("GlobalAveragePool", {x});
    b.conv(b.last(), 4, 2, 1);
    b.node("Relu", {b.last()});
    b.conv(b.last(), 2, 4, 1);
    b.node("Sigmoid", {b.last()});
    b.node("Mul", {b.last(), x});  // the vector first
    const std::string y = b.last();
    OnnxBuilder::attr(b.node("ReduceMean", {y}), "axes", std::vector<std::int64_t>{2, 3});
    b.node("Mul", {y, b.last()});
    b.node("GlobalAveragePool", {b.last()});  // the classifier's pooling stays the tail
    b.node("Flatten", {b.last()});
    const Graph g = import_onnx(b.bytes(), "m");
    REQUIRE(g.size() == 11);
    CHECK(g.body_end() == 9);
    for (int i : {1, 7}) {
      CHECK(g.layer(i).kind == LayerKind::AvgPool);
      CHECK(g.layer(i).win_h.kernel == 7);
      CHECK(g.layer(i).win_w.kernel == 5);
      CHECK(g.layer(i).out == Shape{4, 1, 1});
    }
    CHECK(g.layer(6).kind == LayerKind::Mul);
    CHECK(g.layer(6).out == Shape{4, 7, 5});
    CHECK(g.layer(9).kind == LayerKind::GlobalAvgPool);
    // One row after the barrier needs every row before it: the volume's input is the whole image.
    const VolumeRegions vr = required_regions(g, LayerRange{0, 9}, {{8, Region{Interval{3, 4}, Interval{0, 5}}}});
    CHECK(vr.inputs.at(kModelInput) == full_region(g.input_shape()));
    // After the barrier, only the halo: the volume from the first Mul needs rows 3 and the vector.
    const VolumeRegions after = required_regions(g, LayerRange{6, 7}, {{6, Region{Interval{3, 4}, Interval{1, 2}}}});
    CHECK(after.inputs.at(5) == Region{Interval{0, 1}, Interval{0, 1}});
    CHECK(after.inputs.at(0) == Region{Interval{3, 4}, Interval{1, 2}});
  }
  SECTION("ConvTranspose keeps pads (cropping), output_padding, groups and its weight layout") {
    OnnxBuilder b({1, 4, 5, 6});
    auto* n = b.node("ConvTranspose", {"x", b.weight({4, 3, 3, 2}), b.weight({6})});
    OnnxBuilder::attr(n, "strides", std::vector<std::int64_t>{2, 3});
    OnnxBuilder::attr(n, "pads", std::vector<std::int64_t>{1, 0, 0, 1});
    OnnxBuilder::attr(n, "output_padding", std::vector<std::int64_t>{1, 2});
    OnnxBuilder::attr(n, "group", std::int64_t{2});
    const Graph g = import_onnx(b.bytes(), "m");
    REQUIRE(g.size() == 1);
    const Layer& l = g.layer(0);
    CHECK(l.kind == LayerKind::ConvTranspose);
    CHECK(l.out_channels == 6);
    CHECK(l.groups == 2);
    CHECK((l.win_h.kernel == 3 && l.win_h.stride == 2 && l.win_h.pad == 1 && l.win_h.end_pad() == 0 && l.win_h.extra == 1));
    CHECK((l.win_w.kernel == 2 && l.win_w.stride == 3 && l.win_w.pad == 0 && l.win_w.end_pad() == 1 && l.win_w.extra == 2));
    CHECK(l.out == Shape{6, 2 * 4 + 3 + 1 - 1, 3 * 5 + 2 + 2 - 1});  // ONNX's output shape formula
    CHECK(g.weights()->layers[0].weight.size() == 4 * 3 * 3 * 2);
    auto refused = [](const char* attr, const std::string& value) {
      OnnxBuilder r({1, 2, 4, 4});
      auto* m = r.node("ConvTranspose", {"x", r.weight({2, 2, 3, 3})});
      if (value.empty()) OnnxBuilder::attr(m, attr, std::vector<std::int64_t>{8, 8});
      else OnnxBuilder::attr_s(m, attr, value);
      return import_error(r.bytes());
    };
    CHECK(contains(refused("output_shape", ""), "output_shape is not supported"));
    CHECK(contains(refused("auto_pad", "SAME_UPPER"), "auto_pad SAME_UPPER is not supported"));
  }
  SECTION("a symbolic height and width take the size the user gives") {
    OnnxBuilder b({1, 3, 0, 0});
    b.node("Relu", {"x"});
    const std::string bytes = b.bytes();
    CHECK(contains(import_error(bytes), "symbolic height or width"));
    CHECK(import_onnx(bytes, "m", Shape{3, 9, 11}).input_shape() == Shape{3, 9, 11});
    CHECK(contains(import_error(bytes, Shape{4, 9, 11}), "does not fit"));
  }
}

TEST_CASE("what the importer refuses, it names in one line", "[onnx]") {
  auto single = [](const std::string& op) {
    OnnxBuilder b({1, 2, 5, 5});
    b.node(op, {"x"});
    return b.bytes();
  };
  std::string msg = import_error(single("Softmax"));
  CHECK(contains(msg, "Softmax"));
  CHECK(contains(msg, "(Softmax)"));
  CHECK(contains(msg, "supported: Add"));

  // Squeeze-and-excitation through a fully connected layer (not torchvision's 1x1 convolutions).
  OnnxBuilder se({1, 4, 6, 6});
  se.node("GlobalAveragePool", {"x"});
  se.node("Flatten", {se.last()});
  OnnxBuilder::attr(se.node("Gemm", {se.last(), se.weight({4, 4})}), "transB", std::int64_t{1});
  se.node("Sigmoid", {se.last()});
  se.node("Reshape", {se.last(), se.ints({1, 4, 1, 1})});
  se.node("Mul", {"x", se.last()});
  INFO(import_error(se.bytes()));
  CHECK(contains(import_error(se.bytes()), "squeeze-and-excitation is supported with 1x1 convolutions"));
  // Only Mul broadcasts a vector over a map.
  OnnxBuilder add_vec({1, 4, 6, 6});
  add_vec.node("GlobalAveragePool", {"x"});
  add_vec.node("Add", {"x", add_vec.last()});
  CHECK(contains(import_error(add_vec.bytes()), "broadcasting is supported only for Mul"));

  OnnxBuilder old({1, 2, 5, 5}, 9);
  old.node("Relu", {"x"});
  CHECK(contains(import_error(old.bytes()), "opset 9 is not supported"));

  OnnxBuilder batch({2, 2, 5, 5});
  batch.node("Relu", {"x"});
  CHECK(contains(import_error(batch.bytes()), "batch 2"));

  OnnxBuilder bn({1, 2, 5, 5});
  auto* n = bn.node("BatchNormalization", {"x", bn.weight({2}), bn.weight({2}), bn.weight({2}), bn.weight({2}, {1, 1})});
  OnnxBuilder::attr(n, "training_mode", std::int64_t{1});
  CHECK(contains(import_error(bn.bytes()), "training-mode"));

  OnnxBuilder mapw({1, 2, 5, 5});
  mapw.node("Conv", {"x", "x"});
  CHECK(contains(import_error(mapw.bytes()), "must be a constant"));

  OnnxBuilder wrong({1, 2, 5, 5});
  wrong.conv("x", 2, 3, 3);
  wrong.model().mutable_graph()->mutable_initializer(0)->add_float_data(1.0f);
  CHECK(contains(import_error(wrong.bytes()), "holds 55 values"));

  OnnxBuilder ext({1, 2, 5, 5});
  ext.conv("x", 2, 3, 3);
  ext.model().mutable_graph()->mutable_initializer(0)->set_data_location(onnx::TensorProto::EXTERNAL);
  CHECK(contains(import_error(ext.bytes()), "external file"));

  OnnxBuilder cmul({1, 2, 5, 5});
  cmul.node("Mul", {"x", cmul.weight({1, 2, 5, 5})});
  CHECK(contains(import_error(cmul.bytes()), "constant operand"));

  OnnxBuilder tr({1, 2, 5, 5});
  tr.node("Transpose", {"x"});
  CHECK(contains(import_error(tr.bytes()), "pixel-unshuffle"));

  OnnxBuilder lin({1, 2, 5, 5});
  auto* rs = lin.node("Resize", {"x", "", lin.weight({4}, {1, 1, 2, 2})});
  OnnxBuilder::attr_s(rs, "mode", "linear");
  CHECK(contains(import_error(lin.bytes()), "nearest-neighbour"));

  OnnxBuilder half({1, 2, 5, 5});
  auto* hr = half.node("Resize", {"x", "", half.weight({4}, {1, 1, 3, 3})});
  OnnxBuilder::attr_s(hr, "coordinate_transformation_mode", "asymmetric");  // round_prefer_floor of o/3 is not o/3
  CHECK(contains(import_error(half.bytes()), "does not repeat each cell 3 times"));

  OnnxBuilder after({1, 2, 5, 5});
  after.node("GlobalAveragePool", {"x"});
  after.conv(after.last(), 2, 2, 1);
  CHECK(contains(import_error(after.bytes()), "follows the global pooling"));

  OnnxBuilder unused({1, 2, 5, 5});
  unused.node("Relu", {"x"});
  const std::string first = unused.last();
  unused.node("Sigmoid", {"x"});
  unused.model().mutable_graph()->clear_output();
  unused.model().mutable_graph()->add_output()->set_name(first);
  std::string bytes;
  unused.model().SerializeToString(&bytes);
  CHECK(contains(import_error(bytes), "not the last layer"));

  CHECK(contains(import_error(""), "not an ONNX model"));
  CHECK(contains(import_error("this is not a protobuf"), "not an ONNX model"));
}

TEST_CASE("ONNX files: load_model, scenarios and plans remember the file and its SHA-256", "[onnx]") {
  TempDir dir;
  OnnxBuilder b({1, 3, 12, 10});
  b.conv("x", 3, 4, 3, {1, 1, 1, 1});
  b.node("Relu", {b.last()});
  b.conv(b.last(), 4, 4, 3, {0, 1, 2, 1});
  const std::string bytes = b.bytes();
  write_bytes(dir / "net.onnx", bytes);

  const Graph g = load_model("net.onnx", std::nullopt, dir.path());
  CHECK(g.name() == "net");
  CHECK(g.origin().sha256 == sha256_hex(bytes));
  CHECK(g.origin().onnx_path == dir / "net.onnx");
  CHECK_THROWS_WITH(load_model("missing.onnx", std::nullopt, dir.path()), Catch::Contains("no such file"));
  CHECK_THROWS_AS(load_model("no_such_zoo_model"), ModelError);

  // A scenario names the file relative to itself.
  std::ifstream in(kRoot + "/benchmarks/scenarios/default.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string zoo_model = "\"name\": \"vgg16\", \"input\": [3, 224, 224]";
  REQUIRE(text.find(zoo_model) != std::string::npos);
  const std::string base = kRoot + "/benchmarks/scenarios";
  std::string onnx_text = text;
  onnx_text.replace(onnx_text.find(zoo_model), zoo_model.size(), "\"onnx\": \"" + dir.path() + "/net.onnx\"");
  const Scenario s = parse_scenario(onnx_text, base);
  CHECK(s.graph.name() == "net");
  std::string both = text;
  both.replace(both.find(zoo_model), zoo_model.size(), zoo_model + ", \"onnx\": \"net.onnx\"");
  CHECK_THROWS_WITH(parse_scenario(both, base), Catch::Contains("either \"name\""));

  // A plan records the file and its hash, and refuses another file in its place.
  const Plan p = make_even_plan(g, {"a", "b"}, per_layer_volumes(g));
  CHECK(p.model_sha256 == sha256_hex(bytes));
  const std::string json = plan_to_json(p);
  CHECK(json.find(sha256_hex(bytes)) != std::string::npos);
  CHECK(parse_plan(json) == p);
  CHECK_THROWS_WITH(validate_plan(p, build_model("alexnet")), Catch::Contains("plan is for model 'net'"));
  OnnxBuilder other({1, 3, 12, 10});
  other.conv("x", 3, 4, 3, {1, 1, 1, 1});
  other.node("Relu", {other.last()});
  other.conv(other.last(), 4, 4, 3, {0, 1, 2, 1});
  other.model().mutable_graph()->mutable_initializer(0)->set_float_data(0, 0.5f);
  write_bytes(dir / "net.onnx", other.bytes());
  CHECK_THROWS_WITH(parse_plan(json), Catch::Contains("that file now has"));
}

namespace {

// Truncates, flips or inserts bytes of `good` `n` times; every result loads or fails with one line.
void fuzz_import(const std::string& good, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int n = fuzz_cases();
  int loaded = 0;
  for (int i = 0; i < n; ++i) {
    std::string m = good;
    switch (i % 3) {
      case 0: m.resize(static_cast<std::size_t>(rng() % m.size())); break;
      case 1:
        for (int k = 0, flips = 1 + static_cast<int>(rng() % 8); k < flips; ++k)
          m[static_cast<std::size_t>(rng() % m.size())] = static_cast<char>(rng() & 0xff);
        break;
      default: m.insert(static_cast<std::size_t>(rng() % m.size()), std::string(1 + rng() % 4, static_cast<char>(rng() & 0xff)));
    }
    try {
      const Graph g = import_onnx(m, "m");
      CHECK(g.size() > 0);
      ++loaded;
    } catch (const OnnxError& e) {
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
  INFO(loaded << " of " << n << " mutated files still loaded");
  CHECK(loaded < n);
}

}  // namespace

TEST_CASE("mutated ONNX files load or fail with a one-line OnnxError", "[onnx][fuzz]") {
  OnnxBuilder b({1, 3, 9, 9});
  b.conv("x", 3, 4, 3, {1, 1, 1, 1});
  b.node("BatchNormalization", {b.last(), b.weight({4}), b.weight({4}), b.weight({4}), b.weight({4}, {1, 1, 1, 1})});
  b.node("Relu", {b.last()});
  auto* pool = b.node("MaxPool", {b.last()});
  OnnxBuilder::attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  OnnxBuilder::attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  b.node("GlobalAveragePool", {b.last()});
  b.node("Flatten", {b.last()});
  OnnxBuilder::attr(b.node("Gemm", {b.last(), b.weight({5, 4})}), "transB", std::int64_t{1});
  const std::string good = b.bytes();
  REQUIRE(import_onnx(good, "m").size() == 7);
  fuzz_import(good, 42);
  // Squeeze-and-excitation, a transposed convolution, Div and Sub: the newer import paths.
  OnnxBuilder se({1, 4, 7, 6});
  se.conv("x", 4, 4, 3, {1, 1, 1, 1});
  const std::string x = se.last();
  se.node("GlobalAveragePool", {x});
  se.conv(se.last(), 4, 4, 1);
  se.node("Sigmoid", {se.last()});
  se.node("Mul", {x, se.last()});
  auto* t = se.node("ConvTranspose", {se.last(), se.weight({4, 2, 3, 3}), se.weight({2})});
  OnnxBuilder::attr(t, "strides", std::vector<std::int64_t>{2, 2});
  OnnxBuilder::attr(t, "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  OnnxBuilder::attr(t, "output_padding", std::vector<std::int64_t>{1, 1});
  const std::string up = se.last();
  se.node("Div", {up, se.weight({}, {4.0f})});
  se.node("Sub", {se.last(), up});
  const std::string good_se = se.bytes();
  REQUIRE(import_onnx(good_se, "m").size() == 9);
  fuzz_import(good_se, 43);
}

TEST_CASE("a plan exports as one ONNX model per part whose inputs are exactly the rows its messages bring", "[onnx][parts]") {
  const Graph g = build_model("resnet18", Shape{3, 45, 39});
  const ModelWeights w = synthetic_weights(g);
  RandomPlanOptions ro;
  ro.max_parts = 4;
  ro.tile_probability = 0.5;
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    const Plan p = make_random_plan(g, seed, ro);
    std::vector<std::string> devices = p.devices;
    devices.push_back("camera");
    const PlanExport out = export_plan_onnx(g, w, p, devices, static_cast<int>(devices.size()) - 1, 0);
    const auto manifest = nlohmann::json::parse(out.files.back().bytes);
    REQUIRE(out.files.back().name == "manifest.json");
    CHECK(manifest["format"] == kPartsFormat);
    std::size_t parts = 0;
    for (const Volume& v : p.volumes) parts += v.parts.size();
    CHECK(manifest["tasks"].size() == parts + 1);  // and the tail
    CHECK(out.files.size() == parts + 2);
    for (std::size_t i = 0; i + 1 < out.files.size(); ++i) {
      onnx::ModelProto m;
      CHECK(m.ParseFromString(out.files[i].bytes));
      CHECK(out.files[i].name == manifest["tasks"][i]["file"]);
    }
    // Every input cell of every task arrives by exactly one message (no gap, no double send).
    for (const auto& task : manifest["tasks"]) {
      for (const auto& in : task["inputs"]) {
        const int r0 = in["rows"][0], r1 = in["rows"][1], c0 = in["cols"][0], c1 = in["cols"][1];
        std::vector<int> hits(static_cast<std::size_t>((r1 - r0) * (c1 - c0)), 0);
        for (const auto& m : manifest["messages"]) {
          if (m["to"] != task["id"] || m["tensor"] != in["tensor"]) continue;
          CHECK(m["to_device"] == task["device"]);
          for (int r = m["rows"][0]; r < m["rows"][1].get<int>(); ++r)
            for (int c = m["cols"][0]; c < m["cols"][1].get<int>(); ++c) {
              REQUIRE(r >= r0);
              REQUIRE(r < r1);
              REQUIRE(c >= c0);
              REQUIRE(c < c1);
              ++hits[static_cast<std::size_t>((r - r0) * (c1 - c0) + (c - c0))];
            }
        }
        INFO("task " << task["id"] << " tensor " << in["tensor"]);
        CHECK(std::count(hits.begin(), hits.end(), 1) == static_cast<long>(hits.size()));
      }
    }
    CHECK(manifest["image"]["device"] == "camera");
    CHECK(manifest["result"]["tensor"] == g.size() - 1);
  }
  // A plan of another model is refused with one line.
  const Plan other = make_even_plan(build_model("alexnet"), {"a"}, {LayerRange{0, 13}});
  CHECK_THROWS_AS(export_plan_onnx(g, w, other, {"a"}, 0, 0), PlanError);
}
