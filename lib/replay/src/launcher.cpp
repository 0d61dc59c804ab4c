// mpirun command lines (loopback, namespaces, real hosts), the job's deadline, Ctrl-C, and
// the post-mortem that names who failed where.
#include "edgeplan/replay/launcher.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

#include "edgeplan/replay/cpu_quota.h"
#include "edgeplan/replay/network_emulation.h"
#include "edgeplan/replay/rank.h"
#include "process.h"

namespace edgeplan {

namespace {

volatile sig_atomic_t g_interrupted = 0;
void on_signal(int) { g_interrupted = 1; }

// Installs SIGINT/SIGTERM handlers for its lifetime (the job cleans up, then fails).
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = 0;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/edgeplan-replay-XXXXXX";
    if (!mkdtemp(templ)) throw ReplayError("cannot create a temporary directory in /tmp");
    path_ = templ;
    chmod(path_.c_str(), 0755);
  }
  ~TempDir() { (void)detail::run_command({"rm", "-rf", path_}, 30); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

// What each rank gets beyond the common command: a core, and a CPU-quota group.
struct RankPlacement {
  int core = -1;
  std::string cpu_group;
};

std::vector<std::string> rank_command(const ReplayJob& job, const std::string& dir, const RankPlacement& place = {}) {
  std::vector<std::string> a = {job.self_exe, "replay-rank"};
  if (job.calibrate_bytes.empty()) {
    a.push_back("--plan");
    a.push_back(job.plan_path);
  } else {
    std::string sizes;
    for (long long b : job.calibrate_bytes) sizes += (sizes.empty() ? "" : ",") + std::to_string(b);
    a.push_back("--calibrate-bytes");
    a.push_back(sizes);
  }
  const std::vector<std::string> common = {"--devices", join(job.devices),
                                           "--input-device", job.devices[static_cast<std::size_t>(job.input_device)],
                                "--output-device", job.devices[static_cast<std::size_t>(job.output_device)],
                                "--dir", dir, "--repeat", std::to_string(job.repeat), "--warmup", std::to_string(job.warmup),
                                "--threads", std::to_string(job.threads), "--stall-timeout", std::to_string(job.stall_timeout_s),
                                "--activations", to_string(job.wire.activations), "--input-encoding", to_string(job.wire.input)};
  a.insert(a.end(), common.begin(), common.end());
  if (place.core >= 0) {
    a.push_back("--core");
    a.push_back(std::to_string(place.core));
  }
  if (!place.cpu_group.empty()) {
    a.push_back("--cpu-group");
    a.push_back(place.cpu_group);
  }
  if (!job.fault.empty()) {
    a.push_back("--inject-fault");
    a.push_back(job.fault);
  }
  return a;
}

// Cores for the ranks: each on the least loaded core where its share (its quota, or a
// whole core) still fits, so no two full-speed ranks share a core.
std::vector<int> pack_cores(const ReplayJob& job) {
  cpu_set_t allowed;
  std::vector<int> cores;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &allowed)) cores.push_back(c);
  if (cores.empty()) cores.push_back(0);
  std::vector<double> load(cores.size(), 0.0);
  std::vector<int> out;
  for (std::size_t k = 0; k < job.devices.size(); ++k) {
    const double q = k < job.cpu_quota.size() && job.cpu_quota[k] > 0 ? std::min(1.0, job.cpu_quota[k]) : 1.0;
    std::size_t best = 0;
    bool fits = false;
    for (std::size_t c = 0; c < cores.size(); ++c) {
      const bool f = load[c] + q <= 1.0 + 1e-9;
      if ((f && !fits) || (f == fits && load[c] < load[best])) {
        best = c;
        fits = f;
      }
    }
    load[best] += q;
    out.push_back(cores[best]);
  }
  return out;
}

