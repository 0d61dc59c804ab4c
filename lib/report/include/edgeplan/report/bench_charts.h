// Charts of benchmark results, for README and benchmarks/RESULTS.md.
#pragma once
#include <map>
#include <string>

#include "edgeplan/bench/suite.h"

namespace edgeplan {

// File name -> SVG: "speedup-vs-single.svg" (each planner's speedup over `single`, one dot
// per scenario) and, when the results hold DA-<Mbit/s> scenarios, "latency-vs-bandwidth.svg".
std::map<std::string, std::string> bench_chart_svgs(const BenchResults& r);

}  // namespace edgeplan
