// Every layer kind run split (rows and tiles, odd sizes, borders) against its monolithic run.
#include <functional>

#include <catch2/catch.hpp>

#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/strategy/simple_plans.h"

using namespace edgeplan;

namespace {

constexpr double kTolerance = 1e-5;

// Builds a one-block graph on an odd-sized input, then checks 25 random plans and the
// finest possible split (one part per output row) against the monolithic run.
void check_split_exact(const std::string& what, Shape input, const std::function<void(Graph&)>& build) {
  Graph g(what, input);
  build(g);
  const CpuExecutor exec(g);
  RandomPlanOptions opt;
  opt.max_parts = 7;
  opt.tile_probability = 0.5;
  for (std::uint64_t seed = 0; seed < 25; ++seed) {
    const Plan p = make_random_plan(g, seed, opt);
    const VerifyResult r = exec.verify(p);
    INFO(what << " seed " << seed << ": rel error " << r.error.max_rel_error);
    CHECK(r.error.max_rel_error <= kTolerance);
    CHECK(r.error.reference_max_abs > 0);
  }
  const int rows = g.layer(g.body_end() - 1).out.h;
  const Plan fine = make_even_plan(g, numbered_devices(rows), per_layer_volumes(g));
  INFO(what << ": one row per part");
  CHECK(exec.verify(fine).error.max_rel_error <= kTolerance);
}

}  // namespace

TEST_CASE("convolutions: stride, padding, dilation, groups, depthwise, all-padding rows", "[layers]") {
  check_split_exact("conv_s2", Shape{3, 17, 13}, [](Graph& g) { g.conv("c", kModelInput, 5, 3, 2, 1); });
  check_split_exact("conv_k5_p2", Shape{4, 15, 11}, [](Graph& g) { g.conv("c", kModelInput, 4, 5, 1, 2, 2); });
  check_split_exact("conv_dilated", Shape{2, 19, 9}, [](Graph& g) { g.conv("c", kModelInput, 3, 3, 1, 2, 1, true, 2); });
  check_split_exact("conv_depthwise_s2", Shape{6, 14, 15}, [](Graph& g) { g.conv("c", kModelInput, 6, 3, 2, 1, 6); });
  check_split_exact("conv_k7_s2_p3", Shape{3, 23, 21}, [](Graph& g) { g.conv("c", kModelInput, 4, 7, 2, 3); });
  // Padding larger than the window reach: the border rows read only zeros.
  check_split_exact("conv_k1_p1", Shape{3, 9, 7}, [](Graph& g) { g.conv("c", kModelInput, 2, 1, 1, 1); });
  check_split_exact("conv_chain", Shape{3, 21, 17}, [](Graph& g) {
    int x = g.conv("a", kModelInput, 4, 3, 1, 1);
    x = g.conv("b", x, 4, 3, 2, 0);
    g.conv("c", x, 4, 3, 1, 1, 1, true, 2);
  });
}

TEST_CASE("batch norm and activations", "[layers]") {
  check_split_exact("bn_act", Shape{3, 11, 9}, [](Graph& g) {
    int x = g.conv("c", kModelInput, 4, 3, 1, 1);
    x = g.batch_norm("bn", x);
    x = g.leaky_relu("lr", x, 0.1f);
    x = g.relu6("r6", g.conv("c2", x, 4, 3, 1, 1));
    g.relu("r", g.conv("c3", x, 4, 3, 1, 1));
  });
}

TEST_CASE("pooling: ceil mode, padding, count_include_pad", "[layers]") {
  check_split_exact("maxpool_ceil", Shape{3, 17, 14}, [](Graph& g) { g.max_pool("p", kModelInput, 3, 2, 0, true); });
  check_split_exact("maxpool_pad_ceil", Shape{3, 16, 13}, [](Graph& g) { g.max_pool("p", kModelInput, 3, 2, 1, true); });
  check_split_exact("maxpool_k2", Shape{3, 15, 15}, [](Graph& g) { g.max_pool("p", kModelInput, 2, 2); });
  check_split_exact("avgpool_ceil_incl", Shape{3, 17, 14}, [](Graph& g) { g.avg_pool("p", kModelInput, 3, 2, 1, true, true); });
  check_split_exact("avgpool_ceil_excl", Shape{3, 17, 14}, [](Graph& g) { g.avg_pool("p", kModelInput, 3, 2, 1, true, false); });
  check_split_exact("avgpool_floor", Shape{3, 13, 10}, [](Graph& g) { g.avg_pool("p", kModelInput, 2, 2, 0, false, true); });
}