std::vector<std::string> mpirun_common() {
  std::vector<std::string> a = {"mpirun"};
  if (geteuid() == 0) a.push_back("--allow-run-as-root");
  for (const char* x : {"--oversubscribe", "--bind-to", "none", "--mca", "btl", "tcp,self"}) a.push_back(x);
  return a;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string first_line(const std::string& s) {
  std::string l = s.substr(0, s.find('\n'));
  while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.pop_back();
  return l;
}

// The one-line reason of a failed job, from what the ranks and mpirun left behind.
std::string diagnose(const ReplayJob& job, const std::string& dir, const std::string& log, const std::string& headline) {
  // A rank that detected the failure itself wrote why (the earliest such file wins).
  std::string best;
  long long best_time = 0;
  for (std::size_t k = 0; k < job.devices.size(); ++k) {
    struct stat st {};
    const std::string p = rank_error_path(dir, static_cast<int>(k));
    if (stat(p.c_str(), &st) != 0) continue;
    const long long t = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    if (best.empty() || t < best_time) {
      best = first_line(slurp(p));
      best_time = t;
    }
  }
  if (!best.empty()) return best;
  auto progress = [&](int k) {
    const std::string p = first_line(slurp(rank_progress_path(dir, k)));
    return p.empty() ? std::string("starting") : p;
  };
  std::smatch m;
  static const std::regex died(R"(process rank (\d+) with PID \d+ on node \S+ exited on signal (\d+))");
  if (std::regex_search(log, m, died)) {
    const int k = std::stoi(m[1]);
    if (k >= 0 && k < static_cast<int>(job.devices.size()))
      return "device '" + job.devices[static_cast<std::size_t>(k)] + "' (rank " + m[1].str() + ") died (signal " + m[2].str() +
             ") while " + progress(k);
  }
  std::string states;
  for (std::size_t k = 0; k < job.devices.size(); ++k)
    states += (k ? "; " : "") + job.devices[k] + ": " + progress(static_cast<int>(k));
  std::string last;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" -\t") != std::string::npos) last = line;
  return headline + " (" + states + ")" + (last.empty() ? "" : "; mpirun: " + first_line(last));
}

}  // namespace

