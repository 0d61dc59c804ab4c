// Writing a file so that it is either complete or absent: temporary file, then rename.
#pragma once
#include <cstdio>
#include <fstream>
#include <string>

namespace edgeplan::jsonio {

// Throws E (one line naming the path) when the file cannot be written.
template <class E>
void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw E(path + ": cannot write file");
    out << text;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw E(path + ": write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw E(path + ": cannot move the finished file into place");
  }
}

}  // namespace edgeplan::jsonio
