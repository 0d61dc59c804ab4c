// Atomic file output for the CLI.
#include "cli_util.h"

#include <algorithm>

#include "edgeplan/jsonio/atomic_file.h"
#include "edgeplan/model/error.h"

namespace edgeplan::cli {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    if (comma > pos) out.push_back(text.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

void write_file_atomic(const std::string& path, const std::string& text) { jsonio::write_file_atomic<Error>(path, text); }

}  // namespace edgeplan::cli
