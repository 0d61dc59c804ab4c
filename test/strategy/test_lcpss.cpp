// LC-PSS: the extremes of alpha and the documented default on VGG16.
#include <catch2/catch.hpp>

#include "edgeplan/model/zoo.h"
#include "edgeplan/strategy/lcpss.h"

using namespace edgeplan;

TEST_CASE("LC-PSS gives one volume per layer unit at alpha 0 and very few at alpha 1", "[lcpss]") {
  const Graph g = build_model("vgg16");
  LcpssOptions o;
  o.samples = 20;
  o.alpha = 0;
  const std::vector<int> per_layer = lcpss_partition(g, o);
  // One volume per convolution: a 2x2/2 pooling has no halo, so cutting before it saves no
  // operation and it stays with the convolution before it (13 volumes, 14 boundaries).
  REQUIRE(per_layer.size() == 14u);
  for (std::size_t v = 0; v + 1 < per_layer.size(); ++v) {
    int convs = 0;
    for (int l = per_layer[v]; l < per_layer[v + 1]; ++l) convs += g.layer(l).kind == LayerKind::Conv;
    CHECK(convs == 1);
  }
  o.alpha = 1;
  const std::vector<int> few = lcpss_partition(g, o);
  CHECK(few.size() <= 3u);  // transmitted data only: one volume, or two around the largest saving
  o.alpha = 0.75;
  const std::vector<int> mid = lcpss_partition(g, o);
  CHECK(mid.size() > few.size());
  CHECK(mid.size() < per_layer.size());
  CHECK(mid.front() == 0);
  CHECK(mid.back() == g.body_end());
  CHECK(std::is_sorted(mid.begin(), mid.end()));
}

TEST_CASE("LC-PSS scores are reproducible and its options are checked", "[lcpss]") {
  const Graph g = build_model("resnet18", Shape{3, 64, 64});
  LcpssOptions o;
  o.samples = 10;
  CHECK(lcpss_score(g, {0, g.body_end()}, o) == lcpss_score(g, {0, g.body_end()}, o));
  o.alpha = 1.5;
  CHECK_THROWS_AS(lcpss_partition(g, o), Error);
  o.alpha = 0.5;
  o.samples = 0;
  CHECK_THROWS_AS(lcpss_partition(g, o), Error);
}
