// Joint training of a backbone and its early exits (DistrEE, issue 18) in libtorch on the CPU:
// a weighted sum of every head's cross-entropy, optionally distillation from the final
// head's softened scores to the exits.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "edgeplan/data/dataset.h"
#include "edgeplan/model/exit_models.h"
#include "edgeplan/model/weights.h"

namespace edgeplan {

struct ExitTrainOptions {
  int epochs = 3;
  int batch = 64;
  double learning_rate = 1e-3;       // Adam
  std::uint64_t seed = 1;            // initial weights, the validation split, the batch order
  int train_images = 0;              // 0: every training image not held out
  int validation_images = 5000;      // held out of the 60,000 training images (for calibration)
  std::vector<double> exit_weights;  // loss weight of each exit head (default 1 each); the final head weighs 1
  double distillation = 0;           // weight of KL(final head || exit) at temperature 3; 0: none
  int threads = 0;                   // libtorch intra-op threads; 0: leave libtorch's default
};

struct HeadAccuracy {
  std::string name;
  int after = 0;             // cut point the head reads (the final head: the model's size)
  double accuracy = 0;       // on the test split
  std::int64_t macs = 0;     // multiply-accumulates to reach this head's answer (backbone so far + head)
};

// One threshold of one exit criterion on the validation split: the share of images that
// would stop at this exit (each exit judged alone) and the accuracy of those that stop.
struct ThresholdPoint {
  double threshold = 0;
  double exit_rate = 0;
  double accuracy = 0;  // of the images that exit; 0 when none does
  int exited = 0;
};
// Criteria: "confidence" (the head's top softmax probability >= threshold) and, from the
// second exit on, "difference" (DistrEE's feature difference as we read it: the L1 distance
// between this exit's and the previous exit's softmax vectors <= threshold; predictions
// that stopped changing).
struct ExitCalibration {
  std::string exit, criterion;
  std::vector<ThresholdPoint> points;
};
// Per-image results of every head on the validation split, for evaluating exit cascades:
// [head][image] top softmax probability, predicted class, and the L1 softmax difference to
// the previous head (0 for the first).
struct HeadOutcomes {
  std::vector<std::vector<float>> confidence, difference;
  std::vector<std::vector<int>> predicted;
  std::vector<int> labels;
};

// The calibration of every exit (not the final head) from every head's scores
// ([head][image][class]) and the labels: confidence thresholds 0.30-0.999, difference
// thresholds 0.02-2.0 (tables in docs/early-exit.md).
std::vector<ExitCalibration> calibrate_exits(const std::vector<std::string>& exit_names, const std::vector<std::vector<std::vector<float>>>& scores,
                                             const std::vector<int>& labels, HeadOutcomes* outcomes = nullptr);

struct ExitTrainResult {
  ModelWeights weights;             // the backbone's trained parameters (graph layers, ONNX layout)
  std::vector<LayerParams> heads;   // one per exit: weight [classes x channels], bias [classes]
  std::vector<double> epoch_loss;   // mean training loss per epoch
  std::vector<HeadAccuracy> test;   // every exit, then the final head
  std::vector<ExitCalibration> calibration;  // on the validation split
  HeadOutcomes validation;                   // per image, on the validation split
  HeadOutcomes test_outcomes;                // per image, on the test split (where policies are measured)
  double seconds = 0;
  int train_images = 0, validation_images = 0, test_images = 0;
};

// progress(epoch, batch, batches, running mean loss). Throws Error for a layer kind the
// trainer does not run (conv, relu, max pool, add, global pooling, flatten, linear) or bad options.
ExitTrainResult train_exits(const ExitModel& model, const FashionMnist& data, const ExitTrainOptions& options,
                            const std::function<void(int, int, int, double)>& progress = {});

// Scores of every head (exits, then the final head) for `images` 28 x 28 images of `set`
// from `first`, with trained weights: [head][image][class]. For calibration and tests.
std::vector<std::vector<std::vector<float>>> exit_scores(const ExitModel& model, const ModelWeights& weights,
                                                         const std::vector<LayerParams>& heads, const ImageSet& set, int first,
                                                         int images);

}  // namespace edgeplan
