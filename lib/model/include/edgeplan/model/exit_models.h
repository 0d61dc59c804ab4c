// Small networks for 28 x 28 grayscale images (Fashion-MNIST) with early exits (DistrEE,
// issue 18): a VGG-style and a ResNet-style backbone, and where their exit heads read.
#pragma once
#include <string>
#include <vector>

#include "edgeplan/model/graph.h"

namespace edgeplan {

// An exit head: global average pooling of the single tensor crossing cut point `after`
// (the output of layer after - 1), then a linear classifier to `classes` scores.
struct ExitHead {
  std::string name;
  int after = 0;
  int classes = 10;
};

struct ExitModel {
  Graph graph;                 // the backbone with its final head (the tail)
  std::vector<ExitHead> exits;  // in layer order, each before the end of the body
};

// "vgg-fm", "resnet-fm" (also zoo models: build_model accepts them, at 1x28x28).
const std::vector<std::string>& exit_model_names();
// Throws ModelError for an unknown name.
ExitModel build_exit_model(const std::string& name);

}  // namespace edgeplan
