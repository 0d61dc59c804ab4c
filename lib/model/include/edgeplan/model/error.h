// Typed errors with one-line messages; the CLI prints what() and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace edgeplan {

// Base of every error edgeplan reports to a user: the message is a single line, even when it
// quotes input (a file name or value holding a line break is written with "\n").
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(one_line(message)) {}
  explicit Error(const char* message) : Error(std::string(message)) {}

 private:
  static std::string one_line(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else out += c;
    }
    return out;
  }
};

// A model cannot be built or has inconsistent shapes.
class ModelError : public Error {
 public:
  using Error::Error;
};

}  // namespace edgeplan
