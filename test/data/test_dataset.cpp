// Fashion-MNIST's reader: the real files, hand-made IDX files, corrupt and mutated files.
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "../temp_dir.h"
#include "edgeplan/data/dataset.h"

using namespace edgeplan;

namespace {

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// n images of 2 x 3 pixels (pixel p of image i = 10 * i + p) and labels i % 10, as IDX bytes.
std::pair<std::string, std::string> tiny_idx(std::uint32_t n) {
  std::string im = be32(0x803) + be32(n) + be32(2) + be32(3), lb = be32(0x801) + be32(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (int p = 0; p < 6; ++p) im.push_back(static_cast<char>(10 * i + p));
    lb.push_back(static_cast<char>(i % 10));
  }
  return {im, lb};
}

std::string gzip(const std::string& raw) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(raw.size() + 1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void check_one_line(const std::function<void()>& f, const std::string& names) {
  try {
    f();
    FAIL("accepted");
  } catch (const DataError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.find(names) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("IDX: hand-made files read back exactly, gzip or not", "[data]") {
  const auto [im, lb] = tiny_idx(12);
  for (bool packed : {false, true}) {
    const ImageSet s = packed ? parse_idx_pair(gzip(im), gzip(lb), "i", "l") : parse_idx_pair(im, lb, "i", "l");
    REQUIRE(s.size() == 12);
    CHECK(s.rows == 2);
    CHECK(s.cols == 3);
    CHECK(s.image(11)[5] == 115);
    CHECK(s.labels[11] == 1);
  }
  const Split sp = split_off(parse_idx_pair(im, lb, "i", "l"), 5, 3);
  CHECK(sp.held_out.size() == 5);
  CHECK(sp.kept.size() == 7);
  // Every image lands in exactly one side, with its own label.
  std::multiset<int> seen;
  for (const ImageSet* s : {&sp.kept, &sp.held_out})
    for (int i = 0; i < s->size(); ++i) {
      const int id = s->image(i)[0] / 10;
      CHECK(s->labels[static_cast<std::size_t>(i)] == id % 10);
      seen.insert(id);
    }
  CHECK(seen.size() == 12);
  CHECK(std::set<int>(seen.begin(), seen.end()).size() == 12);
  CHECK(split_off(parse_idx_pair(im, lb, "i", "l"), 5, 3).held_out.labels == sp.held_out.labels);  // seeded
}

TEST_CASE("IDX: corrupt input is refused with one line naming the file", "[data]") {
  const auto [im, lb] = tiny_idx(4);
  check_one_line([&] { parse_idx_pair("garbage", lb, "imgs.gz", "labs.gz"); }, "imgs.gz");
  check_one_line([&] { parse_idx_pair(im, "garbage", "imgs.gz", "labs.gz"); }, "labs.gz");
  check_one_line([&] { parse_idx_pair(im.substr(0, im.size() - 1), lb, "imgs.gz", "labs.gz"); }, "imgs.gz");
  check_one_line([&] { parse_idx_pair(im, lb + "x", "imgs.gz", "labs.gz"); }, "labs.gz");
  check_one_line([&] { parse_idx_pair(im, tiny_idx(5).second, "imgs.gz", "labs.gz"); }, "labs.gz");
  const std::string z = gzip(im);
  check_one_line([&] { parse_idx_pair(z.substr(0, z.size() / 2), lb, "imgs.gz", "labs.gz"); }, "imgs.gz");
  const TempDir tmp;
  check_one_line([&] { load_fashion_mnist(tmp.path()); }, tmp.path());
  std::ofstream(tmp / "train-images-idx3-ubyte.gz") << gzip(im);
  std::ofstream(tmp / "train-labels-idx1-ubyte.gz") << gzip(lb);
  check_one_line([&] { load_fashion_mnist(tmp.path()); }, "train-images-idx3-ubyte.gz");  // 2 x 3, not 28 x 28
}

TEST_CASE("IDX: mutated files never crash the reader", "[data][fuzz]") {
  const auto [im, lb] = tiny_idx(20);
  const std::string zi = gzip(im), zl = gzip(lb);
  std::mt19937_64 rng(5);
  int loaded = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string a = i % 2 ? zi : im, b = lb;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % a.size();
      switch (rng() % 3) {
        case 0: a[at] = static_cast<char>(rng()); break;
        case 1: a.erase(at, 1 + rng() % 8); break;
        default: a.insert(at, 1 + rng() % 8, static_cast<char>(rng())); break;
      }
      if (a.empty()) a = "x";
    }
    try {
      const ImageSet s = parse_idx_pair(a, i % 3 ? b : zl, "a", "b");
      CHECK(s.pixels.size() == static_cast<std::size_t>(s.size()) * s.rows * s.cols);
      ++loaded;
    } catch (const DataError& e) {
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
  CHECK(loaded < 3000);
}

TEST_CASE("Fashion-MNIST: Debian's files hold 60,000 + 10,000 images, 6,000 + 1,000 per class", "[data]") {
  if (!std::filesystem::exists(fashion_mnist_dir() + "/train-images-idx3-ubyte.gz")) {
    WARN("SKIPPED: Fashion-MNIST is not installed (scripts/install-deps.sh installs dataset-fashion-mnist)");
    return;
  }
  const FashionMnist d = load_fashion_mnist();
  REQUIRE(d.train.size() == 60000);
  REQUIRE(d.test.size() == 10000);
  std::vector<int> train(10, 0), test(10, 0);
  for (std::uint8_t l : d.train.labels) train[l]++;
  for (std::uint8_t l : d.test.labels) test[l]++;
  CHECK(train == std::vector<int>(10, 6000));
  CHECK(test == std::vector<int>(10, 1000));
  CHECK(d.train.labels[0] == 9);  // the first training image is an ankle boot
  CHECK(d.test.labels[0] == 9);
}
