// Atomic file output for the CLI.
#include "cli_util.h"

#include <cstdio>
#include <fstream>

#include "edgeplan/model/error.h"

namespace edgeplan::cli {

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path + ": cannot write file");
    out << text;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(path + ": write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot move the finished file into place");
  }
}

}  // namespace edgeplan::cli
