// The lowering by hand on tiny graphs: which kernels, which buffers, folded weights.
#include <catch2/catch.hpp>

#include "edgeplan/kernels/kernel_plan.h"
#include "edgeplan/model/error.h"
#include "kernel_test_util.h"

using namespace edgeplan;

namespace {

// conv3x3+bn+relu -> maxpool -> two convs (1x1, 3x3) concatenated -> relu.
Graph inception_like() {
  Graph g("tiny", Shape{3, 8, 8});
  int x = g.conv("c1", kModelInput, 8, 3, 1, 1, 1, /*bias=*/false);
  x = g.batch_norm("bn1", x);
  x = g.relu("r1", x);
  const int p = g.max_pool("pool", x, 2, 2);
  const int a = g.conv("a", p, 4, 1);
  const int b = g.conv("b", p, 4, 3, 1, 1);
  const int c = g.concat("cat", {a, b});
  g.relu("r2", c);
  return g;
}

}  // namespace

TEST_CASE("lowering: whole maps fold batch norm and activations, concat members write their block") {
  const Graph g = inception_like();
  const ModelWeights w = test::seeded_weights(g, 3);
  const KernelPlan p = lower_task(g, w, whole_regions(g, LayerRange{0, g.size()}));
  CHECK(p.describe() == std::vector<std::string>{"conv 3x3/1 pad 1,1 +batchnorm +relu -> 8x8x8", "maxpool 2x2/2 -> 8x4x4",
                                                 "conv 1x1/1 pad 0,0 -> 4x4x4", "conv 3x3/1 pad 1,1 -> 4x4x4", "unary -> 8x4x4"});
  // Both branches write into one buffer, channel blocks 0-3 and 4-7; the final ReLU runs in place.
  REQUIRE(p.kernels.size() == 5);
  CHECK(p.kernels[2].out == p.kernels[3].out);
  CHECK(p.kernels[3].args.out.offset - p.kernels[2].args.out.offset == 4 * 16);
  CHECK(p.kernels[4].out == p.kernels[4].in0);
  CHECK(p.kernels[4].args.out.offset == p.kernels[4].args.in0.offset);
  CHECK(p.kernels[0].layers == std::vector<int>{0, 1, 2});
  CHECK(p.outputs.at(7).offset == p.kernels[2].args.out.offset);
  // Without fusion and aliasing every layer is a kernel and the concat copies.
  LoweringOptions plain;
  plain.fuse = plain.alias_concat = plain.in_place = false;
  const KernelPlan q = lower_task(g, w, whole_regions(g, LayerRange{0, g.size()}), plain);
  CHECK(q.describe() == std::vector<std::string>{"conv 3x3/1 pad 1,1 -> 8x8x8", "affine -> 8x8x8", "unary -> 8x8x8",
                                                 "maxpool 2x2/2 -> 8x4x4", "conv 1x1/1 pad 0,0 -> 4x4x4",
                                                 "conv 3x3/1 pad 1,1 -> 4x4x4", "copy -> 4x4x4", "copy -> 4x4x4", "unary -> 8x4x4"});
  CHECK(q.arena_elements > p.arena_elements);
}

TEST_CASE("lowering: a stripe pads only at the true border (gather where cuDNN would pad both sides)") {
  const Graph g = inception_like();
  const ModelWeights w = test::seeded_weights(g, 3);
  const int last = g.size() - 1;
  // Top half of the output rows: the first conv's window crosses the top border only.
  const TaskRegions top = part_regions(g, LayerRange{0, g.size()}, {{last, Region{{0, 2}, {0, 4}}}});
  CHECK(top.inputs.at(kModelInput) == Region{{0, 7}, {0, 8}});  // c1's rows 0-5 read rows -1..6
  const KernelPlan p = lower_task(g, w, top);
  // c1's window crosses the top border only: a gather with the zero row, then no padding.
  // Branch a reads pool rows 0-1 of the 0-2 held (not packed: gathered); b crosses the top.
  CHECK(p.describe() == std::vector<std::string>{"gather -> 3x8x10", "conv 3x3/1 pad 0,0 +batchnorm +relu -> 8x6x8",
                                                 "maxpool 2x2/2 -> 8x3x4", "gather -> 8x2x4", "conv 1x1/1 pad 0,0 -> 4x2x4",
                                                 "gather -> 8x4x6", "conv 3x3/1 pad 0,0 -> 4x2x4", "unary -> 8x2x4"});
  CHECK(p.kernels[0].args.out_r0 == -1);
  CHECK(p.kernels[0].args.fill == 0.0f);
  // A middle stripe of a taller map needs no gather: the halo rows are real rows.
  Graph h("chain", Shape{1, 12, 5});
  h.conv("c", h.conv("c0", kModelInput, 2, 3, 1, 1), 2, 3, 1, 1);
  const KernelPlan mid = lower_task(h, test::seeded_weights(h, 1), part_regions(h, LayerRange{0, 2}, {{1, Region{{4, 8}, {0, 5}}}}));
  CHECK(mid.describe() == std::vector<std::string>{"conv 3x3/1 pad 0,1 -> 2x6x5", "conv 3x3/1 pad 0,1 -> 2x4x5"});
  CHECK(mid.regions.inputs.at(kModelInput) == Region{{2, 10}, {0, 5}});
}

