// `edgeplan train-exits`: trains a backbone and its early exits on Fashion-MNIST (DistrEE,
// issue 18); writes the trained backbone as ONNX and the exit heads as JSON.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/learn/exit_training.h"
#include "edgeplan/onnx/onnx_model.h"

namespace edgeplan::cli {

namespace {

struct Args {
  std::string model = "vgg-fm", data = "fashion-mnist", out;
  ExitTrainOptions o;
  std::string exit_weights;
};

std::string heads_json(const ExitModel& m, const ExitTrainResult& r, const Args& a, const std::string& onnx_sha, const std::string& command) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["format"] = "edgeplan.exits/v1";
  j["model"] = m.graph.name();
  j["onnx"] = "model.onnx";
  j["onnx_sha256"] = onnx_sha;
  j["exits"] = ordered_json::array();
  for (std::size_t e = 0; e < m.exits.size(); ++e)
    j["exits"].push_back({{"name", m.exits[e].name},
                          {"after", m.exits[e].after},
                          {"classes", m.exits[e].classes},
                          {"channels", m.graph.layer(m.exits[e].after - 1).out.c},
                          {"weight", r.heads[e].weight},
                          {"bias", r.heads[e].bias}});
  ordered_json acc = ordered_json::array();
  for (const HeadAccuracy& h : r.test) acc.push_back({{"head", h.name}, {"after", h.after}, {"accuracy", h.accuracy}, {"macs", h.macs}});
  j["test_accuracy"] = acc;
  j["training"] = {{"data", a.data},
                   {"epochs", a.o.epochs},
                   {"batch", a.o.batch},
                   {"learning_rate", a.o.learning_rate},
                   {"seed", a.o.seed},
                   {"train_images", r.train_images},
                   {"validation_images", r.validation_images},
                   {"test_images", r.test_images},
                   {"exit_weights", a.o.exit_weights},
                   {"distillation", a.o.distillation},
                   {"epoch_loss", r.epoch_loss},
                   {"seconds", r.seconds},
                   {"command", command}};
  j["provenance"] = ordered_json::parse(planning_provenance({}));
  return j.dump(2) + "\n";
}

std::string calibration_json(const ExitModel& m, const ExitTrainResult& r, const std::string& onnx_sha) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["format"] = "edgeplan.exit-calibration/v1";
  j["model"] = m.graph.name();
  j["onnx_sha256"] = onnx_sha;
  j["split"] = "validation (" + std::to_string(r.validation_images) + " images held out of the training set, seeded)";
  j["tables"] = ordered_json::array();
  for (const ExitCalibration& c : r.calibration) {
    ordered_json pts = ordered_json::array();
    for (const ThresholdPoint& p : c.points)
      pts.push_back({{"threshold", p.threshold}, {"exit_rate", p.exit_rate}, {"accuracy", p.accuracy}, {"exited", p.exited}});
    j["tables"].push_back({{"exit", c.exit}, {"criterion", c.criterion}, {"points", pts}});
  }
  // Per image and head (exits, then the final head), for evaluating exit cascades exactly:
  // the validation split (policies are chosen on it) and the test split (they are measured on it).
  // Confidences and differences rounded to 1e-5 (the file stays small; thresholds are coarser).
  auto rounded = [](const std::vector<float>& v) {
    std::vector<double> out;
    for (float x : v) out.push_back(std::round(static_cast<double>(x) * 1e5) / 1e5);
    return out;
  };
  auto images = [&](const HeadOutcomes& o) {
    ordered_json heads = ordered_json::array();
    for (std::size_t h = 0; h < o.confidence.size(); ++h)
      heads.push_back({{"head", h < m.exits.size() ? m.exits[h].name : "final"},
                       {"after", h < m.exits.size() ? m.exits[h].after : m.graph.size()},
                       {"confidence", rounded(o.confidence[h])},
                       {"difference", rounded(o.difference[h])},
                       {"predicted", o.predicted[h]}});
    return ordered_json{{"labels", o.labels}, {"heads", heads}};
  };
  j["validation"] = images(r.validation);
  j["test"] = images(r.test_outcomes);
  return j.dump() + "\n";
}

}  // namespace

