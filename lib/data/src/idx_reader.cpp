// IDX files (LeCun's MNIST format), gzip-compressed or not.
#include <zlib.h>

#include <cstring>

#include "edgeplan/data/dataset.h"

namespace edgeplan {

namespace {

constexpr std::size_t kMaxBytes = std::size_t{1} << 30;  // no data set of ours is near 1 GiB unpacked

std::uint32_t be32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

}  // namespace

std::vector<std::uint8_t> gunzip_if_needed(const std::string& bytes, const std::string& name) {
  const bool gzip = bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b;
  if (!gzip) return {bytes.begin(), bytes.end()};
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw DataError(name + ": cannot start gzip decompression");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  std::vector<std::uint8_t> out;
  std::uint8_t buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = buf;
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw DataError(name + ": corrupt gzip data" + (rc == Z_BUF_ERROR ? " (truncated)" : ""));
    }
    out.insert(out.end(), buf, buf + (sizeof buf - z.avail_out));
    if (out.size() > kMaxBytes) {
      inflateEnd(&z);
      throw DataError(name + ": more than 1 GiB unpacked");
    }
  }
  inflateEnd(&z);
  return out;
}

ImageSet parse_idx_pair(const std::string& images_bytes, const std::string& labels_bytes, const std::string& images_name,
                        const std::string& labels_name) {
  const std::vector<std::uint8_t> im = gunzip_if_needed(images_bytes, images_name);
  const std::vector<std::uint8_t> lb = gunzip_if_needed(labels_bytes, labels_name);
  if (im.size() < 16 || be32(im, 0) != 0x00000803)
    throw DataError(images_name + ": not an IDX image file (magic 0x00000803 expected)");
  if (lb.size() < 8 || be32(lb, 0) != 0x00000801)
    throw DataError(labels_name + ": not an IDX label file (magic 0x00000801 expected)");
  const std::uint32_t n = be32(im, 4), rows = be32(im, 8), cols = be32(im, 12), nl = be32(lb, 4);
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096) throw DataError(images_name + ": image size out of range");
  if (n != nl) throw DataError(labels_name + ": " + std::to_string(nl) + " labels for " + std::to_string(n) + " images in " + images_name);
  if (static_cast<std::uint64_t>(n) * rows * cols != im.size() - 16)
    throw DataError(images_name + ": holds " + std::to_string(im.size() - 16) + " pixel bytes, the header says " +
                    std::to_string(static_cast<std::uint64_t>(n) * rows * cols));
  if (lb.size() - 8 != n) throw DataError(labels_name + ": holds " + std::to_string(lb.size() - 8) + " labels, the header says " + std::to_string(n));
  ImageSet s;
  s.rows = static_cast<int>(rows);
  s.cols = static_cast<int>(cols);
  s.pixels.assign(im.begin() + 16, im.end());
  s.labels.assign(lb.begin() + 8, lb.end());
  return s;
}

}  // namespace edgeplan
