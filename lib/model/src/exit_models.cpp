// VGG- and ResNet-style networks for 1x28x28 images, sized to train in minutes on two cores
// (about 7 and 9 million multiply-accumulates per image), each with two early exits.
#include "edgeplan/model/exit_models.h"
#include "edgeplan/model/error.h"

namespace edgeplan {

namespace {

// Three stages of two 3x3 convolutions (16, 32, 64 channels) and a 2x2 max pool; exits
// after stages 1 and 2; global pooling and a linear classifier.
ExitModel vgg_fm() {
  ExitModel m{Graph("vgg-fm", Shape{1, 28, 28}), {}};
  Graph& g = m.graph;
  int x = kModelInput;
  const int channels[] = {16, 32, 64};
  for (int s = 0; s < 3; ++s) {
    const std::string p = "stage" + std::to_string(s + 1);
    x = g.relu(p + ".relu1", g.conv(p + ".conv1", x, channels[s], 3, 1, 1));
    x = g.relu(p + ".relu2", g.conv(p + ".conv2", x, channels[s], 3, 1, 1));
    x = g.max_pool(p + ".pool", x, 2, 2);
    if (s < 2) m.exits.push_back(ExitHead{"exit" + std::to_string(s + 1), g.size(), 10});
  }
  x = g.flatten("flatten", g.global_avg_pool("gap", x));
  g.linear("fc", x, 10);
  return m;
}

// A 3x3 stem (16 channels), three basic residual blocks (16, 32, 64 channels; the last two
// halve the map and project the shortcut with a strided 1x1 convolution); exits after
// blocks 1 and 2; global pooling and a linear classifier.
ExitModel resnet_fm() {
  ExitModel m{Graph("resnet-fm", Shape{1, 28, 28}), {}};
  Graph& g = m.graph;
  int x = g.relu("stem.relu", g.conv("stem.conv", kModelInput, 16, 3, 1, 1));
  const int channels[] = {16, 32, 64};
  int in = 16;
  for (int b = 0; b < 3; ++b) {
    const std::string p = "block" + std::to_string(b + 1);
    const int stride = b == 0 ? 1 : 2;
    int y = g.relu(p + ".relu1", g.conv(p + ".conv1", x, channels[b], 3, stride, 1));
    y = g.conv(p + ".conv2", y, channels[b], 3, 1, 1);
    const int skip = stride == 1 && in == channels[b] ? x : g.conv(p + ".proj", x, channels[b], 1, stride, 0);
    x = g.relu(p + ".relu", g.add_tensors(p + ".add", {y, skip}));
    in = channels[b];
    if (b < 2) m.exits.push_back(ExitHead{"exit" + std::to_string(b + 1), g.size(), 10});
  }
  x = g.flatten("flatten", g.global_avg_pool("gap", x));
  g.linear("fc", x, 10);
  return m;
}

}  // namespace

const std::vector<std::string>& exit_model_names() {
  static const std::vector<std::string> names = {"vgg-fm", "resnet-fm"};
  return names;
}

ExitModel build_exit_model(const std::string& name) {
  if (name == "vgg-fm") return vgg_fm();
  if (name == "resnet-fm") return resnet_fm();
  throw ModelError("unknown model with exits '" + name + "' (vgg-fm, resnet-fm)");
}

}  // namespace edgeplan