Runner add_train_exits(CLI::App& app) {
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("train-exits", "Train a backbone and its early exits on Fashion-MNIST (libtorch, CPU)");
  cmd->add_option("--model", a->model, "vgg-fm or resnet-fm (default vgg-fm)");
  cmd->add_option("--data", a->data, "fashion-mnist (Debian's dataset-fashion-mnist; $EDGEPLAN_FASHION_MNIST_DIR overrides the folder)");
  cmd->add_option("--epochs", a->o.epochs, "Passes over the training images (default 3)");
  cmd->add_option("--batch", a->o.batch, "Images per step (default 64)");
  cmd->add_option("--lr", a->o.learning_rate, "Adam's learning rate (default 0.001)");
  cmd->add_option("--seed", a->o.seed, "Initial weights, validation split and batch order (default 1)");
  cmd->add_option("--train-images", a->o.train_images, "Train on the first N images only (default: all 55,000 not held out)");
  cmd->add_option("--validation-images", a->o.validation_images, "Held out of the training set for calibration (default 5000)");
  cmd->add_option("--exit-weights", a->exit_weights, "Loss weight of each exit, comma-separated (default 1 each; the final head weighs 1)");
  cmd->add_option("--distill", a->o.distillation, "Weight of distillation from the final head to the exits (default 0)");
  cmd->add_option("--threads", a->o.threads, "libtorch threads (default: libtorch's)");
  cmd->add_option("-o,--output", a->out, "Folder to write model.onnx (the trained backbone), exits.json (the heads, test accuracies) and calibration.json")->required();
  return [a] {
    if (a->data != "fashion-mnist") throw Error("train-exits: unknown data set '" + a->data + "' (fashion-mnist)");
    const ExitModel m = build_exit_model(a->model);
    std::stringstream in(a->exit_weights);
    for (std::string item; std::getline(in, item, ',');) {
      std::size_t used = 0;
      double v = -1;
      try {
        v = std::stod(item, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != item.size() || !(v >= 0)) throw Error("train-exits: --exit-weights needs non-negative numbers, got '" + item + "'");
      a->o.exit_weights.push_back(v);
    }
    const FashionMnist data = load_fashion_mnist();
    const bool tty = isatty(2);
    const ExitTrainResult r = train_exits(m, data, a->o, [&](int epoch, int batch, int batches, double loss) {
      if (tty || batch == batches)
        std::fprintf(stderr, "\repoch %d/%d  batch %5d/%d  loss %.4f   %s", epoch + 1, a->o.epochs, batch, batches, loss,
                     batch == batches ? "\n" : "");
    });
    std::filesystem::create_directories(a->out);
    const std::string onnx = export_onnx(m.graph, r.weights);
    write_file_atomic(a->out + "/model.onnx", onnx);
    std::ostringstream command;
    command << "edgeplan train-exits --model " << a->model << " --epochs " << a->o.epochs << " --batch " << a->o.batch << " --lr "
            << a->o.learning_rate << " --seed " << a->o.seed << " --train-images " << a->o.train_images << " --validation-images "
            << a->o.validation_images << " --distill " << a->o.distillation << (a->exit_weights.empty() ? "" : " --exit-weights " + a->exit_weights);
    const std::string onnx_sha = sha256_hex(onnx);
    write_file_atomic(a->out + "/exits.json", heads_json(m, r, *a, onnx_sha, command.str()));
    if (!r.calibration.empty()) write_file_atomic(a->out + "/calibration.json", calibration_json(m, r, onnx_sha));
    std::printf("%s: trained on %d images (%d held out for calibration) in %.1f s; test split, %d images:\n", a->model.c_str(),
                r.train_images, r.validation_images, r.seconds, r.test_images);
    std::printf("%-8s %10s %12s %10s\n", "head", "after", "accuracy", "MMACs");
    for (const HeadAccuracy& h : r.test)
      std::printf("%-8s %10d %11.2f%% %10.3f\n", h.name.c_str(), h.after, 100 * h.accuracy, static_cast<double>(h.macs) / 1e6);
    for (const ExitCalibration& c : r.calibration)
      for (const ThresholdPoint& p : c.points)
        if (c.criterion == "confidence" && p.threshold == 0.9)
          std::printf("%s at confidence >= 0.9 (validation split): %.1f%% of images exit, %.2f%% of them right\n", c.exit.c_str(),
                      100 * p.exit_rate, 100 * p.accuracy);
    std::printf("wrote %s/model.onnx, exits.json%s\n", a->out.c_str(), r.calibration.empty() ? "" : " and calibration.json");
    return 0;
  };
}

}  // namespace edgeplan::cli