TEST_CASE("residual add, concat, upsample, reorg", "[layers]") {
  check_split_exact("residual", Shape{3, 13, 11}, [](Graph& g) {
    const int a = g.conv("a", kModelInput, 4, 3, 1, 1);
    const int b = g.conv("b", g.relu("r", g.conv("b0", a, 4, 3, 1, 1)), 4, 3, 1, 1);
    g.relu("out", g.add_tensors("add", {a, b}));
  });
  check_split_exact("inception_like", Shape{4, 15, 12}, [](Graph& g) {
    const int a = g.conv("a", kModelInput, 3, 1);
    const int b = g.conv("b", g.conv("b0", kModelInput, 3, 1), 2, 3, 1, 1);
    const int c = g.conv("c", g.max_pool("p", kModelInput, 3, 1, 1, true), 2, 1);
    g.concat("cat", {a, b, c});
  });
  check_split_exact("upsample", Shape{3, 7, 9}, [](Graph& g) {
    g.conv("c", g.upsample("up", g.conv("a", kModelInput, 3, 3, 1, 1), 2), 2, 3, 1, 1);
  });
  check_split_exact("reorg_passthrough", Shape{3, 16, 12}, [](Graph& g) {
    const int a = g.conv("a", kModelInput, 4, 3, 1, 1);
    const int r = g.reorg("ro", g.conv("r0", a, 2, 1), 2);
    const int p = g.conv("b", g.max_pool("p", a, 2, 2), 4, 3, 1, 1);
    g.conv("head", g.concat("route", {r, p}), 5, 3, 1, 1);
  });
}

TEST_CASE("the classifier tail runs after the stitched body", "[layers]") {
  check_split_exact("tail", Shape{3, 13, 13}, [](Graph& g) {
    int x = g.conv("a", kModelInput, 4, 3, 2, 1);
    x = g.adaptive_avg_pool("aap", x, 3, 2);
    x = g.linear("fc", g.flatten("fl", x), 7);
    g.relu("r", x);
  });
}

namespace {

int add_kind(Graph& g, const std::string& name, LayerKind kind, std::vector<int> inputs, float alpha = 0, float beta = 0) {
  Layer l;
  l.name = name;
  l.kind = kind;
  l.inputs = std::move(inputs);
  l.alpha = alpha;
  l.beta = beta;
  return g.add(std::move(l));
}

int add_window(Graph& g, const std::string& name, LayerKind kind, int input, Window h, Window w, int out_channels = 0,
               bool ceil_mode = false, bool count_include_pad = true) {
  Layer l;
  l.name = name;
  l.kind = kind;
  l.inputs = {input};
  l.win_h = h;
  l.win_w = w;
  l.out_channels = out_channels;
  l.bias = kind == LayerKind::Conv;
  l.ceil_mode = ceil_mode;
  l.count_include_pad = count_include_pad;
  return g.add(std::move(l));
}

}  // namespace

