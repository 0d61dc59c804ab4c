// Settings in a planner name, "name:key=value[:key=value...]", so that `bench` suites and
// `plan --planner` can ask for DistrEdge's 4000 episodes or a faster `opt`.
#pragma once
#include <cmath>
#include <exception>
#include <string>

#include "edgeplan/model/error.h"

namespace edgeplan {

// The name before the first ':' ("opt" of "opt:restarts=0").
inline std::string planner_base_name(const std::string& spec) { return spec.substr(0, spec.find(':')); }

class SpecSettings {
 public:
  explicit SpecSettings(const std::string& spec) : spec_(spec) {}

  // Calls `use(key)` for each setting; `use` reads the value with number() or whole() and
  // returns false for a key it does not know (`known` lists the keys for the error).
  template <typename F>
  void each(const std::string& known, F use) {
    std::size_t at = spec_.find(':');
    while (at != std::string::npos) {
      const std::size_t next = spec_.find(':', at + 1);
      const std::string kv = spec_.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
      at = next;
      const std::size_t eq = kv.find('=');
      key_ = kv.substr(0, eq);
      value_ = eq == std::string::npos ? "" : kv.substr(eq + 1);
      if (!use(key_)) throw Error("planner '" + spec_ + "': unknown setting '" + key_ + "' (" + known + ")");
    }
  }
  const std::string& text() const { return value_; }
  double number() const {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(value_, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (value_.empty() || used != value_.size() || !std::isfinite(v))
      throw Error("planner '" + spec_ + "': " + key_ + " needs a number, got '" + value_ + "'");
    return v;
  }
  double whole(double lo, double hi) const {
    const double v = number();
    if (v != std::floor(v) || v < lo || v > hi)
      throw Error("planner '" + spec_ + "': " + key_ + " must be a whole number in [" +
                  std::to_string(static_cast<long long>(lo)) + ", " + std::to_string(static_cast<long long>(hi)) + "]");
    return v;
  }

 private:
  std::string spec_, key_, value_;
};

}  // namespace edgeplan
