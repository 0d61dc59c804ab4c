// The machine description for provenance records (see machine.h).
#include "edgeplan/compute/machine.h"

#include <sys/utsname.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include <torch/version.h>

#include "edgeplan/compute/threads.h"

namespace edgeplan {

namespace {

std::string first_value(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) {
      const auto colon = line.find(':');
      std::string v = colon == std::string::npos ? line : line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "";
}

// The BLAS libtorch actually loaded (Debian's alternatives decide): its path in our maps.
std::string loaded_blas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("blas") != std::string::npos || path.find("mkl") != std::string::npos) return path;
  }
  return "unknown";
}

}  // namespace

std::int64_t meminfo_bytes(const std::string& field) {
  return static_cast<std::int64_t>(std::atof(first_value("/proc/meminfo", field + ":").c_str()) * 1024);  // the file says kB
}

MachineInfo describe_machine() {
  MachineInfo m;
  utsname un{};
  uname(&un);
  m.machine = std::string(un.nodename) + " (" + un.sysname + " " + un.release + " " + un.machine + ")";
  m.cpu = first_value("/proc/cpuinfo", "model name") + ", " + std::to_string(std::thread::hardware_concurrency()) +
          " hardware threads";
  m.memory_bytes = meminfo_bytes("MemTotal");
  m.libtorch = TORCH_VERSION;
  m.compiler = __VERSION__;
  const int bt = blas_threads();
  m.blas = loaded_blas() + (bt > 0 ? ", " + std::to_string(bt) + " thread(s)" : ", no own threads");
  return m;
}

}  // namespace edgeplan
