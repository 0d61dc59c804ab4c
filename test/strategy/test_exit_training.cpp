// Early exits (DistrEE, issue 18): the exit models, joint training on a Fashion-MNIST
// subset, and the trained backbone exported as ONNX running exactly in our executor.
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
