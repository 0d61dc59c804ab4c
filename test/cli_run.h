// Running the edgeplan binary from tests: output captured, always under a time limit.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

struct Run {
  int code;
  std::string out;  // stdout and stderr together
};

// Every command runs under a time limit: a hang fails the test (exit 124) instead of CTest's run.
inline Run run(const std::string& args, int limit_s = 300) {
  const std::string cmd = "timeout " + std::to_string(limit_s) + " " + std::string(EDGEPLAN_BIN) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return Run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}
