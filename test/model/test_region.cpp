// Receptive-field math on hand-computed cases, through branches, and on both axes.
#include <random>

#include <catch2/catch.hpp>

#include "edgeplan/model/error.h"
#include "edgeplan/model/region.h"
#include "edgeplan/model/zoo.h"

using namespace edgeplan;

namespace {
Layer windowed(LayerKind kind, int k, int s, int p, int d = 1) {
  Layer l;
  l.kind = kind;
  l.win_h = l.win_w = Window{k, s, p, d};
  return l;
}
}  // namespace

TEST_CASE("input interval of a single layer", "[region]") {
  const Layer c33 = windowed(LayerKind::Conv, 3, 1, 1);
  CHECK(input_interval(c33, Axis::Rows, {4, 8}, 16) == Interval{3, 9});
  CHECK(input_interval(c33, Axis::Rows, {0, 4}, 16) == Interval{0, 5});    // top border: padding, no row -1
  CHECK(input_interval(c33, Axis::Rows, {12, 16}, 16) == Interval{11, 16});  // bottom border
  const Layer s2 = windowed(LayerKind::Conv, 3, 2, 1);
  CHECK(input_interval(s2, Axis::Rows, {2, 4}, 16) == Interval{3, 8});
  const Layer dil = windowed(LayerKind::Conv, 3, 1, 2, 2);
  CHECK(input_interval(dil, Axis::Rows, {0, 3}, 9) == Interval{0, 5});
  CHECK(input_interval(dil, Axis::Rows, {4, 5}, 9) == Interval{2, 7});
  const Layer c7 = windowed(LayerKind::Conv, 7, 2, 3);
  CHECK(input_interval(c7, Axis::Rows, {10, 20}, 224) == Interval{17, 42});
  // Ceil-mode pool: the last window runs past the map and is clipped.
  Layer mp = windowed(LayerKind::MaxPool, 3, 2, 0);
  mp.ceil_mode = true;
  CHECK(input_interval(mp, Axis::Rows, {55, 56}, 112) == Interval{110, 112});
  Layer up;
  up.kind = LayerKind::Upsample;
  up.win_h.stride = up.win_w.stride = 2;
  CHECK(input_interval(up, Axis::Rows, {3, 8}, 10) == Interval{1, 4});
  Layer ro;
  ro.kind = LayerKind::Reorg;
  ro.win_h.stride = ro.win_w.stride = 2;
  CHECK(input_interval(ro, Axis::Cols, {3, 5}, 26) == Interval{6, 10});
  Layer relu;
  relu.kind = LayerKind::ReLU;
  CHECK(input_interval(relu, Axis::Rows, {2, 5}, 9) == Interval{2, 5});
  CHECK(input_interval(c33, Axis::Rows, {5, 5}, 16).empty());
  // Transposed convolution: output o is uncropped position u = o + pad, reached by input i
  // through tap j when u = i*s + j*d.
  const Layer t3 = windowed(LayerKind::ConvTranspose, 3, 2, 1);
  CHECK(input_interval(t3, Axis::Rows, {4, 7}, 10) == Interval{2, 4});  // u 5..7: i = 2 (j 1), 3 (j 1)
  CHECK(input_interval(t3, Axis::Rows, {0, 1}, 10) == Interval{0, 1});  // u 1: i = 0 (j 1)
  CHECK(input_interval(t3, Axis::Rows, {19, 20}, 10) == Interval{9, 10});  // output padding row: i = 9 (j 2)
  const Layer t4 = windowed(LayerKind::ConvTranspose, 4, 2, 1);
  CHECK(input_interval(t4, Axis::Rows, {0, 1}, 8) == Interval{0, 1});
  CHECK(input_interval(t4, Axis::Rows, {5, 6}, 8) == Interval{2, 4});  // u 6: i = 3 (j 0), 2 (j 2)
  const Layer t1 = windowed(LayerKind::ConvTranspose, 1, 2, 0);
  CHECK(input_interval(t1, Axis::Rows, {1, 2}, 8).empty());  // between the taps: only the bias
  CHECK(input_interval(t1, Axis::Rows, {1, 5}, 8) == Interval{1, 3});
  // Mul by a per-channel vector: the map's own rows, the whole vector (extent 1).
  Layer mul;
  mul.kind = LayerKind::Mul;
  CHECK(input_interval(mul, Axis::Rows, {4, 7}, 9) == Interval{4, 7});
  CHECK(input_interval(mul, Axis::Rows, {4, 7}, 1) == Interval{0, 1});
  CHECK(input_interval(mul, Axis::Cols, {0, 1}, 1) == Interval{0, 1});
  Layer fc;
  fc.kind = LayerKind::Linear;
  CHECK_THROWS_AS(input_interval(fc, Axis::Rows, {0, 1}, 1), ModelError);
}

