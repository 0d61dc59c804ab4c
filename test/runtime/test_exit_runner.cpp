// Plans with early exits run one input at a time (DistrEE, issue 18): thresholds that never
// fire give exactly the exit-free run; an exit that always fires gives exactly its head run
// alone on the monolithic feature map, and no later task runs; the committed trained model
// reproduces the trainer's recorded per-image outcomes.
#include <cmath>
#include <filesystem>
#include <random>

#include <catch2/catch.hpp>

#include "edgeplan/data/dataset.h"
#include "edgeplan/model/exit_models.h"
#include "edgeplan/onnx/onnx_model.h"
#include "edgeplan/runtime/exit_runner.h"
#include "edgeplan/strategy/exit_policy.h"

using namespace edgeplan;

namespace {

// Volumes end at the exits' cuts but the first `fused` of them (those exits sit inside a fused
// volume); each spatial volume is split over devices a and b, by rows (the first) or in a
// 2 x 2 grid of tiles (the others); the tail runs on a.
Plan split_plan(const Graph& g, const std::vector<ExitHead>& exits, std::size_t fused = 0) {
  Plan p;
  set_plan_model(p, g);
  p.devices = {"a", "b"};
  std::vector<int> ends;
  for (std::size_t k = fused; k < exits.size(); ++k) ends.push_back(exits[k].after);
  ends.push_back(g.body_end());
  int first = 0;
  for (std::size_t v = 0; v < ends.size(); ++v) {
    const Shape out = g.layer(ends[v] - 1).out;
    Volume vol{LayerRange{first, ends[v]}, {}};
    const int r = out.h / 2, c = out.w / 2;
    if (v == 0) {
      vol.parts = {Part{"a", Region{{0, r}, {0, out.w}}}, Part{"b", Region{{r, out.h}, {0, out.w}}}};
    } else {
      vol.parts = {Part{"a", Region{{0, r}, {0, c}}}, Part{"b", Region{{0, r}, {c, out.w}}}, Part{"b", Region{{r, out.h}, {0, c}}},
                   Part{"a", Region{{r, out.h}, {c, out.w}}}};
    }
    p.volumes.push_back(vol);
    first = ends[v];
  }
  p.tail = Tail{LayerRange{g.body_end(), g.size()}, "a"};
  PlanExits x;
  x.heads_file = "heads.json";  // not read: the tests hand the runner its heads
  for (std::size_t k = 0; k < exits.size(); ++k) x.exits.push_back(PlanExit{exits[k].name, exits[k].after, k % 2 ? "a" : "b", 0.5});
  p.exits = x;
  validate_plan(p, g);
  return p;
}

TrainedHeads random_heads(const Graph& g, const std::vector<ExitHead>& exits, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0, 1);
  TrainedHeads t;
  for (const ExitHead& e : exits) {
    TrainedHead h{e.name, e.after, e.classes, g.layer(e.after - 1).out.c, {}, {}};
    for (int i = 0; i < h.classes * h.channels; ++i) h.weight.push_back(n(rng));
    for (int i = 0; i < h.classes; ++i) h.bias.push_back(n(rng));
    t.heads.push_back(h);
  }
  return t;
}

// The head alone on the whole feature map at its cut, summed in another order (reversed).
std::vector<float> head_alone(const TrainedHead& h, const RegionData& map) {
  const std::size_t cells = map.values.size() / static_cast<std::size_t>(map.channels);
  std::vector<float> out;
  for (int k = 0; k < h.classes; ++k) {
    double v = h.bias[static_cast<std::size_t>(k)];
    for (int c = 0; c < h.channels; ++c) {
      double s = 0;
      for (std::size_t i = cells; i-- > 0;) s += map.values[static_cast<std::size_t>(c) * cells + i];
      v += h.weight[static_cast<std::size_t>(k * h.channels + c)] * (s / static_cast<double>(cells));
    }
    out.push_back(static_cast<float>(v));
  }
  return out;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

}  // namespace

