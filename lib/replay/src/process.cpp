// fork/exec with pipes and deadlines; process groups so that mpirun and its ranks go together.
#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "edgeplan/replay/rank_record.h"

namespace edgeplan::detail {

namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> v;
  for (const std::string& a : argv) v.push_back(const_cast<char*>(a.c_str()));
  v.push_back(nullptr);
  return v;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, double timeout_s) {
  CommandResult r;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw ReplayError("cannot create a pipe for '" + argv.at(0) + "'");
  std::vector<char*> args = c_argv(argv);
  const pid_t pid = fork();
  if (pid < 0) throw ReplayError("cannot fork to run '" + argv.at(0) + "'");
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  const auto start = std::chrono::steady_clock::now();
  char buf[4096];
  for (;;) {
    const double left = timeout_s - seconds_since(start);
    if (left <= 0) {
      kill(pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min(left, 1.0) * 1000) + 1);
    if (ready > 0) {
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // EOF: the child closed its output
      r.output.append(buf, static_cast<std::size_t>(n));
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

std::string shell_quote(const std::string& w) {
  if (!w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == std::string::npos)
    return w;
  std::string q = "'";
  for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) s += (s.empty() ? "" : " ") + shell_quote(a);
  return s;
}

ChildGroup::ChildGroup(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& log_path) {
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) throw ReplayError(log_path + ": cannot write the launcher's log");
  std::vector<char*> args = c_argv(argv);
  pid_ = fork();
  if (pid_ < 0) {
    close(log);
    throw ReplayError("cannot fork to run '" + argv.at(0) + "'");
  }
  if (pid_ == 0) {
    setpgid(0, 0);
    for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
    const int devnull = ::open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(log, 1);
    dup2(log, 2);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid_, pid_);  // also from here, so that terminate() works at once
  close(log);
}

ChildGroup::~ChildGroup() {
  if (!exited_) terminate(2.0);
}

bool ChildGroup::wait_for(double slice_s) {
  if (exited_) return true;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    int status = 0;
    const pid_t got = waitpid(pid_, &status, WNOHANG);
    if (got == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) signal_ = WTERMSIG(status);
      kill(-pid_, SIGKILL);  // anything of the group left behind
      return true;
    }
    if (seconds_since(start) >= slice_s) return false;
    usleep(10000);
  }
}

void ChildGroup::terminate(double grace_s) {
  if (exited_) return;
  kill(-pid_, SIGTERM);
  if (wait_for(grace_s)) return;
  kill(-pid_, SIGKILL);
  wait_for(5.0);
}

}  // namespace edgeplan::detail