TEST_CASE("rows and columns use the same rule", "[region]") {
  Layer l = windowed(LayerKind::Conv, 5, 3, 2);
  l.win_w = Window{3, 1, 1, 1};
  CHECK(input_interval(l, Axis::Rows, {1, 4}, 20) == Interval{1, 12});
  CHECK(input_interval(l, Axis::Cols, {1, 4}, 20) == Interval{0, 5});
}

TEST_CASE("a volume's needs accumulate across a residual branch", "[region]") {
  Graph g("res", Shape{1, 16, 16});
  const int a = g.conv("a", kModelInput, 2, 3, 1, 1);  // 0
  const int b = g.conv("b", a, 2, 3, 1, 1);             // 1
  const int c = g.conv("c", b, 2, 3, 1, 1);             // 2
  const int s = g.add_tensors("s", {c, a});             // 3
  g.relu("r", s);                                       // 4
  const Region want{{6, 8}, {0, 16}};
  const VolumeRegions vr = required_regions(g, LayerRange{1, 5}, {{4, want}});
  CHECK(vr.out(4) == want);
  CHECK(vr.out(3) == want);
  CHECK(vr.out(2).rows == Interval{6, 8});
  CHECK(vr.out(1).rows == Interval{5, 9});
  // `a` feeds both conv b (rows 4..10) and the skip (rows 6..8): the hull is needed.
  REQUIRE(vr.inputs.count(a) == 1);
  CHECK(vr.inputs.at(a).rows == Interval{4, 10});
  CHECK(vr.inputs.size() == 1);
  // Requesting only the branch output c needs nothing of the add.
  const VolumeRegions vc = required_regions(g, LayerRange{1, 5}, {{2, want}});
  CHECK(vc.out(3).empty());
  CHECK(vc.out(4).empty());
  CHECK_THROWS_AS(required_regions(g, LayerRange{1, 5}, {{0, want}}), ModelError);
  CHECK_THROWS_AS(required_regions(g, LayerRange{3, 3}, {}), ModelError);
}

TEST_CASE("concat passes each branch the same rows, inception input gets the widest halo", "[region]") {
  const Graph g = build_model("googlenet", Shape{3, 64, 64});
  int concat = -1;
  for (int i = 0; i < g.size(); ++i)
    if (g.layer(i).name == "inception3a.concat") concat = i;
  REQUIRE(concat > 0);
  int first = concat;
  while (g.layer(first - 1).name.rfind("inception3a", 0) == 0) --first;
  const Shape out = g.layer(concat).out;
  const VolumeRegions vr = required_regions(g, LayerRange{first, concat + 1}, {{concat, Region{{2, 5}, {0, out.w}}}});
  REQUIRE(vr.inputs.size() == 1);
  // 3x3 conv after 1x1 in branches 2 and 3 and the 3x3/1 pool in branch 4: one row of halo each side.
  CHECK(vr.inputs.begin()->second.rows == Interval{1, 6});
}

TEST_CASE("scaled boundaries turn a partition of one axis into a partition of another", "[region]") {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    const int from = 1 + static_cast<int>(rng() % 60), to = 1 + static_cast<int>(rng() % 60);
    int prev = 0;
    int covered = 0;
    for (int b = 1; b <= from; ++b) {
      if (rng() % 3 && b != from) continue;
      const Interval mapped{scale_boundary(prev, from, to), scale_boundary(b, from, to)};
      CHECK(mapped.begin == covered);
      covered = mapped.end;
      prev = b;
    }
    CHECK(covered == to);
  }
}