TEST_CASE("the kinds ONNX import brings: sigmoid, hard sigmoid, hard swish, clip, mul, asymmetric padding", "[layers]") {
  check_split_exact("gates", Shape{3, 13, 11}, [](Graph& g) {
    const int a = g.conv("a", kModelInput, 4, 3, 1, 1);
    const int s = add_kind(g, "sig", LayerKind::Sigmoid, {g.conv("s0", a, 4, 3, 1, 1)});
    const int h = add_kind(g, "hsw", LayerKind::HardSwish, {a});
    const int m = add_kind(g, "mul", LayerKind::Mul, {h, s, a});
    const int c = add_kind(g, "clip", LayerKind::Clip, {g.conv("c0", m, 4, 3, 1, 1)}, -0.3f, 0.4f);
    add_kind(g, "affine", LayerKind::Affine, {add_kind(g, "hsig", LayerKind::HardSigmoid, {c}, 0.3f, 0.45f)});
  });
  // TF-style SAME padding: one row / column more after than before (and the reverse).
  check_split_exact("conv_same_upper_s2", Shape{3, 16, 15}, [](Graph& g) {
    add_window(g, "c", LayerKind::Conv, kModelInput, Window{3, 2, 0, 1, 1}, Window{4, 2, 2, 1, 1}, 4);
  });
  check_split_exact("conv_asym_dilated", Shape{2, 17, 12}, [](Graph& g) {
    add_window(g, "c", LayerKind::Conv, kModelInput, Window{3, 1, 3, 2, 0}, Window{3, 1, 0, 2, 2}, 3);
  });
  check_split_exact("maxpool_asym_ceil", Shape{3, 15, 14}, [](Graph& g) {
    add_window(g, "p", LayerKind::MaxPool, kModelInput, Window{3, 2, 0, 1, 1}, Window{3, 2, 1, 1, 0}, 0, true);
  });
  check_split_exact("avgpool_asym_excl", Shape{3, 13, 16}, [](Graph& g) {
    add_window(g, "p", LayerKind::AvgPool, kModelInput, Window{3, 2, 1, 1, 0}, Window{2, 2, 0, 1, 1}, 0, false, false);
  });
  check_split_exact("split_shuffle", Shape{6, 11, 9}, [](Graph& g) {
    const int a = g.conv("a", kModelInput, 8, 3, 1, 1);
    Layer lo;
    lo.name = "lo";
    lo.kind = LayerKind::ChannelSlice;
    lo.inputs = {a};
    lo.out_channels = 3;
    const int l0 = g.add(lo);
    lo.name = "hi";
    lo.channel_begin = 3;
    lo.out_channels = 5;
    const int l1 = g.add(lo);
    Layer sh;
    sh.name = "shuffle";
    sh.kind = LayerKind::ChannelShuffle;
    sh.inputs = {g.concat("cat", {g.conv("b", l1, 5, 3, 2, 1), g.max_pool("p", l0, 3, 2, 1)})};
    sh.groups = 2;
    g.conv("c", g.add(sh), 4, 3, 1, 1);
  });
  // Squeeze-and-excitation: a pooling over the whole map, 1x1 layers, then the map scaled by
  // the vector (either operand first); every part needs every row before the pooling.
  check_split_exact("squeeze_excitation", Shape{3, 14, 11}, [](Graph& g) {
    const int a = g.conv("a", kModelInput, 4, 3, 1, 1);
    const int sq = add_window(g, "squeeze", LayerKind::AvgPool, a, Window{14, 14, 0, 1, -1}, Window{11, 11, 0, 1, -1}, 0);
    const int s = add_kind(g, "gate", LayerKind::Sigmoid, {g.conv("fc", g.relu("r", g.conv("fc0", sq, 2, 1)), 4, 1)});
    const int m = add_kind(g, "scale", LayerKind::Mul, {a, s});
    const int b = g.conv("b", m, 4, 3, 2, 1);
    add_kind(g, "scale2", LayerKind::Mul, {s, b, s});
  });
  // Transposed convolutions: the usual 2x (k3 s2 p1 + output padding, k4 s2 p1), taps that
  // skip outputs (k1 s2: odd outputs are the bias), dilation, groups, asymmetric cropping.
  check_split_exact("conv_transpose", Shape{4, 9, 7}, [](Graph& g) {
    Window up{3, 2, 1, 1, -1};
    up.extra = 1;
    const int a = g.conv_transpose("up3", kModelInput, 6, up, up);
    const int b = g.conv_transpose("up4", g.relu("r", a), 4, Window{4, 2, 1, 1, -1}, Window{4, 2, 1, 1, -1}, 2);
    const int c = g.conv_transpose("skip", g.conv("c", b, 4, 3, 2, 1), 4, Window{1, 2, 0, 1, -1}, Window{3, 1, 2, 2, 0});
    Window asym{3, 3, 0, 1, 2};
    asym.extra = 2;
    g.conv_transpose("asym", c, 3, asym, Window{2, 1, 1, 1, 0});
  });
  check_split_exact("avgpool_asym_incl_ceil", Shape{3, 13, 16}, [](Graph& g) {
    add_window(g, "p", LayerKind::AvgPool, kModelInput, Window{3, 2, 0, 1, 1}, Window{3, 2, 1, 1, 0}, 0, true, true);
  });
}