TEST_CASE("lowering: batch norm folding by hand") {
  std::vector<float> weight = {2, 4, 3, 6};  // 2 output channels of 2 weights each
  std::vector<float> bias = {1, -1};
  LayerParams bn;
  bn.gamma = {1, 2};
  bn.beta = {0.5f, 0};
  bn.mean = {1, 0};
  bn.var = {3, 3};
  fold_batch_norm(weight, bias, 2, bn, 1.0f);  // scale 1/2 and 2/2
  CHECK(weight == std::vector<float>{1, 2, 3, 6});
  CHECK(bias == std::vector<float>{0.5f, -1});
  std::vector<float> no_bias;
  std::vector<float> w2 = {2, 4, 3, 6};
  fold_batch_norm(w2, no_bias, 2, bn, 1.0f);
  CHECK(no_bias == std::vector<float>{0, 0});  // (0 - 1) * 0.5 + 0.5, (0 - 0) * 1 + 0
  LayerParams bad = bn;
  bad.var.pop_back();
  CHECK_THROWS_AS(fold_batch_norm(w2, no_bias, 2, bad, 1.0f), ModelError);
}

TEST_CASE("lowering: arena placement by hand, and never two live buffers in the same memory") {
  std::vector<KernelBuffer> b = {{100, -1, 0, 1, "A"}, {50, -1, 1, 2, "B"}, {100, -1, 2, 3, "C"}};
  CHECK(place_buffers(b, 1) == 150);  // A and C do not live together: both at 0; B after them
  CHECK(b[0].offset == 0);
  CHECK(b[2].offset == 0);
  CHECK(b[1].offset == 100);
  CHECK(place_buffers(b, 64) == 192);  // 100 rounds to 128
  CHECK(b[1].offset == 128);
  std::uint64_t s = 11;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<KernelBuffer> r;
    const std::vector<float> u = test::lcg_values(30, s, 0, 1);
    for (int i = 0; i < 10; ++i) {
      const int first = static_cast<int>(u[static_cast<std::size_t>(i)] * 8) - 1;
      r.push_back({1 + static_cast<std::int64_t>(u[static_cast<std::size_t>(i + 10)] * 500), -1, first,
                   first + static_cast<int>(u[static_cast<std::size_t>(i + 20)] * 5), ""});
    }
    const std::int64_t arena = place_buffers(r, 16);
    std::int64_t peak = 0;
    for (int t = -1; t < 12; ++t) {
      std::int64_t live = 0;
      for (const KernelBuffer& x : r)
        if (x.first <= t && t <= x.last) live += x.elements;
      peak = std::max(peak, live);
    }
    CHECK(arena >= peak);
    for (std::size_t i = 0; i < r.size(); ++i) {
      CHECK(r[i].offset % 16 == 0);
      CHECK(r[i].offset + r[i].elements <= arena);
      for (std::size_t j = i + 1; j < r.size(); ++j)
        if (r[i].first <= r[j].last && r[j].first <= r[i].last)
          CHECK((r[i].offset + r[i].elements <= r[j].offset || r[j].offset + r[j].elements <= r[i].offset));
    }
  }
}

TEST_CASE("lowering: the shared workspace is the largest request, aligned") {
  CHECK(shared_workspace_bytes({}) == 0);
  CHECK(shared_workspace_bytes({100, 3000, 7}) == 3072);
  CHECK(shared_workspace_bytes({256}, 256) == 256);
}

TEST_CASE("lowering: weights of the wrong size and missing layers are refused in one line") {
  const Graph g = inception_like();
  ModelWeights w = test::seeded_weights(g, 3);
  w.layers[0].weight.pop_back();
  CHECK_THROWS_WITH(lower_task(g, w, whole_regions(g, LayerRange{0, g.size()})),
                    "layer 'c1' has 215 weights, expected 216");
  w.layers.pop_back();
  CHECK_THROWS_AS(lower_task(g, w, whole_regions(g, LayerRange{0, g.size()})), ModelError);
}

TEST_CASE("lowering: the plan checker finds what a GPU would trip over") {
  const Graph g = inception_like();
  const KernelPlan good = lower_task(g, test::seeded_weights(g, 3), whole_regions(g, LayerRange{0, g.size()}));
  CHECK_NOTHROW(check_kernel_plan(good));
  KernelPlan p = good;
  p.kernels[1].args.out.offset = p.arena_elements - 10;  // the max pool's output runs off the arena
  CHECK_THROWS_WITH(check_kernel_plan(p), Catch::Contains("kernel 1 (maxpool") && Catch::Contains("out leaves the arena"));
  p = good;
  p.kernels[1].args.out = p.kernels[1].args.in0;  // a pool overwriting its input
  CHECK_THROWS_WITH(check_kernel_plan(p), Catch::Contains("writes memory it reads"));
  p = good;
  p.kernels[0].args.w_off += 1;  // a misaligned filter
  CHECK_THROWS_WITH(check_kernel_plan(p), Catch::Contains("not aligned"));
  p = good;
  p.kernels[2].args.in0.hs += 1;  // a strided input to cuDNN
  CHECK_THROWS_WITH(check_kernel_plan(p), Catch::Contains("packed"));
  p = good;
  p.weights.resize(10);
  CHECK_THROWS_WITH(check_kernel_plan(p), Catch::Contains("leave the weights"));
}
