// The built-in model zoo: torchvision-equivalent structures plus YOLOv2 (Darknet-19 backbone).
#include "edgeplan/model/zoo.h"

#include <functional>
#include <map>

#include "edgeplan/model/error.h"
#include "edgeplan/model/exit_models.h"

namespace edgeplan {

namespace {

// The exit models are trained for 1x28x28 images; any other input is refused.
Graph fixed_input(const std::string& name, Shape s) {
  if (!(s == Shape{1, 28, 28})) throw ModelError("takes 1x28x28 images (Fashion-MNIST) only");
  return build_exit_model(name).graph;
}

// conv -> batch norm -> activation, the unit most of the zoo is made of.
enum class Act { None, ReLU, ReLU6, Leaky };

int conv_bn(Graph& g, const std::string& name, int x, int out, int k, int s, int p, Act act, int groups = 1,
            float eps = 1e-5f) {
  x = g.conv(name + ".conv", x, out, k, s, p, groups, /*bias=*/false);
  x = g.batch_norm(name + ".bn", x, eps);
  switch (act) {
    case Act::ReLU: return g.relu(name + ".relu", x);
    case Act::ReLU6: return g.relu6(name + ".relu6", x);
    case Act::Leaky: return g.leaky_relu(name + ".leaky", x, 0.1f);
    case Act::None: return x;
  }
  return x;
}

Graph alexnet(Shape in) {
  Graph g("alexnet", in);
  int x = kModelInput;
  x = g.relu("features.1", g.conv("features.0", x, 64, 11, 4, 2));
  x = g.max_pool("features.2", x, 3, 2);
  x = g.relu("features.4", g.conv("features.3", x, 192, 5, 1, 2));
  x = g.max_pool("features.5", x, 3, 2);
  x = g.relu("features.7", g.conv("features.6", x, 384, 3, 1, 1));
  x = g.relu("features.9", g.conv("features.8", x, 256, 3, 1, 1));
  x = g.relu("features.11", g.conv("features.10", x, 256, 3, 1, 1));
  x = g.max_pool("features.12", x, 3, 2);
  x = g.adaptive_avg_pool("avgpool", x, 6, 6);
  x = g.flatten("flatten", x);
  x = g.relu("classifier.2", g.linear("classifier.1", x, 4096));
  x = g.relu("classifier.5", g.linear("classifier.4", x, 4096));
  g.linear("classifier.6", x, 1000);
  return g;
}

Graph vgg16(Shape in) {
  Graph g("vgg16", in);
  const int cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
  int x = kModelInput;
  int idx = 0;
  for (int c : cfg) {
    if (c == 0) {
      x = g.max_pool("features." + std::to_string(idx++), x, 2, 2);
    } else {
      x = g.conv("features." + std::to_string(idx++), x, c, 3, 1, 1);
      x = g.relu("features." + std::to_string(idx++), x);
    }
  }
  x = g.adaptive_avg_pool("avgpool", x, 7, 7);
  x = g.flatten("flatten", x);
  x = g.relu("classifier.1", g.linear("classifier.0", x, 4096));
  x = g.relu("classifier.4", g.linear("classifier.3", x, 4096));
  g.linear("classifier.6", x, 1000);
  return g;
}

// ResNet v1.5 (stride on the 3x3 conv of the bottleneck), as torchvision builds it.
Graph resnet(const std::string& name, Shape in, bool bottleneck, const int (&blocks)[4]) {
  Graph g(name, in);
  int x = conv_bn(g, "stem", kModelInput, 64, 7, 2, 3, Act::ReLU);
  x = g.max_pool("stem.maxpool", x, 3, 2, 1);
  int in_c = 64;
  const int expansion = bottleneck ? 4 : 1;
  for (int stage = 0; stage < 4; ++stage) {
    const int width = 64 << stage;
    for (int b = 0; b < blocks[stage]; ++b) {
      const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(b);
      const int stride = (b == 0 && stage > 0) ? 2 : 1;
      const int out_c = width * expansion;
      int y;
      if (bottleneck) {
        y = conv_bn(g, p + ".1", x, width, 1, 1, 0, Act::ReLU);
        y = conv_bn(g, p + ".2", y, width, 3, stride, 1, Act::ReLU);
        y = conv_bn(g, p + ".3", y, out_c, 1, 1, 0, Act::None);
      } else {
        y = conv_bn(g, p + ".1", x, width, 3, stride, 1, Act::ReLU);
        y = conv_bn(g, p + ".2", y, width, 3, 1, 1, Act::None);
      }
      int skip = x;
      if (stride != 1 || in_c != out_c) skip = conv_bn(g, p + ".downsample", x, out_c, 1, stride, 0, Act::None);
      x = g.relu(p + ".relu", g.add_tensors(p + ".add", {y, skip}));
      in_c = out_c;
    }
  }
  x = g.global_avg_pool("avgpool", x);
  x = g.flatten("flatten", x);
  g.linear("fc", x, 1000);
  return g;
}

Graph mobilenet_v2(Shape in) {
  Graph g("mobilenet_v2", in);
  int x = conv_bn(g, "features.0", kModelInput, 32, 3, 2, 1, Act::ReLU6);
  const int settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                              {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int in_c = 32;
  int idx = 1;
  for (const auto& s : settings) {
    for (int i = 0; i < s[2]; ++i) {
      const std::string p = "features." + std::to_string(idx++);
      const int stride = i == 0 ? s[3] : 1;
      const int hidden = in_c * s[0];
      int y = x;
      if (s[0] != 1) y = conv_bn(g, p + ".expand", y, hidden, 1, 1, 0, Act::ReLU6);
      y = conv_bn(g, p + ".dw", y, hidden, 3, stride, 1, Act::ReLU6, hidden);
      y = conv_bn(g, p + ".project", y, s[1], 1, 1, 0, Act::None);
      x = (stride == 1 && in_c == s[1]) ? g.add_tensors(p + ".add", {x, y}) : y;
      in_c = s[1];
    }
  }
  x = conv_bn(g, "features.18", x, 1280, 1, 1, 0, Act::ReLU6);
  x = g.global_avg_pool("avgpool", x);
  x = g.flatten("flatten", x);
  g.linear("classifier.1", x, 1000);
  return g;
}

// torchvision's GoogLeNet (BN variant, 3x3 in the "5x5" branch, no aux heads at inference).
int inception(Graph& g, const std::string& p, int x, int c1, int c3r, int c3, int c5r, int c5, int pp) {
  const float eps = 1e-3f;
  int b1 = conv_bn(g, p + ".branch1", x, c1, 1, 1, 0, Act::ReLU, 1, eps);
  int b2 = conv_bn(g, p + ".branch2.0", x, c3r, 1, 1, 0, Act::ReLU, 1, eps);
  b2 = conv_bn(g, p + ".branch2.1", b2, c3, 3, 1, 1, Act::ReLU, 1, eps);
  int b3 = conv_bn(g, p + ".branch3.0", x, c5r, 1, 1, 0, Act::ReLU, 1, eps);
  b3 = conv_bn(g, p + ".branch3.1", b3, c5, 3, 1, 1, Act::ReLU, 1, eps);
  int b4 = g.max_pool(p + ".branch4.pool", x, 3, 1, 1, true);
  b4 = conv_bn(g, p + ".branch4.1", b4, pp, 1, 1, 0, Act::ReLU, 1, eps);
  return g.concat(p + ".concat", {b1, b2, b3, b4});
}

Graph googlenet(Shape in) {
  Graph g("googlenet", in);
  const float eps = 1e-3f;
  int x = conv_bn(g, "conv1", kModelInput, 64, 7, 2, 3, Act::ReLU, 1, eps);
  x = g.max_pool("maxpool1", x, 3, 2, 0, true);
  x = conv_bn(g, "conv2", x, 64, 1, 1, 0, Act::ReLU, 1, eps);
  x = conv_bn(g, "conv3", x, 192, 3, 1, 1, Act::ReLU, 1, eps);
  x = g.max_pool("maxpool2", x, 3, 2, 0, true);
  x = inception(g, "inception3a", x, 64, 96, 128, 16, 32, 32);
  x = inception(g, "inception3b", x, 128, 128, 192, 32, 96, 64);
  x = g.max_pool("maxpool3", x, 3, 2, 0, true);
  x = inception(g, "inception4a", x, 192, 96, 208, 16, 48, 64);
  x = inception(g, "inception4b", x, 160, 112, 224, 24, 64, 64);
  x = inception(g, "inception4c", x, 128, 128, 256, 24, 64, 64);
  x = inception(g, "inception4d", x, 112, 144, 288, 32, 64, 64);
  x = inception(g, "inception4e", x, 256, 160, 320, 32, 128, 128);
  x = g.max_pool("maxpool4", x, 2, 2, 0, true);
  x = inception(g, "inception5a", x, 256, 160, 320, 32, 128, 128);
  x = inception(g, "inception5b", x, 384, 192, 384, 48, 128, 128);
  x = g.global_avg_pool("avgpool", x);
  x = g.flatten("flatten", x);
  g.linear("fc", x, 1000);
  return g;
}

// YOLOv2 for VOC (yolov2-voc.cfg): Darknet-19 backbone, passthrough (reorg) branch,
// 125-channel detection head (5 anchors x (20 classes + 5)).
Graph yolov2(Shape in) {
  if (in.h % 32 != 0 || in.w % 32 != 0)
    throw ModelError("yolov2 needs an input height and width divisible by 32, got " + to_string(in));
  Graph g("yolov2", in);
  int n = 0;
  auto cbl = [&](int x, int out, int k) {
    return conv_bn(g, "conv" + std::to_string(n++), x, out, k, 1, k / 2, Act::Leaky);
  };
  auto pool = [&](int x) { return g.max_pool("pool" + std::to_string(n++), x, 2, 2); };
  int x = cbl(kModelInput, 32, 3);
  x = pool(x);
  x = cbl(x, 64, 3);
  x = pool(x);
  x = cbl(cbl(cbl(x, 128, 3), 64, 1), 128, 3);
  x = pool(x);
  x = cbl(cbl(cbl(x, 256, 3), 128, 1), 256, 3);
  x = pool(x);
  x = cbl(cbl(cbl(cbl(cbl(x, 512, 3), 256, 1), 512, 3), 256, 1), 512, 3);
  const int passthrough = x;
  x = pool(x);
  x = cbl(cbl(cbl(cbl(cbl(x, 1024, 3), 512, 1), 1024, 3), 512, 1), 1024, 3);
  x = cbl(cbl(x, 1024, 3), 1024, 3);
  int r = cbl(passthrough, 64, 1);
  r = g.reorg("reorg", r, 2);
  x = g.concat("route", {r, x});
  x = cbl(x, 1024, 3);
  g.conv("detect", x, 125, 1, 1, 0, 1, /*bias=*/true);
  return g;
}

struct ZooEntry {
  Shape input;
  std::function<Graph(Shape)> build;
};

const std::map<std::string, ZooEntry>& zoo() {
  static const std::map<std::string, ZooEntry> z = {
      {"alexnet", {{3, 224, 224}, alexnet}},
      {"vgg16", {{3, 224, 224}, vgg16}},
      {"resnet18", {{3, 224, 224}, [](Shape s) { return resnet("resnet18", s, false, {2, 2, 2, 2}); }}},
      {"resnet50", {{3, 224, 224}, [](Shape s) { return resnet("resnet50", s, true, {3, 4, 6, 3}); }}},
      {"mobilenet_v2", {{3, 224, 224}, mobilenet_v2}},
      {"googlenet", {{3, 224, 224}, googlenet}},
      {"yolov2", {{3, 416, 416}, yolov2}},
      // Fashion-MNIST networks with early exits (exit_models.h); fixed 1x28x28 input.
      {"vgg-fm", {{1, 28, 28}, [](Shape s) { return fixed_input("vgg-fm", s); }}},
      {"resnet-fm", {{1, 28, 28}, [](Shape s) { return fixed_input("resnet-fm", s); }}},
  };
  return z;
}

}  // namespace

const std::vector<std::string>& zoo_model_names() {
  static const std::vector<std::string> names = {"alexnet",      "vgg16",     "resnet18", "resnet50",
                                                 "mobilenet_v2", "googlenet", "yolov2"};
  return names;
}

Shape zoo_default_input(const std::string& name) {
  auto it = zoo().find(name);
  if (it == zoo().end()) throw ModelError("unknown model '" + name + "' (see 'edgeplan models')");
  return it->second.input;
}

Graph build_model(const std::string& name, std::optional<Shape> input) {
  auto it = zoo().find(name);
  if (it == zoo().end()) throw ModelError("unknown model '" + name + "' (see 'edgeplan models')");
  const Shape in = input.value_or(it->second.input);
  if (in.c <= 0 || in.h <= 0 || in.w <= 0) throw ModelError("input shape must be positive, got " + to_string(in));
  if (in.elements() > (std::int64_t{1} << 28))
    throw ModelError("input " + to_string(in) + " is too large (more than 2^28 values)");
  try {
    return it->second.build(in);
  } catch (const ModelError& e) {
    throw ModelError("model '" + name + "' with input " + to_string(in) + ": " + e.what());
  }
}

}  // namespace edgeplan
