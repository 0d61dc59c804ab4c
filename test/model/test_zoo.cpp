// The zoo against torchvision's published MACs and parameter counts, and input overrides.
#include <cmath>

#include <catch2/catch.hpp>

#include "edgeplan/model/error.h"
#include "edgeplan/model/zoo.h"

using namespace edgeplan;

TEST_CASE("zoo MACs and parameters match torchvision's published figures within 2%", "[zoo]") {
  // torchvision model docs at 224x224: GFLOPS column (counted as multiply-adds) and params.
  struct Published {
    const char* name;
    double gmacs;
    double params;
  };
  const Published table[] = {
      {"alexnet", 0.71, 61100840},   {"vgg16", 15.47, 138357544},       {"resnet18", 1.81, 11689512},
      {"resnet50", 4.09, 25557032},  {"mobilenet_v2", 0.30, 3504872},   {"googlenet", 1.50, 6624904},
  };
  for (const auto& p : table) {
    const Graph g = build_model(p.name);
    INFO(p.name << ": " << g.total_macs() << " MACs, " << g.total_params() << " params");
    CHECK(std::abs(static_cast<double>(g.total_macs()) / 1e9 / p.gmacs - 1.0) < 0.02);
    CHECK(std::abs(static_cast<double>(g.total_params()) / p.params - 1.0) < 0.02);
  }
}

TEST_CASE("yolov2 (VOC) is Darknet-19 with the passthrough branch", "[zoo]") {
  const Graph g = build_model("yolov2");
  CHECK(g.input_shape() == Shape{3, 416, 416});
  CHECK(g.layer(g.size() - 1).out == Shape{125, 13, 13});
  CHECK(g.body_end() == g.size());  // fully convolutional: no tail
  // 50.6 M parameters and 14.7 G multiply-adds (29.4 BFLOPs as Darknet counts them).
  CHECK(std::abs(static_cast<double>(g.total_params()) / 50.65e6 - 1.0) < 0.01);
  CHECK(std::abs(static_cast<double>(g.total_macs()) / 14.68e9 - 1.0) < 0.01);
}

TEST_CASE("every zoo model builds at its default and at small inputs", "[zoo]") {
  CHECK(zoo_model_names().size() == 7);
  for (const auto& name : zoo_model_names()) {
    const Graph g = build_model(name);
    CHECK(g.input_shape() == zoo_default_input(name));
    const Shape out = g.layer(g.size() - 1).out;
    if (name != "yolov2") CHECK(out == Shape{1000, 1, 1});
    const Graph small = build_model(name, Shape{3, 64, 64});
    CHECK(small.total_macs() < g.total_macs());
    CHECK(small.body_end() > 0);
    // Topological order: every input is an earlier layer.
    for (int i = 0; i < small.size(); ++i)
      for (int t : small.layer(i).inputs) CHECK(t < i);
  }
}

TEST_CASE("zoo errors are one line and name the problem", "[zoo]") {
  CHECK_THROWS_WITH(build_model("resnet51"), Catch::Contains("unknown model 'resnet51'"));
  CHECK_THROWS_WITH(build_model("yolov2", Shape{3, 100, 100}), Catch::Contains("divisible by 32"));
  CHECK_THROWS_AS(build_model("vgg16", Shape{3, 8, 8}), ModelError);
  CHECK_THROWS_AS(zoo_default_input("nope"), ModelError);
}
