// Slower devices on one host: a cgroup (v1 `cpu` controller) whose CFS quota lets its
// processes use `cores` CPUs' worth of time per short period. Needs root and a writable
// /sys/fs/cgroup/cpu; the directory is removed on destruction.
#pragma once
#include <sys/types.h>

#include <string>

namespace edgeplan {

class CpuQuotaGroup {
 public:
  // Creates /sys/fs/cgroup/cpu/<name> with quota = cores x period, the period as short as the
  // kernel allows (quota and period at least 1 ms: 2 ms for half a core), since a longer one
  // lets short layers run at full speed inside one period; throws ReplayError (one line)
  // where cgroups are not writable or cores is not positive.
  CpuQuotaGroup(const std::string& name, double cores);
  ~CpuQuotaGroup();  // moves members back to the root group, removes the directory
  CpuQuotaGroup(const CpuQuotaGroup&) = delete;
  CpuQuotaGroup& operator=(const CpuQuotaGroup&) = delete;

  void add(pid_t pid) const;  // moves a process (all its threads) into the group
  const std::string& name() const { return name_; }

  // Whether this process may create such groups; `why` says why not.
  static bool available(std::string* why);
  // Removes groups an earlier run left behind (edgeplan-<pid>-*, whose process is gone).
  static void remove_stale();
  // Whether the calling process is in the group `name` (read from /proc/self/cgroup,
  // which works inside a network namespace, where /sys/fs/cgroup is not mounted).
  static bool self_in(const std::string& name);

 private:
  std::string name_, dir_;
};

}  // namespace edgeplan
