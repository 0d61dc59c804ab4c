// cgroup v1 cpu groups: create, fill, empty, remove.
#include "edgeplan/replay/cpu_quota.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "edgeplan/replay/rank_record.h"

namespace edgeplan {

namespace {

const std::string kRoot = "/sys/fs/cgroup/cpu";

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace

CpuQuotaGroup::CpuQuotaGroup(const std::string& name, double cores) : name_(name), dir_(kRoot + "/" + name) {
  if (!(cores > 0)) throw ReplayError("a CPU quota must be positive, got " + std::to_string(cores));
  const long period_us = std::max(1000L, static_cast<long>(std::ceil(1000.0 / cores)));
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST)
    throw ReplayError("cannot create the cgroup " + dir_ + " (cgroup v1 cpu controller, root needed)");
  const long quota = std::lround(cores * period_us);
  if (!write_text(dir_ + "/cpu.cfs_period_us", std::to_string(period_us)) ||
      !write_text(dir_ + "/cpu.cfs_quota_us", std::to_string(quota))) {
    ::rmdir(dir_.c_str());
    throw ReplayError("cannot set the CPU quota of " + dir_);
  }
}

CpuQuotaGroup::~CpuQuotaGroup() {
  std::ifstream procs(dir_ + "/cgroup.procs");
  for (std::string pid; std::getline(procs, pid);) write_text(kRoot + "/cgroup.procs", pid);
  ::rmdir(dir_.c_str());
}

void CpuQuotaGroup::add(pid_t pid) const {
  if (!write_text(dir_ + "/cgroup.procs", std::to_string(pid)))
    throw ReplayError("cannot move process " + std::to_string(pid) + " into the cgroup " + dir_);
}

bool CpuQuotaGroup::available(std::string* why) {
  const std::string probe = "edgeplan-" + std::to_string(getpid()) + "-probe";
  try {
    const CpuQuotaGroup g(probe, 1.0);
    return true;
  } catch (const ReplayError& e) {
    if (why) *why = e.what();
    return false;
  }
}

void CpuQuotaGroup::remove_stale() {
  DIR* d = ::opendir(kRoot.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind("edgeplan-", 0) != 0) continue;
    const long pid = std::atol(name.c_str() + 9);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) ::rmdir((kRoot + "/" + name).c_str());
  }
  ::closedir(d);
}

bool CpuQuotaGroup::self_in(const std::string& name) {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    // "4:cpu,cpuacct:/edgeplan-123-1"
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = "," + line.substr(a + 1, b - a - 1) + ",";
    if (controllers.find(",cpu,") != std::string::npos && line.substr(b + 1) == "/" + name) return true;
  }
  return false;
}

}  // namespace edgeplan
