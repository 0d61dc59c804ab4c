// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017) as Debian's dataset-fashion-mnist installs it.
#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "edgeplan/data/dataset.h"

namespace edgeplan {

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot open (Fashion-MNIST comes from the Debian package dataset-fashion-mnist)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ImageSet load_pair(const std::string& dir, const std::string& prefix, int expected) {
  const std::string images = dir + "/" + prefix + "-images-idx3-ubyte.gz", labels = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  const std::string image_bytes = read_bytes(images);  // images first: errors name them first
  const std::string label_bytes = read_bytes(labels);
  ImageSet s = parse_idx_pair(image_bytes, label_bytes, images, labels);
  if (s.rows != 28 || s.cols != 28) throw DataError(images + ": Fashion-MNIST images are 28 x 28");
  if (s.size() != expected) throw DataError(images + ": " + std::to_string(s.size()) + " images, Fashion-MNIST has " + std::to_string(expected));
  for (std::uint8_t l : s.labels)
    if (l > 9) throw DataError(labels + ": label " + std::to_string(l) + " outside the 10 classes");
  return s;
}

}  // namespace

std::string fashion_mnist_dir() {
  const char* env = std::getenv("EDGEPLAN_FASHION_MNIST_DIR");
  return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

FashionMnist load_fashion_mnist(const std::string& dir) { return FashionMnist{load_pair(dir, "train", 60000), load_pair(dir, "t10k", 10000)}; }

std::vector<float> normalized_image(const ImageSet& set, int i) {
  if (i < 0 || i >= set.size()) throw DataError("image " + std::to_string(i) + " is outside the set of " + std::to_string(set.size()));
  const std::uint8_t* p = set.image(i);
  std::vector<float> out(static_cast<std::size_t>(set.rows) * static_cast<std::size_t>(set.cols));
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = normalized_pixel(p[k]);
  return out;
}

float normalized_pixel(std::uint8_t pixel) { return (static_cast<float>(pixel) / 255.0f - kFashionMnistMean) / kFashionMnistStd; }

std::uint8_t fashion_mnist_pixel(float normalized) {
  const float p = std::nearbyint((normalized * kFashionMnistStd + kFashionMnistMean) * 255.0f);
  return static_cast<std::uint8_t>(std::clamp(p, 0.0f, 255.0f));
}

ImageSet first_images(const ImageSet& set, int n) {
  n = std::max(0, std::min(n, set.size()));
  ImageSet s;
  s.rows = set.rows;
  s.cols = set.cols;
  s.pixels.assign(set.pixels.begin(), set.pixels.begin() + static_cast<std::ptrdiff_t>(n) * set.rows * set.cols);
  s.labels.assign(set.labels.begin(), set.labels.begin() + n);
  return s;
}

Split split_off(const ImageSet& set, int held_out, std::uint64_t seed) {
  if (held_out < 0 || held_out > set.size()) throw DataError("cannot hold out " + std::to_string(held_out) + " of " + std::to_string(set.size()) + " images");
  std::vector<int> order(static_cast<std::size_t>(set.size()));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  Split out;
  const std::size_t px = static_cast<std::size_t>(set.rows) * set.cols;
  for (ImageSet* s : {&out.kept, &out.held_out}) s->rows = set.rows, s->cols = set.cols;
  for (std::size_t k = 0; k < order.size(); ++k) {
    ImageSet& to = static_cast<int>(k) < held_out ? out.held_out : out.kept;
    const std::uint8_t* img = set.image(order[k]);
    to.pixels.insert(to.pixels.end(), img, img + px);
    to.labels.push_back(set.labels[static_cast<std::size_t>(order[k])]);
  }
  return out;
}

}  // namespace edgeplan
