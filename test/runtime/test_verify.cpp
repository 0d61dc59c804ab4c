// Whole plans on every zoo model: 1/2/3/5 parts, uneven rows, cuts at every boundary.
#include <random>

#include <catch2/catch.hpp>

#include "edgeplan/model/zoo.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/strategy/simple_plans.h"

using namespace edgeplan;

namespace {

constexpr double kTolerance = 1e-4;

Shape small_input(const std::string& name) { return name == "yolov2" ? Shape{3, 64, 64} : Shape{3, 71, 67}; }

// Each volume split into `parts` uneven stripes (sizes roughly 1:2:3:...).
Plan uneven_plan(const Graph& g, const std::vector<LayerRange>& volumes, int parts) {
  Plan p = make_even_plan(g, numbered_devices(parts), volumes);
  for (Volume& v : p.volumes) {
    const int h = g.layer(v.anchor()).out.h;
    const int n = std::min(parts, h);
    const int total = n * (n + 1) / 2;
    v.parts.clear();
    int start = 0, acc = 0;
    for (int i = 0; i < n; ++i) {
      acc += i + 1;
      const int end = i + 1 == n ? h : std::max(start + 1, h * acc / total);
      v.parts.push_back(Part{p.devices[static_cast<std::size_t>(i)], Region{{start, end}, {0, g.layer(v.anchor()).out.w}}});
      start = end;
    }
  }
  validate_plan(p, g);
  return p;
}

}  // namespace

TEST_CASE("every zoo model: cut after every layer, 1/2/3/5 uneven parts", "[verify][exact]") {
  for (const auto& name : zoo_model_names()) {
    const Graph g = build_model(name, small_input(name));
    const CpuExecutor exec(g);
    for (int parts : {1, 2, 3, 5}) {
      const VerifyResult r = exec.verify(uneven_plan(g, per_layer_volumes(g), parts));
      INFO(name << " per-layer volumes, " << parts << " parts: rel error " << r.error.max_rel_error);
      CHECK(r.error.max_rel_error <= kTolerance);
      CHECK(r.output == g.layer(g.size() - 1).out);
    }
  }
}

TEST_CASE("every zoo model: two volumes cut at each boundary, inside residual and inception blocks", "[verify][exact]") {
  for (const auto& name : zoo_model_names()) {
    const Graph g = build_model(name, small_input(name));
    const CpuExecutor exec(g);
    const int body = g.body_end();
    double worst = 0;
    for (int cut = 1; cut < body; ++cut) {
      const VerifyResult r = exec.verify(uneven_plan(g, {LayerRange{0, cut}, LayerRange{cut, body}}, 3));
      worst = std::max(worst, r.error.max_rel_error);
    }
    INFO(name << ": worst rel error over " << body - 1 << " cuts " << worst);
    CHECK(worst <= kTolerance);
  }
}

TEST_CASE("every zoo model: random plans with tiles", "[verify][exact]") {
  for (const auto& name : zoo_model_names()) {
    const Graph g = build_model(name, small_input(name));
    const CpuExecutor exec(g);
    for (std::uint64_t seed = 0; seed < 6; ++seed) {
      const VerifyResult r = exec.verify(make_random_plan(g, seed));
      INFO(name << " random plan " << seed << ": rel error " << r.error.max_rel_error);
      CHECK(r.error.max_rel_error <= kTolerance);
    }
  }
}

TEST_CASE("every zoo model's output depends on its input (the comparison is not vacuous)", "[verify]") {
  for (const auto& name : zoo_model_names()) {
    const Graph g = build_model(name, small_input(name));
    ExecutorOptions other;
    other.input_seed = 8;
    const std::vector<float> a = CpuExecutor(g).run_monolithic();
    const std::vector<float> b = CpuExecutor(g, other).run_monolithic();
    float diff = 0, mag = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      diff = std::max(diff, std::abs(a[i] - b[i]));
      mag = std::max(mag, std::abs(a[i]));
    }
    INFO(name << ": max |output| " << mag << ", change with another input " << diff);
    CHECK(diff > 1e-3f * mag);
  }
}

TEST_CASE("runs are deterministic and a wrong plan is refused", "[verify]") {
  const Graph g = build_model("mobilenet_v2", Shape{3, 32, 32});
  const CpuExecutor a(g), b(g);
  CHECK(a.run_monolithic() == b.run_monolithic());
  ExecutorOptions other;
  other.weight_seed = 2;
  CHECK(CpuExecutor(g, other).run_monolithic() != a.run_monolithic());
  Plan p = make_random_plan(g, 1);
  p.volumes.back().parts.pop_back();
  if (p.volumes.back().parts.empty()) p.volumes.pop_back();
  CHECK_THROWS_AS(a.verify(p), PlanError);
}
