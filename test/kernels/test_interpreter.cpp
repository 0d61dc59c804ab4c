// The interpreter by hand, and split plans against one whole-map run of the same kernels:
// bit for bit, since a part computes each cell from the same inputs in the same order.
#include <catch2/catch.hpp>

#include "edgeplan/kernels/interpreter.h"
#include "edgeplan/kernels/kernel_flow.h"
#include "edgeplan/strategy/simple_plans.h"
#include "kernel_test_util.h"

using namespace edgeplan;

namespace {

// Runs a task whose only input is the image; returns each output tensor packed.
std::map<int, std::vector<float>> run(const Graph& g, const ModelWeights& w, const TaskRegions& t, const std::vector<float>& image) {
  const KernelPlan p = lower_task(g, w, t);
  std::vector<float> arena(static_cast<std::size_t>(p.arena_elements), 0.0f);
  for (const auto& [x, region] : t.inputs) {
    const Shape& s = g.tensor_shape(x);
    const kern::View whole = kern::packed_view(s.c, s.h, s.w);
    write_view(arena.data(), p.inputs.at(x), read_view(image.data(), sub_view(whole, full_region(s), region)));
  }
  interpret(p, arena.data());
  std::map<int, std::vector<float>> out;
  for (const auto& [x, v] : p.outputs) out[x] = read_view(arena.data(), v);
  return out;
}

std::vector<float> iota(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i + 1);
  return v;
}

}  // namespace

TEST_CASE("interpreter: convolution and ceil-mode average pooling by hand") {
  Graph g("hand", Shape{1, 3, 3});
  g.conv("c", kModelInput, 1, 2, 1, 0, 1, false);
  ModelWeights w;
  w.layers.resize(1);
  w.layers[0].weight = {1, 1, 1, 1};
  CHECK(run(g, w, whole_regions(g, LayerRange{0, 1}), iota(9)).at(0) == std::vector<float>{12, 16, 24, 28});

  Graph a("avg", Shape{1, 3, 3});
  a.avg_pool("p", kModelInput, 2, 2, 0, /*ceil=*/true, /*count_include_pad=*/false);
  w.layers[0] = LayerParams{};
  CHECK(run(a, w, whole_regions(a, LayerRange{0, 1}), iota(9)).at(0) == std::vector<float>{3, 4.5f, 7.5f, 9});
}

TEST_CASE("interpreter: parts of every layer kind equal the whole-map run bit for bit") {
  const Graph g = test::all_kinds();
  const ModelWeights w = test::seeded_weights(g, 5);
  std::uint64_t state = 9;
  const std::vector<float> image = test::lcg_values(static_cast<std::size_t>(g.input_shape().elements()), state, -1, 1);
  const LayerRange body{0, g.body_end()};
  const int last = body.last - 1;
  const Shape& out = g.layer(last).out;
  const std::vector<float> whole = run(g, w, whole_regions(g, body), image).at(last);
  const kern::View whole_view = kern::packed_view(out.c, out.h, out.w);
  const std::vector<Region> pieces = {Region{{0, 3}, {0, 10}},  Region{{3, 4}, {0, 10}}, Region{{4, 10}, {0, 10}},
                                      Region{{0, 5}, {0, 4}},   Region{{5, 10}, {4, 10}}, Region{{7, 8}, {9, 10}}};
  for (const Region& r : pieces) {
    INFO("rows " << to_string(r.rows) << " cols " << to_string(r.cols));
    const std::vector<float> part = run(g, w, part_regions(g, body, {{last, r}}), image).at(last);
    CHECK(part == read_view(whole.data(), sub_view(whole_view, full_region(out), r)));
  }
  // Whole model (the tail included): random plans through the dataflow equal one task.
  const std::vector<float> model = run(g, w, whole_regions(g, LayerRange{0, g.size()}), image).at(g.size() - 1);
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const Plan plan = make_random_plan(g, seed);
    const Dataflow flow = compile_dataflow(g, plan, plan.devices, 0, static_cast<int>(plan.devices.size()) - 1);
    INFO("seed " << seed);
    const KernelFlow kf = lower_flow(g, w, flow);
    for (const KernelTask& t : kf.tasks) CHECK_NOTHROW(check_kernel_plan(t.plan));
    CHECK(run_kernel_flow(flow, kf, image) == model);
    if (seed == 1) CHECK(run_kernel_flow(flow, kf, image, 3) == model);  // cells on threads: the same bits
  }
}
