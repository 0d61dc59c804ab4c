// Pieces shared by the SVG writers: numbers, escaping, axis ticks (private to lib/report).
#pragma once
#include <string>
#include <vector>

namespace edgeplan::svg {

// "%.4g" of a finite value.
std::string num(double v);
// Text and attribute values safe inside SVG: & < > " ' escaped, control characters dropped.
std::string escape(const std::string& s);
// About `count` "nice" tick positions (1, 2, 5 x 10^k steps) over [0, hi]. Throws Error
// (one line) when hi is not a finite positive number, so no caller can loop forever.
std::vector<double> ticks(double hi, int count);
// Tick positions of a log axis over [lo, hi] (1, 2, 5 x 10^k), both finite and positive.
std::vector<double> log_ticks(double lo, double hi);

extern const char* const kColours[11];

}  // namespace edgeplan::svg
