// Shape parsing, window arithmetic and per-layer shape inference on hand-checked cases.
#include <catch2/catch.hpp>

#include "edgeplan/model/error.h"
#include "edgeplan/model/graph.h"

using namespace edgeplan;

TEST_CASE("parse_shape accepts CxHxW and rejects everything else", "[shape]") {
  CHECK(parse_shape("3x224x224") == Shape{3, 224, 224});
  CHECK(parse_shape("1X5x7") == Shape{1, 5, 7});
  for (const char* bad : {"", "3x224", "3x224x", "x3x4", "3x0x4", "3x-1x4", "3x4x5x6", "3 x4x5", "3x4x5 ", "abc",
                          "99999999x1x1"})
    CHECK_THROWS_AS(parse_shape(bad), ModelError);
}

TEST_CASE("window output extents follow PyTorch, ceil mode included", "[shape]") {
  CHECK(window_output_extent(Window{3, 1, 1, 1}, 7, false) == 7);
  CHECK(window_output_extent(Window{3, 2, 1, 1}, 7, false) == 4);
  CHECK(window_output_extent(Window{7, 2, 3, 1}, 224, false) == 112);
  CHECK(window_output_extent(Window{3, 1, 2, 2}, 9, false) == 9);     // dilated: span 5
  CHECK(window_output_extent(Window{11, 4, 2, 1}, 224, false) == 55);  // alexnet conv1
  // GoogLeNet's 3x3/2 ceil-mode pool: 112 -> 56, 56 -> 28; floor mode would give 55.
  CHECK(window_output_extent(Window{3, 2, 0, 1}, 112, true) == 56);
  CHECK(window_output_extent(Window{3, 2, 0, 1}, 112, false) == 55);
  // The last ceil-mode window must start inside the input: 5 with k2 s2 p1 -> 3 not 4.
  CHECK(window_output_extent(Window{2, 2, 1, 1}, 5, true) == 3);
  CHECK(window_output_extent(Window{2, 2, 0, 1}, 5, true) == 3);
}

TEST_CASE("shape inference, MACs and parameters of single layers", "[shape]") {
  Graph g("tiny", Shape{4, 9, 11});
  const int c = g.conv("c", kModelInput, 8, 3, 2, 1, 2, true);
  CHECK(g.layer(c).out == Shape{8, 5, 6});
  CHECK(g.macs(c) == 8 * 5 * 6 * (4 / 2) * 9);
  CHECK(g.params(c) == 8 * 2 * 9 + 8);
  const int dw = g.conv("dw", c, 8, 3, 1, 1, 8, false);
  CHECK(g.macs(dw) == 8 * 5 * 6 * 9);
  const int bn = g.batch_norm("bn", dw);
  CHECK(g.params(bn) == 16);
  const int up = g.upsample("up", bn, 2);
  CHECK(g.layer(up).out == Shape{8, 10, 12});
  const int ro = g.reorg("ro", up, 2);
  CHECK(g.layer(ro).out == Shape{32, 5, 6});
  const int cat = g.concat("cat", {ro, g.conv("c2", ro, 3, 1)});
  CHECK(g.layer(cat).out == Shape{35, 5, 6});
  const int ap = g.avg_pool("ap", cat, 3, 2, 1, true, false);
  CHECK(g.layer(ap).out == Shape{35, 3, 4});
  const int fl = g.flatten("fl", g.adaptive_avg_pool("aap", ap, 2, 2));
  CHECK(g.layer(fl).out == Shape{140, 1, 1});
  const int fc = g.linear("fc", fl, 10);
  CHECK(g.macs(fc) == 1400);
  CHECK(g.params(fc) == 1410);
  CHECK(g.body_end() == ap + 1);
  CHECK(g.total_macs() == g.macs(c) + g.macs(dw) + g.macs(cat - 1) + g.macs(fc));
}

