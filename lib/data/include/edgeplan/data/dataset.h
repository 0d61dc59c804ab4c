// Labelled images for training and measuring early exits: Fashion-MNIST from Debian's
// dataset-fashion-mnist package (IDX files, gzip), split reproducibly.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "edgeplan/model/error.h"

namespace edgeplan {

// A data file is missing, not gzip / IDX, truncated or inconsistent. One line, naming the file.
class DataError : public Error {
 public:
  using Error::Error;
};

// n images of rows x cols 8-bit pixels (row-major, image after image) and their labels.
struct ImageSet {
  int rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;
  std::vector<std::uint8_t> labels;
  int size() const { return static_cast<int>(labels.size()); }
  const std::uint8_t* image(int i) const { return pixels.data() + static_cast<std::size_t>(i) * rows * cols; }
};

// IDX (LeCun's format: magic 0x00000803 images / 0x00000801 labels, big-endian sizes),
// gzip-compressed or not. `text` is the file's bytes; `name` names it in errors.
std::vector<std::uint8_t> gunzip_if_needed(const std::string& bytes, const std::string& name);
ImageSet parse_idx_pair(const std::string& images, const std::string& labels, const std::string& images_name,
                        const std::string& labels_name);

// Where Debian installs Fashion-MNIST, or $EDGEPLAN_FASHION_MNIST_DIR when set.
std::string fashion_mnist_dir();

struct FashionMnist {
  ImageSet train;  // 60,000
  ImageSet test;   // 10,000
};
// Reads the four files of `dir` (train-/t10k-images-idx3-ubyte.gz, -labels-idx1-ubyte.gz);
// checks 10 classes, 28 x 28, 60,000 + 10,000 images. Throws DataError (one line).
FashionMnist load_fashion_mnist(const std::string& dir = fashion_mnist_dir());

inline constexpr const char* kFashionMnistClasses[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                         "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// Fashion-MNIST's pixel mean and standard deviation over the training set (pixels in [0, 1]);
// every model with exits is trained and run on (pixel / 255 - mean) / std.
inline constexpr float kFashionMnistMean = 0.2860f, kFashionMnistStd = 0.3530f;
// Image i of `set`, normalized as above (float arithmetic in the trainer's order), row-major.
std::vector<float> normalized_image(const ImageSet& set, int i);
// One pixel normalized as above, and back (exact for every normalized pixel): how a device
// sends the 8-bit image and the next normalizes it.
float normalized_pixel(std::uint8_t pixel);
std::uint8_t fashion_mnist_pixel(float normalized);

// A seeded split of a set: `held_out` images (chosen by a seeded shuffle) and the rest.
struct Split {
  ImageSet kept, held_out;
};
Split split_off(const ImageSet& set, int held_out, std::uint64_t seed);
// The first n images (a quick subset for tests).
ImageSet first_images(const ImageSet& set, int n);

}  // namespace edgeplan
