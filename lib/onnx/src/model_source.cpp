// What users name as a model: a zoo name, or an .onnx file (read, hashed, imported).
#include <openssl/evp.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "edgeplan/model/zoo.h"
#include "edgeplan/onnx/onnx_model.h"

namespace edgeplan {

namespace fs = std::filesystem;

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr)) throw Error("SHA-256 failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

bool is_onnx_path(const std::string& spec) {
  return spec.size() > 5 && spec.compare(spec.size() - 5, 5, ".onnx") == 0;
}

namespace {

// The last few imports, by file, content and input size: a command that meets one file
// several times (a plan parsed, written, checked against its scenario) parses its protobuf
// once. The bytes are still read and hashed each time, so a changed file is never reused.
class ImportCache {
 public:
  std::optional<Graph> find(const std::string& path, const std::string& sha, std::optional<Shape> input) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Entry& e : entries_)
      if (e.path == path && e.sha == sha && e.input == input) return e.graph;
    return std::nullopt;
  }
  void add(const std::string& path, const std::string& sha, std::optional<Shape> input, const Graph& g) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.push_front(Entry{path, sha, input, g});
    if (entries_.size() > kEntries) entries_.pop_back();
  }

 private:
  static constexpr std::size_t kEntries = 4;
  struct Entry {
    std::string path, sha;
    std::optional<Shape> input;
    Graph graph;  // weights are shared, not copied
  };
  std::mutex mutex_;
  std::deque<Entry> entries_;
};

ImportCache& import_cache() {
  static ImportCache cache;
  return cache;
}

}  // namespace

Graph import_onnx_file(const std::string& path, std::optional<Shape> input) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw OnnxError("ONNX model '" + path + "': no such file");
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  const std::streamoff size = f ? static_cast<std::streamoff>(f.tellg()) : -1;
  if (size < 0) throw OnnxError("ONNX model '" + path + "': cannot read the file");
  std::string bytes(static_cast<std::size_t>(size), '\0');
  f.seekg(0);
  if (!f.read(bytes.data(), size)) throw OnnxError("ONNX model '" + path + "': cannot read the file");
  const std::string sha = sha256_hex(bytes);
  const std::string absolute = fs::absolute(path).lexically_normal().string();
  if (std::optional<Graph> hit = import_cache().find(absolute, sha, input)) return *hit;
  std::string stem = fs::path(path).stem().string();
  if (stem.empty()) stem = "model";
  Graph g = [&] {
    try {
      return import_onnx(bytes, stem, input);
    } catch (const OnnxError& e) {
      throw OnnxError("ONNX model '" + path + "': " + e.what());
    }
  }();
  // Absolute, so that a plan naming the file works from any directory.
  g.set_origin(ModelOrigin{absolute, sha});
  import_cache().add(absolute, sha, input, g);
  return g;
}

Graph load_model(const std::string& spec, std::optional<Shape> input, const std::string& base_dir) {
  if (!is_onnx_path(spec)) return build_model(spec, input);
  fs::path p(spec);
  if (p.is_relative() && !base_dir.empty()) p = fs::path(base_dir) / p;
  return import_onnx_file(p.lexically_normal().string(), input);
}

}  // namespace edgeplan