TEST_CASE("inconsistent layers are rejected with a message naming the layer", "[shape]") {
  Graph g("bad", Shape{3, 8, 8});
  const int a = g.conv("a", kModelInput, 4, 3, 1, 1);
  const int b = g.conv("b", kModelInput, 5, 3, 1, 1);
  CHECK_THROWS_WITH(g.add_tensors("sum", {a, b}), Catch::Contains("sum") && Catch::Contains("different shapes"));
  CHECK_THROWS_AS(g.conv("grp", a, 6, 3, 1, 1, 3), ModelError);
  CHECK_THROWS_AS(g.conv("big", a, 4, 11, 1, 0), ModelError);
  CHECK_THROWS_AS(g.linear("fc", a, 10), ModelError);
  CHECK_THROWS_AS(g.reorg("ro", g.conv("odd", a, 4, 2, 1, 0), 2), ModelError);
  CHECK_THROWS_AS(g.max_pool("mp", a, 2, 2, 2), ModelError);
  CHECK_THROWS_AS(g.relu("r", 42), ModelError);
  CHECK_THROWS_AS(Graph("neg", Shape{3, 0, 8}), ModelError);
  // Transposed convolution: s*(in-1) + d*(k-1) + 1 + extra - pads; output padding below the stride.
  Layer t;
  t.name = "up";
  t.kind = LayerKind::ConvTranspose;
  t.inputs = {a};
  t.out_channels = 6;
  t.groups = 2;
  t.win_h = Window{3, 2, 1, 1, -1};
  t.win_h.extra = 1;
  t.win_w = Window{4, 3, 0, 2, 2};
  const int up = g.add(t);
  CHECK(g.tensor_shape(up) == Shape{6, 16, 26});  // 2*7 + 2*1 + 1 + 1 - 1 - 1; 3*7 + 3*2 + 1 - 0 - 2
  CHECK(g.macs(up) == 4 * 8 * 8 * 3 * 3 * 4);     // every input cell scatters a kernel per output channel of its group
  CHECK(g.params(up) == 6 * 2 * 3 * 4);          // out x in/groups x kernel, no bias
  t.win_h.extra = 2;
  CHECK_THROWS_WITH(g.add(t), Catch::Contains("output padding must be below the stride"));
  // Mul broadcasts only a per-channel vector of the map's channels, in any position.
  const int v4 = g.global_avg_pool("gap", a);
  Layer m;
  m.name = "scale";
  m.kind = LayerKind::Mul;
  m.inputs = {v4, a};
  CHECK(g.tensor_shape(g.add(m)) == Shape{4, 8, 8});
  m.inputs = {b, g.global_avg_pool("gap5", b), b};
  CHECK(g.tensor_shape(g.add(m)) == Shape{5, 8, 8});
  m.inputs = {a, g.global_avg_pool("gap5b", b)};
  CHECK_THROWS_WITH(g.add(m), Catch::Contains("scale") && Catch::Contains("per-channel vector"));
}

TEST_CASE("live outputs and external inputs of a volume", "[shape]") {
  Graph g("branch", Shape{2, 6, 6});
  const int a = g.conv("a", kModelInput, 2, 3, 1, 1);  // 0
  const int b = g.relu("b", a);                         // 1
  const int c = g.conv("c", b, 2, 3, 1, 1);             // 2
  const int d = g.add_tensors("d", {c, a});             // 3
  g.relu("e", d);                                       // 4
  CHECK(g.live_outputs(LayerRange{0, 2}) == std::vector<int>{0, 1});
  CHECK(g.external_inputs(LayerRange{2, 4}) == std::vector<int>{0, 1});
  CHECK(g.external_inputs(LayerRange{0, 1}) == std::vector<int>{kModelInput});
  CHECK(g.live_outputs(LayerRange{2, 5}) == std::vector<int>{4});
  CHECK(g.consumers(a) == std::vector<int>{1, 3});
}