JobResult run_replay_job(const ReplayJob& job) {
  if (job.devices.empty()) throw ReplayError("nothing to replay: no devices");
  InterruptGuard guard;
  TempDir dir;
  JobResult result;
  std::unique_ptr<NetworkEmulation> net;
  std::vector<std::string> argv = mpirun_common(), env;
  // Slower devices: one CPU-quota group per rank whose quota is below a core.
  std::vector<std::unique_ptr<CpuQuotaGroup>> groups(job.devices.size());
  std::vector<RankPlacement> place(job.devices.size());
  const std::vector<int> cores = pack_cores(job);
  CpuQuotaGroup::remove_stale();
  for (std::size_t k = 0; k < job.devices.size(); ++k) {
    if (job.pin) place[k].core = cores[k];
    if (k < job.cpu_quota.size() && job.cpu_quota[k] > 0 && job.cpu_quota[k] < 1) {
      const std::string name = "edgeplan-" + std::to_string(getpid()) + "-" + std::to_string(k);
      groups[k] = std::make_unique<CpuQuotaGroup>(name, job.cpu_quota[k]);
      place[k].cpu_group = name;
    }
  }
  std::vector<std::string> prefix;  // before each rank's command
  if (job.emulate) {
    NetworkEmulation::remove_stale();
    std::vector<EmulatedDevice> devs;
    for (std::size_t k = 0; k < job.devices.size(); ++k) devs.push_back({job.devices[k], job.rates_mbps.at(k)});
    net = std::make_unique<NetworkEmulation>(devs);
    result.network = net->description();
    env = {"PMIX_MCA_ptl_tcp_remote_connections=1", "PMIX_MCA_ptl_tcp_if_include=" + net->bridge()};
    for (const char* x : {"-x", "PMIX_MCA_ptl_tcp_remote_connections", "-x", "PMIX_MCA_ptl_tcp_if_include", "--mca", "btl_tcp_if_include",
                          "eth0", "--mca", "oob_tcp_if_include"})
      argv.push_back(x);
    argv.push_back(net->bridge());
  } else {
    result.network = "loopback (tcp over lo), unshaped: transfers take what the host's stack takes, not the scenario's links";
    for (const char* x : {"--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"}) argv.push_back(x);
  }
  // One application context per rank (MPMD): rank k is the k-th, with its own namespace,
  // core and group.
  for (std::size_t k = 0; k < job.devices.size(); ++k) {
    if (k) argv.push_back(":");
    argv.push_back("-np");
    argv.push_back("1");
    if (net)
      for (const std::string& x : {std::string("ip"), std::string("netns"), std::string("exec"), net->namespace_of(static_cast<int>(k))})
        argv.push_back(x);
    const std::vector<std::string> rank = rank_command(job, dir.path(), place[k]);
    argv.insert(argv.end(), rank.begin(), rank.end());
  }
  const std::string log = dir.path() + "/mpirun.log";
  const auto start = std::chrono::steady_clock::now();
  {
    detail::ChildGroup child(argv, env, log);
    std::vector<bool> moved(groups.size(), false);
    bool finished = false;
    while (!finished) {
      finished = child.wait_for(0.05);
      if (finished) break;
      // Ranks of slower devices say their process id once started; move them into their group.
      for (std::size_t k = 0; k < groups.size(); ++k) {
        if (!groups[k] || moved[k]) continue;
        const std::string pid = first_line(slurp(rank_pid_path(dir.path(), static_cast<int>(k))));
        if (pid.empty()) continue;
        groups[k]->add(static_cast<pid_t>(std::stol(pid)));
        moved[k] = true;
      }
      if (g_interrupted) {
        child.terminate(3.0);
        throw ReplayError("interrupted: the ranks were stopped and the emulated network removed; no report written");
      }
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > job.timeout_s) {
        child.terminate(3.0);
        throw ReplayError("replay failed: " + diagnose(job, dir.path(), slurp(log), "no result within " +
                                                        std::to_string(static_cast<int>(job.timeout_s)) + " s"));
      }
    }
    if (child.exit_code() != 0)
      throw ReplayError("replay failed: " + diagnose(job, dir.path(), slurp(log),
                                                     child.signal() ? "mpirun was killed by signal " + std::to_string(child.signal())
                                                                    : "mpirun exited with code " + std::to_string(child.exit_code())));
  }
  for (std::size_t k = 0; k < job.devices.size(); ++k) {
    const std::string p = rank_record_path(dir.path(), static_cast<int>(k));
    if (!job.calibrate_bytes.empty()) {
      result.calibrations.push_back(slurp(rank_calibration_path(dir.path(), static_cast<int>(k))));
      continue;
    }
    if (access(p.c_str(), R_OK) != 0)
      throw ReplayError("replay failed: device '" + job.devices[k] + "' (rank " + std::to_string(k) + ") wrote no record; " +
                        diagnose(job, dir.path(), slurp(log), "mpirun exited normally"));
    result.ranks.push_back(load_rank_record(p));
  }
  return result;
}

std::string launch_command_for_hosts(const ReplayJob& job) {
  std::string hosts;
  for (const std::string& d : job.devices) hosts += d + " slots=1\n";
  std::vector<std::string> argv = mpirun_common();
  for (const char* x : {"--hostfile", "hosts.txt", "--map-by", "node", "-np"}) argv.push_back(x);
  argv.push_back(std::to_string(job.devices.size()));
  std::vector<std::string> rank = rank_command(job, "replay-out");
  rank[0] = "edgeplan";
  argv.insert(argv.end(), rank.begin(), rank.end());
  return "# hosts.txt: one line per device in rank order (replace the names with the devices' host names)\n" + hosts +
         "# on each host: the same edgeplan build, the plan at " + job.plan_path +
         ", and a writable directory replay-out/ (each rank writes its record there; gather them to read them back)\n" +
         detail::shell_join(argv) + "\n";
}

}  // namespace edgeplan
