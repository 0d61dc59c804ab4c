// What a measurement ran on: recorded in profiles and benchmark results.
#pragma once
#include <cstdint>
#include <string>

namespace edgeplan {

struct MachineInfo {
  std::string machine;         // uname: node (system release arch)
  std::string cpu;             // model name and hardware threads
  std::int64_t memory_bytes = 0;  // MemTotal, 0 if unknown
  std::string libtorch;        // libtorch version edgeplan was built against
  std::string compiler;
  std::string blas;            // the BLAS library loaded (path) and its own thread count
};

MachineInfo describe_machine();

// A /proc/meminfo field ("MemTotal", "MemAvailable") in bytes; 0 if unknown.
std::int64_t meminfo_bytes(const std::string& field);

}  // namespace edgeplan
