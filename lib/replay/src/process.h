// Child processes without a shell: run to completion with a deadline, or start a process
// group that can be waited for, interrupted and killed as a whole.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace edgeplan::detail {

struct CommandResult {
  int exit_code = -1;   // -1: did not exit normally (signal or deadline)
  bool timed_out = false;
  std::string output;   // stdout and stderr together
};

// Runs argv[0] (searched in PATH) and waits at most timeout_s; kills it after that.
CommandResult run_command(const std::vector<std::string>& argv, double timeout_s);

// Quotes one word for a POSIX shell (for printing commands users can paste).
std::string shell_quote(const std::string& word);
std::string shell_join(const std::vector<std::string>& argv);

// A child in its own process group, its output appended to `log_path`, extra environment set.
class ChildGroup {
 public:
  ChildGroup(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& log_path);
  ~ChildGroup();  // kills the group if still running
  ChildGroup(const ChildGroup&) = delete;
  ChildGroup& operator=(const ChildGroup&) = delete;

  // Waits up to `slice_s`; true once the child has exited (then exit_code / signal are set).
  bool wait_for(double slice_s);
  // SIGTERM to the group, then SIGKILL after `grace_s` if it has not exited.
  void terminate(double grace_s);
  int exit_code() const { return exit_code_; }  // -1 if killed by a signal
  int signal() const { return signal_; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  int signal_ = 0;
};

}  // namespace edgeplan::detail
