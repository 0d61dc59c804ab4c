// Typed errors with one-line messages; the CLI prints what() and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace edgeplan {

// Base of every error edgeplan reports to a user: the message is a single line.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A model cannot be built or has inconsistent shapes.
class ModelError : public Error {
 public:
  using Error::Error;
};

}  // namespace edgeplan
