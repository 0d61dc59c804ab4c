// Early exits (DistrEE, issue 18): the exit models, joint training on a Fashion-MNIST
// subset, and the trained backbone exported as ONNX running exactly in our executor.
#include <cmath>
#include <filesystem>

#include <catch2/catch.hpp>

#include "edgeplan/learn/exit_training.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/onnx/onnx_model.h"
#include "edgeplan/runtime/cpu_executor.h"

using namespace edgeplan;

namespace {

bool have_data() { return std::filesystem::exists(fashion_mnist_dir() + "/train-images-idx3-ubyte.gz"); }

}  // namespace

TEST_CASE("exit models: two exits at single-tensor cuts before the tail, zoo names at 1x28x28 only", "[exits]") {
  for (const std::string& name : exit_model_names()) {
    const ExitModel m = build_exit_model(name);
    REQUIRE(m.exits.size() == 2);
    const std::vector<int> cuts = single_tensor_cuts(m.graph);
    for (const ExitHead& e : m.exits) {
      INFO(name << " " << e.name);
      CHECK(std::find(cuts.begin(), cuts.end(), e.after) != cuts.end());
      CHECK(e.after < m.graph.body_end());
    }
    CHECK(build_model(name).size() == m.graph.size());
    CHECK_THROWS_AS(build_model(name, Shape{3, 32, 32}), ModelError);
  }
  // By hand: 28*28*16*9 + 28*28*16*16*9 + 14*14*32*16*9 + 14*14*32*32*9 + 7*7*64*32*9 + 7*7*64*64*9 + 64*10.
  CHECK(build_exit_model("vgg-fm").graph.total_macs() == 112896 + 1806336 + 903168 + 1806336 + 903168 + 1806336 + 640);
  CHECK_THROWS_AS(build_exit_model("vgg16"), ModelError);
}

TEST_CASE("train-exits: the loss falls on a small subset, every head beats chance, the ONNX export runs exactly", "[exits]") {
  if (!have_data()) {
    WARN("SKIPPED: Fashion-MNIST is not installed (scripts/install-deps.sh installs dataset-fashion-mnist)");
    return;
  }
  const FashionMnist data = load_fashion_mnist();
  const ExitModel m = build_exit_model("resnet-fm");
  ExitTrainOptions o;
  o.epochs = 3;
  o.batch = 32;
  o.train_images = 768;
  o.validation_images = 1000;
  o.distillation = 0.5;
  o.threads = 1;
  int calls = 0;
  const ExitTrainResult r = train_exits(m, data, o, [&](int, int, int, double loss) {
    ++calls;
    CHECK(std::isfinite(loss));
  });
  CHECK(calls == 3 * 24);
  REQUIRE(r.epoch_loss.size() == 3);
  INFO("loss per epoch " << r.epoch_loss[0] << " " << r.epoch_loss[1] << " " << r.epoch_loss[2]);
  CHECK(r.epoch_loss[2] < r.epoch_loss[0]);
  REQUIRE(r.test.size() == 3);
  for (const HeadAccuracy& h : r.test) {
    INFO(h.name << " " << h.accuracy);
    CHECK(h.accuracy > 0.2);  // chance is 0.1
  }
  CHECK(r.test[0].macs < r.test[1].macs);
  CHECK(r.test[1].macs < r.test[2].macs);
  CHECK(r.test[2].macs == m.graph.total_macs());
  REQUIRE(r.calibration.size() == 3);  // confidence for both exits, difference for the second
  CHECK(r.validation.labels.size() == 1000);
  for (const ExitCalibration& c : r.calibration)
    for (std::size_t k = 1; k < c.points.size(); ++k)  // stricter thresholds let fewer images exit
      CHECK(c.points[k].exited <= c.points[k - 1].exited + (c.criterion == "difference" ? 1000 : 0));
  // The trained backbone through ONNX and our executor: the final head's scores for a test image.
  const Graph g = import_onnx(export_onnx(m.graph, r.weights), "resnet-fm");
  const auto scores = exit_scores(m, r.weights, r.heads, data.test, 3, 1);
  ExecutorOptions eo;
  for (int p = 0; p < 28 * 28; ++p) eo.input.push_back((data.test.image(3)[p] / 255.0f - 0.2860f) / 0.3530f);
  const std::vector<float> out = CpuExecutor(g, eo).run_monolithic();
  REQUIRE(out.size() == 10);
  for (int c = 0; c < 10; ++c) CHECK(out[static_cast<std::size_t>(c)] == Approx(scores[2][0][static_cast<std::size_t>(c)]).margin(1e-4));
  // Bad options: one line.
  o.exit_weights = {1.0};
  CHECK_THROWS_WITH(train_exits(m, data, o), Catch::Contains("2 exit weights needed"));
}

TEST_CASE("exit calibration: exit rates and accuracies by hand on four images", "[exits]") {
  const float l4 = std::log(4.0f);
  // [head][image][class]: exit1, exit2, final. Labels 0, 1, 2, 0.
  const std::vector<std::vector<std::vector<float>>> scores = {
      {{10, 0, 0}, {0, 0, 0}, {0, 10, 0}, {l4, 0, 0}},
      {{10, 0, 0}, {0, 0, 0}, {0, 0, 10}, {l4, 0, 0}},
      {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 0}}};
  HeadOutcomes o;
  const std::vector<ExitCalibration> c = calibrate_exits({"exit1", "exit2"}, scores, {0, 1, 2, 0}, &o);
  REQUIRE(c.size() == 3);  // exit1 confidence, exit2 confidence, exit2 difference
  auto at = [&](std::size_t table, double t) {
    for (const ThresholdPoint& p : c[table].points)
      if (std::abs(p.threshold - t) < 1e-12) return p;
    FAIL("no threshold " << t);
    return ThresholdPoint{};
  };
  CHECK(c[0].exit == "exit1");
  CHECK(c[0].criterion == "confidence");
  // Confidences: ~1, 1/3, ~1, 2/3; predictions 0, 0, 1, 0.
  CHECK(at(0, 0.3).exited == 4);
  CHECK(at(0, 0.3).accuracy == Approx(0.5));
  CHECK(at(0, 0.5).exit_rate == Approx(0.75));
  CHECK(at(0, 0.5).accuracy == Approx(2.0 / 3));
  CHECK(at(0, 0.99).exited == 2);
  CHECK(at(0, 0.99).accuracy == Approx(0.5));
  CHECK(at(0, 0.999).exited == 2);  // 1 / (1 + 2 e^-10) > 0.999
  // exit2 moves image 2 to class 2 (right now); L1 differences ~0, 0, ~2, 0.
  CHECK(at(1, 0.99).accuracy == Approx(1.0));
  CHECK(c[2].criterion == "difference");
  CHECK(at(2, 0.02).exited == 3);
  CHECK(at(2, 0.02).accuracy == Approx(2.0 / 3));
  CHECK(at(2, 2.0).exited == 4);
  CHECK(o.difference[1][2] > 1.9f);
  CHECK(o.predicted[2] == std::vector<int>{0, 1, 2, 0});
}