TEST_CASE("exit runner: never firing is the exit-free run, always firing at k is head k alone and stops every device", "[exits]") {
  for (const std::string& name : exit_model_names())
   for (std::size_t fused = 0; fused <= 2; ++fused) {
    const ExitModel m = build_exit_model(name);
    const Graph& g = m.graph;
    const Plan plan = split_plan(g, m.exits, fused);
    const Dataflow flow = compile_dataflow(g, plan, plan.devices, 0, 0);
    const TrainedHeads heads = random_heads(g, m.exits, 11);
    ExecutorOptions o;
    o.threads = 1;
    PartRunner runner(g, o);
    const ExitRunner er(g, flow, plan, heads, runner);
    for (std::uint64_t image_seed = 1; image_seed <= 3; ++image_seed) {
      INFO(name << " image " << image_seed << ", exits inside fused volumes: " << fused);
      o.input_seed = image_seed;
      const std::vector<float> image = model_input_values(g, o);
      const int heads_n = static_cast<int>(m.exits.size());
      const ExitRun never = er.run(image, std::vector<double>(m.exits.size(), PlanExit::kNever));
      runner.set_image(image);
      const RegionData exit_free = run_locally(flow, runner);
      CHECK(never.head == heads_n);
      CHECK(never.scores == exit_free.values);  // the same tasks: bit for bit
      CHECK(max_relative_error(never.scores, runner.monolithic().values) <= 1e-5);
      CHECK(never.tasks_run == er.part_and_tail_tasks());
      CHECK(never.confidences.size() == m.exits.size() + 1);
      double conf = 0;
      int pred = 0;
      softmax_top(never.scores, conf, pred);
      CHECK(never.confidence == conf);
      CHECK(never.predicted == pred);
      int tasks_before = 0;
      for (int k = 0; k < heads_n; ++k) {
        std::vector<double> t(m.exits.size(), PlanExit::kNever);
        t[static_cast<std::size_t>(k)] = 0;
        const ExitRun at = er.run(image, t);
        const ExitHead& e = m.exits[static_cast<std::size_t>(k)];
        runner.set_image(image);
        const Region whole = full_region(g.tensor_shape(e.after - 1));
        const RegionData map = runner.run_part(LayerRange{0, e.after}, {{e.after - 1, whole}},
                                               {{kModelInput, runner.image(full_region(g.input_shape()))}}).at(e.after - 1);
        const std::vector<float> want = head_alone(heads.heads[static_cast<std::size_t>(k)], map);
        CHECK(at.head == k);
        CHECK(max_relative_error(at.scores, want) <= 1e-5);
        CHECK(max_abs(at.scores) > 0);
        CHECK(at.confidences.size() == static_cast<std::size_t>(k + 1));
        // Only the parts of the volumes up to the one holding the cut started: every device stopped there.
        tasks_before = 0;
        for (const Volume& v : plan.volumes)
          if (v.layers.first < e.after) tasks_before += static_cast<int>(v.parts.size());
        CHECK(at.tasks_run == tasks_before);
        // The head's confidence is the same whether it fires or not.
        CHECK(at.confidence == Approx(never.confidences[static_cast<std::size_t>(k)]).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("exit runner: the committed trained vgg-fm reproduces the trainer's recorded outcomes on test images", "[exits]") {
  if (!std::filesystem::exists(fashion_mnist_dir() + "/t10k-images-idx3-ubyte.gz")) {
    WARN("SKIPPED: Fashion-MNIST is not installed (scripts/install-deps.sh installs dataset-fashion-mnist)");
    return;
  }
  const std::string dir = std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/exits/vgg-fm/";
  const ExitModel m = build_exit_model("vgg-fm");
  const Graph g = load_model(dir + "model.onnx", std::nullopt);
  const Plan plan = split_plan(g, m.exits);
  const Dataflow flow = compile_dataflow(g, plan, plan.devices, 0, 0);
  const TrainedHeads heads = load_exit_heads(dir + "exits.json");
  ExecutorOptions o;
  o.threads = 1;
  PartRunner runner(g, o);
  const ExitRunner er(g, flow, plan, heads, runner);
  const ExitOutcomes recorded = load_exit_outcomes(dir + "calibration.json", "test");
  const FashionMnist data = load_fashion_mnist();
  for (int i = 0; i < 200; ++i) {
    const ExitRun r = er.run(normalized_image(data.test, i), {PlanExit::kNever, PlanExit::kNever});
    REQUIRE(r.confidences.size() == 3);
    for (std::size_t h = 0; h < 3; ++h) {
      INFO("image " << i << " head " << h);
      CHECK(std::fabs(r.confidences[h] - recorded.confidence[h][static_cast<std::size_t>(i)]) <= 2e-5);
      CHECK(r.predictions[h] == recorded.predicted[h][static_cast<std::size_t>(i)]);
    }
  }
}
