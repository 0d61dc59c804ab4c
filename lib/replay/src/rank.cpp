// The rank program: each device runs its tasks in plan order on a worker thread, each as
// soon as its inputs are there; the main thread alone talks MPI (non-blocking sends and
// receives, polled), so transfers progress while the worker computes. No barrier between
// volumes: only one per repeat, before the image appears.
#include "edgeplan/replay/rank.h"

#include <fcntl.h>
#include <mpi.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "edgeplan/compute/threads.h"
#include "edgeplan/jsonio/atomic_file.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/replay/cpu_quota.h"
#include "edgeplan/replay/rank_record.h"
#include "edgeplan/runtime/cpu_executor.h"
#include "edgeplan/runtime/flow_runner.h"
#include "edgeplan/runtime/wire_format.h"

namespace edgeplan {

namespace {

using nlohmann::json;

constexpr int kSyncTag = 1;
constexpr int kFirstMessageTag = 16;
constexpr double kMaxRelError = 1e-4;

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// What the rank is doing, written into a shared mapping of a small file (no system call per
// update: it changes on every task): read by the launcher when a rank dies.
class ProgressFile {
 public:
  static constexpr std::size_t kSize = 512;
  explicit ProgressFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    if (::ftruncate(fd, static_cast<off_t>(kSize)) == 0) {
      void* p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (p != MAP_FAILED) map_ = static_cast<char*>(p);
    }
    ::close(fd);
  }
  ~ProgressFile() {
    if (map_) ::munmap(map_, kSize);
  }
  void set(const std::string& line) {
    if (!map_) return;
    const std::size_t n = std::min(line.size(), kSize - 2);
    std::memcpy(map_, line.data(), n);
    map_[n] = '\n';
    std::memset(map_ + n + 1, 0, kSize - n - 1);
  }

 private:
  char* map_ = nullptr;
};

struct Rank {
  const RankOptions& opt;
  int rank = 0;
  Dataflow flow;
  std::unique_ptr<PartRunner> runner;
  std::unique_ptr<FlowRunner> tasks;
  std::unique_ptr<ProgressFile> progress;
  std::vector<int> my_tasks;          // in the order this device runs them
  std::vector<int> incoming;          // cross-device messages this rank receives
  std::vector<RegionData> payload;    // per message: what was received or computed
  std::vector<std::vector<unsigned char>> packed;  // per message not sent as fp32: its bytes on the wire
  RegionData reference;               // the output rank: the monolithic output
  RankRecord record;

  explicit Rank(const RankOptions& o) : opt(o) {}

  [[noreturn]] void fail(const std::string& message) {
    try {
      jsonio::write_file_atomic<ReplayError>(rank_error_path(opt.dir, rank), message + "\n");
    } catch (const std::exception&) {
    }
    std::fprintf(stderr, "edgeplan replay-rank %d (%s): %s\n", rank, record.device.c_str(), message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 3);
    std::_Exit(3);
  }

  ElementType wire_type(int message) const { return opt.wire.type_of(flow.messages[static_cast<std::size_t>(message)].tensor); }

  std::string device_name(int d) const { return "device '" + flow.devices[static_cast<std::size_t>(d)] + "'"; }

  void pin() {
    record.core = -1;
    if (opt.core < 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(opt.core, &one);
    if (sched_setaffinity(0, sizeof one, &one) == 0) record.core = opt.core;
  }

  // A slower device: the launcher moves this process into its CPU-quota group (all of it,
  // as it profiled the device: a slower processor that also runs the device's network
  // stack); wait for that before anything is timed (bounded: the launcher looks every 50 ms).
  void join_cpu_group() {
    if (opt.cpu_group.empty()) return;
    jsonio::write_file_atomic<ReplayError>(rank_pid_path(opt.dir, rank), std::to_string(getpid()) + "\n");
    for (int i = 0; i < 600; ++i) {
      if (CpuQuotaGroup::self_in(opt.cpu_group)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    fail("was not moved into its CPU-quota group " + opt.cpu_group + " within 30 s");
  }

  // Cristian's algorithm against rank 0, best of 16 exchanges per rank.
  void sync_clock(int size) {
    for (int k = 1; k < size; ++k)
      for (int round = 0; round < 16; ++round) {
        if (rank == 0) {
          double t = 0;
          MPI_Recv(&t, 1, MPI_DOUBLE, k, kSyncTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          t = now_ms();
          MPI_Send(&t, 1, MPI_DOUBLE, k, kSyncTag, MPI_COMM_WORLD);
        } else if (rank == k) {
          double t1 = now_ms(), t0 = 0;
          MPI_Send(&t1, 1, MPI_DOUBLE, 0, kSyncTag, MPI_COMM_WORLD);
          MPI_Recv(&t0, 1, MPI_DOUBLE, 0, kSyncTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          const double t2 = now_ms();
          if (round == 0 || t2 - t1 < record.clock_rtt_ms) {
            record.clock_rtt_ms = t2 - t1;
            record.clock_offset_ms = t0 - (t1 + t2) / 2;
          }
        }
      }
  }

  double clock() const { return now_ms() + record.clock_offset_ms; }

  // A barrier that sleeps while it waits: MPI_Barrier spins, and a spinning rank steals the
  // core (or its hyperthread sibling) from a rank that computes.
  void quiet_barrier() {
    MPI_Request req;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    for (int done = 0;;) {
      MPI_Test(&req, &done, MPI_STATUS_IGNORE);
      if (done) return;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  void setup(int size) {
    if (size != static_cast<int>(opt.devices.size()))
      fail("mpirun started " + std::to_string(size) + " ranks for " + std::to_string(opt.devices.size()) + " devices");
    record.rank = rank;
    record.device = opt.devices[static_cast<std::size_t>(rank)];
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    record.host = host;
    char lib[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int len = 0;
    MPI_Get_library_version(lib, &len);
    record.mpi_library = std::string(lib, static_cast<std::size_t>(len)).substr(0, std::string(lib).find_first_of(",\n"));
    record.threads = opt.threads;
    progress = std::make_unique<ProgressFile>(rank_progress_path(opt.dir, rank));
    progress->set("starting");
    join_cpu_group();
    pin();
    const Plan plan = load_plan_file(opt.plan_path);
    const Graph graph = plan_graph(plan);
    flow = compile_dataflow(graph, plan, opt.devices, opt.input_device, opt.output_device);
    int* tag_ub = nullptr;
    int found = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &found);
    if (found && tag_ub && static_cast<long long>(flow.messages.size()) + kFirstMessageTag > *tag_ub)
      fail("the plan has more messages (" + std::to_string(flow.messages.size()) + ") than MPI has tags");
    ExecutorOptions eo;
    eo.threads = opt.threads;
    // An 8-bit camera frame: the seeded image on the 256 levels the frame can carry.
    if (opt.wire.input == ElementType::U8) eo.input = quantize_to_u8_levels(model_input_values(graph, eo));
    runner = std::make_unique<PartRunner>(graph, eo);
    tasks = std::make_unique<FlowRunner>(flow, *runner);
    progress->set("making weights");
    tasks->prepare_device(rank);
    if (rank == opt.input_device) my_tasks.push_back(0);
    for (int t : flow.device_tasks[static_cast<std::size_t>(rank)]) my_tasks.push_back(t);
    if (rank == opt.output_device) {
      my_tasks.push_back(static_cast<int>(flow.tasks.size()) - 1);
      progress->set("computing the monolithic reference");
      // fp16 on the wire: the same plan in one process with the same roundings is exact.
      reference = runner->monolithic();
      if (opt.wire.activations != ElementType::F32) {
        RegionData rounded = run_locally(flow, *runner, opt.wire);
        record.wire_rel_error = max_relative_error(rounded.values, reference.values);
        reference = std::move(rounded);
      }
    }
    payload.resize(flow.messages.size());
    packed.resize(flow.messages.size());
    for (std::size_t m = 0; m < flow.messages.size(); ++m) {
      const FlowMessage& msg = flow.messages[m];
      if (flow.device_of(msg.dst_task) == rank && flow.crosses(static_cast<int>(m))) {
        incoming.push_back(static_cast<int>(m));
        payload[m] = make_region_data(msg.region, msg.channels);
      }
    }
    sync_clock(size);
  }

  bool fault_at(int task, const char* kind) const {
    if (opt.fault.kind != kind || opt.fault.device != record.device) return false;
    const FlowTask& t = flow.tasks[static_cast<std::size_t>(task)];
    if (opt.fault.volume == 0) return task == my_tasks.front();
    return t.volume == opt.fault.volume - 1;
  }

  // State shared by this thread (MPI) and the worker (compute) during one repeat.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv_worker, cv_main;
    int started = 0;             // repeats handed to the worker
    bool quit = false;
    std::vector<char> have;      // per message: its payload is here
    std::deque<int> outbox;      // computed messages for this thread to send
    bool worker_done = true;
    bool worker_waiting = false;  // for inputs (not computing): then arrivals matter at once
    int waits_begun = 0;
    std::string worker_error;
    RepeatRecord rec;
  } sh;
  std::thread worker;

  // The worker lives for the whole run: one thread, so its OpenMP settings, allocator arena
  // and caches persist between repeats as they do on a device serving one image after another.
  void worker_loop() {
    set_compute_threads(opt.threads);  // OpenMP's thread count is per thread
    // The MPI thread shares the worker's core: at a lower priority the worker yields the core
    // as soon as the MPI thread wakes (a message to send, an arrival to take), as a device's
    // network interface works beside its processor; at equal priority a woken MPI thread
    // waited for the scheduler's next turn, up to milliseconds per message.
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
    for (int done = 0;; ++done) {
      {
        std::unique_lock<std::mutex> lock(sh.mu);
        sh.cv_worker.wait(lock, [&] { return sh.quit || sh.started > done; });
        if (sh.quit) return;
      }
      try {
        run_tasks();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(sh.mu);
        sh.worker_error = e.what();
      }
      std::lock_guard<std::mutex> lock(sh.mu);
      sh.worker_done = true;
      sh.cv_main.notify_one();
    }
  }

  // This device's tasks of one repeat, in order, each once its inputs are here.
  void run_tasks() {
    for (int task : my_tasks) {
      const FlowTask& t = flow.tasks[static_cast<std::size_t>(task)];
      progress->set("waiting for the inputs of " + flow.describe(task));
      {
        std::unique_lock<std::mutex> lock(sh.mu);
        auto ready = [&] {
          for (int m : t.inputs)
            if (!sh.have[static_cast<std::size_t>(m)]) return false;
          return true;
        };
        if (!ready()) {  // only then wake the MPI thread to poll fast
          sh.worker_waiting = true;
          ++sh.waits_begun;
          sh.cv_main.notify_one();
          sh.cv_worker.wait(lock, ready);
          sh.worker_waiting = false;
        }
      }
      std::map<int, const RegionData*> received;
      for (int m : t.inputs) received[m] = &payload[static_cast<std::size_t>(m)];
      if (t.kind == FlowTask::Kind::Result) {
        sh.rec.result_ms = clock();
        const RegionData out = tasks->assemble_result(received);  // after the clock: checking is not inference
        sh.rec.max_rel_error = max_relative_error(out.values, reference.values);
        continue;
      }
      progress->set("computing " + flow.describe(task));
      if (fault_at(task, "kill")) std::raise(SIGKILL);
      const double t0 = clock();
      std::vector<RegionData> out = tasks->run_task(task, received);
      sh.rec.tasks.push_back({task, t0, clock()});
      if (fault_at(task, "stall")) {
        progress->set("stalled (injected) after " + flow.describe(task));
        for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // a hung device; the others' watchdogs end the job
      }
      std::lock_guard<std::mutex> lock(sh.mu);
      bool to_send = false;
      for (std::size_t i = 0; i < t.outputs.size(); ++i) {
        const int m = t.outputs[i];
        payload[static_cast<std::size_t>(m)] = std::move(out[i]);
        if (flow.crosses(m)) {
          sh.outbox.push_back(m);
          to_send = true;
        } else {
          sh.have[static_cast<std::size_t>(m)] = 1;
        }
      }
      if (to_send) sh.cv_main.notify_one();
    }
  }

  // One repeat: the worker computes, this thread moves bytes.
  RepeatRecord repeat() {
    quiet_barrier();
    std::vector<MPI_Request> requests;
    std::vector<int> request_message;  // >= 0: a receive of that message; < 0: a send of ~message
    std::vector<double> request_start;
    for (int m : incoming) {
      RegionData& buf = payload[static_cast<std::size_t>(m)];
      const int src = flow.device_of(flow.messages[static_cast<std::size_t>(m)].src_task);
      requests.emplace_back();
      const ElementType type = wire_type(m);
      if (type == ElementType::F32) {
        MPI_Irecv(buf.values.data(), static_cast<int>(buf.values.size()), MPI_FLOAT, src, kFirstMessageTag + m, MPI_COMM_WORLD,
                  &requests.back());
      } else {
        std::vector<unsigned char>& bytes = packed[static_cast<std::size_t>(m)];
        bytes.resize(wire_bytes(buf.values.size(), type));
        MPI_Irecv(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, src, kFirstMessageTag + m, MPI_COMM_WORLD, &requests.back());
      }
      request_message.push_back(m);
      request_start.push_back(clock());
    }
    const double start = clock();
    int waits_seen = 0;
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      sh.rec = RepeatRecord{};
      if (rank == opt.input_device) sh.rec.image_ms = start;
      sh.have.assign(flow.messages.size(), 0);
      sh.outbox.clear();
      sh.worker_done = false;
      sh.worker_waiting = false;  // set by the worker when it has to wait for a message
      waits_seen = sh.waits_begun;
      ++sh.started;
    }
    sh.cv_worker.notify_one();

    std::vector<int> indices;
    const bool stalling = opt.fault.kind == "stall" && opt.fault.device == record.device;  // a hung rank does not judge others
    for (;;) {
      std::vector<int> to_send;
      bool done = false;
      {
        std::unique_lock<std::mutex> lock(sh.mu);
        to_send.assign(sh.outbox.begin(), sh.outbox.end());
        sh.outbox.clear();
        done = sh.worker_done;
        if (!sh.worker_error.empty()) {
          const std::string why = sh.worker_error;
          lock.unlock();
          fail("computing failed: " + why);
        }
      }
      for (int m : to_send) {
        const RegionData& buf = payload[static_cast<std::size_t>(m)];
        const int dst = flow.device_of(flow.messages[static_cast<std::size_t>(m)].dst_task);
        requests.emplace_back();
        request_start.push_back(clock());
        const ElementType type = wire_type(m);
        if (type == ElementType::F32) {
          MPI_Isend(buf.values.data(), static_cast<int>(buf.values.size()), MPI_FLOAT, dst, kFirstMessageTag + m, MPI_COMM_WORLD,
                    &requests.back());
        } else {  // packing is part of sending, as on a device
          std::vector<unsigned char>& bytes = packed[static_cast<std::size_t>(m)];
          pack_wire(buf.values, type, bytes);
          MPI_Isend(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dst, kFirstMessageTag + m, MPI_COMM_WORLD, &requests.back());
        }
        request_message.push_back(~m);
      }
      bool active = false;
      for (const MPI_Request& r : requests) active = active || r != MPI_REQUEST_NULL;
      if (!active && done) break;
      int count = 0;
      if (active) {
        indices.resize(requests.size());
        MPI_Testsome(static_cast<int>(requests.size()), requests.data(), &count, indices.data(), MPI_STATUSES_IGNORE);
        if (count == MPI_UNDEFINED) count = 0;
      }
      // Unpacking is part of receiving: done before the arrival is timed and handed over.
      for (int i = 0; i < count; ++i) {
        const int m = request_message[static_cast<std::size_t>(indices[static_cast<std::size_t>(i)])];
        if (m >= 0 && wire_type(m) != ElementType::F32)
          unpack_wire(packed[static_cast<std::size_t>(m)], wire_type(m), payload[static_cast<std::size_t>(m)].values);
      }
      const double t = clock();
      if (count > 0) {
        std::lock_guard<std::mutex> lock(sh.mu);
        for (int i = 0; i < count; ++i) {
          const auto k = static_cast<std::size_t>(indices[static_cast<std::size_t>(i)]);
          const int m = request_message[k];
          if (m >= 0) {
            sh.have[static_cast<std::size_t>(m)] = 1;
            sh.rec.receives.push_back({m, request_start[k], t});
          } else {
            sh.rec.sends.push_back({~m, request_start[k], t});
          }
        }
        sh.cv_worker.notify_one();
        continue;
      }
      if (t - start > opt.stall_timeout_s * 1000 && !stalling) {
        for (std::size_t k = 0; k < requests.size(); ++k) {
          if (requests[k] == MPI_REQUEST_NULL || request_message[k] < 0) continue;
          const FlowMessage& msg = flow.messages[static_cast<std::size_t>(request_message[k])];
          fail(device_name(rank) + " waited " + std::to_string(static_cast<int>(opt.stall_timeout_s)) + " s for rows " +
               to_string(msg.region.rows) + " of tensor " + std::to_string(msg.tensor) + " for " + flow.describe(msg.dst_task) +
               " from " + device_name(flow.device_of(msg.src_task)) + " (" + flow.describe(msg.src_task) +
               "): the transfer stalled or that rank hung");
        }
        if (!done)
          fail(device_name(rank) + " did not finish its tasks within " + std::to_string(static_cast<int>(opt.stall_timeout_s)) + " s");
      }
      // Poll often while the worker waits for data; while it computes, an arrival cannot
      // start anything sooner, but large messages need both ends' MPI to move (rendezvous),
      // so a slower poll goes on (each poll takes the shared core for a few microseconds).
      std::unique_lock<std::mutex> lock(sh.mu);
      const auto interval = !active ? std::chrono::microseconds(20000)
                                    : sh.worker_waiting ? std::chrono::microseconds(50) : std::chrono::microseconds(2000);
      sh.cv_main.wait_for(lock, interval, [&] { return !sh.outbox.empty() || sh.worker_done || sh.waits_begun != waits_seen; });
      waits_seen = sh.waits_begun;
    }
    std::lock_guard<std::mutex> lock(sh.mu);
    return sh.rec;
  }

  // Ping-pong over every ordered pair, one pair at a time (the others wait quietly).
  int calibrate(int size) {
    record.rank = rank;
    progress = std::make_unique<ProgressFile>(rank_progress_path(opt.dir, rank));
    if (size != static_cast<int>(opt.devices.size()))
      fail("mpirun started " + std::to_string(size) + " ranks for " + std::to_string(opt.devices.size()) + " devices");
    long long largest = 1;
    for (long long b : opt.calibrate_bytes) largest = std::max(largest, b);
    std::vector<char> buf(static_cast<std::size_t>(largest), 1);
    char ack = 0;
    json pairs = json::array();
    for (int a = 0; a < size; ++a)
      for (int b = 0; b < size; ++b) {
        if (a == b) continue;
        quiet_barrier();
        if (rank != a && rank != b) continue;
        progress->set("measuring " + opt.devices[static_cast<std::size_t>(a)] + " -> " + opt.devices[static_cast<std::size_t>(b)]);
        auto exchange = [&](long long bytes) {
          const double t0 = now_ms();
          if (rank == a) {
            MPI_Send(buf.data(), static_cast<int>(bytes), MPI_BYTE, b, kSyncTag, MPI_COMM_WORLD);
            MPI_Recv(&ack, 1, MPI_BYTE, b, kSyncTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          } else {
            MPI_Recv(buf.data(), static_cast<int>(bytes), MPI_BYTE, a, kSyncTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(&ack, 1, MPI_BYTE, a, kSyncTag, MPI_COMM_WORLD);
          }
          return now_ms() - t0;
        };
        std::vector<double> small;
        for (int i = 0; i < 10; ++i) small.push_back(exchange(1));
        json sizes = json::array(), times = json::array();
        for (long long bytes : opt.calibrate_bytes) {
          std::vector<double> t;
          for (int i = 0; i < opt.calibrate_repeats; ++i) t.push_back(exchange(bytes));
          std::sort(t.begin(), t.end());
          sizes.push_back(bytes);
          times.push_back(t[t.size() / 2]);
        }
        std::sort(small.begin(), small.end());
        if (rank == a)
          pairs.push_back({{"from", opt.devices[static_cast<std::size_t>(a)]}, {"to", opt.devices[static_cast<std::size_t>(b)]},
                           {"rtt_ms", small[small.size() / 2]}, {"bytes", sizes}, {"round_trip_ms", times}});
      }
    quiet_barrier();
    jsonio::write_file_atomic<ReplayError>(rank_calibration_path(opt.dir, rank), pairs.dump() + "\n");
    progress->set("done");
    return 0;
  }

  int run(int size) {
    if (!opt.calibrate_bytes.empty()) return calibrate(size);
    setup(size);
    worker = std::thread([this] { worker_loop(); });
    for (int r = 0; r < opt.warmup + opt.repeat; ++r) {
      RepeatRecord rec = repeat();
      if (rank == opt.output_device && !(rec.max_rel_error <= kMaxRelError))
        fail("the replayed result differs from the monolithic output: max relative error " + std::to_string(rec.max_rel_error) +
             " > 1e-4 (repeat " + std::to_string(r + 1) + ")");
      record.repeats.push_back(std::move(rec));
    }
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      sh.quit = true;
    }
    sh.cv_worker.notify_one();
    worker.join();
    progress->set("done");
    quiet_barrier();
    jsonio::write_file_atomic<ReplayError>(rank_record_path(opt.dir, rank), rank_record_to_json(record));
    return 0;
  }
};

}  // namespace

std::string rank_record_path(const std::string& dir, int rank) { return dir + "/rank-" + std::to_string(rank) + ".json"; }
std::string rank_error_path(const std::string& dir, int rank) { return dir + "/rank-" + std::to_string(rank) + ".error"; }
std::string rank_progress_path(const std::string& dir, int rank) { return dir + "/rank-" + std::to_string(rank) + ".progress"; }
std::string rank_calibration_path(const std::string& dir, int rank) { return dir + "/rank-" + std::to_string(rank) + ".calibration"; }
std::string rank_pid_path(const std::string& dir, int rank) { return dir + "/rank-" + std::to_string(rank) + ".pid"; }

FaultInjection parse_fault(const std::string& text) {
  FaultInjection f;
  if (text.empty()) return f;
  const auto a = text.find(':'), b = text.rfind(':');
  if (a == std::string::npos || a == b) throw ReplayError("fault '" + text + "' is not KIND:DEVICE:VOLUME");
  f.kind = text.substr(0, a);
  f.device = text.substr(a + 1, b - a - 1);
  if (f.kind != "kill" && f.kind != "stall") throw ReplayError("fault kind '" + f.kind + "' is not kill or stall");
  try {
    std::size_t used = 0;
    f.volume = std::stoi(text.substr(b + 1), &used);
    if (used != text.size() - b - 1 || f.volume < 0) throw std::invalid_argument("volume");
  } catch (const std::exception&) {
    throw ReplayError("fault '" + text + "': the volume must be a number >= 0");
  }
  return f;
}

int run_replay_rank(const RankOptions& options) {
  // Dies with its launcher (mpirun or orted), so no rank outlives a killed job.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  Rank r(options);
  r.rank = rank;
  if (provided < MPI_THREAD_FUNNELED) r.fail("the MPI library does not allow a second thread (MPI_THREAD_FUNNELED)");
  int code = 0;
  try {
    code = r.run(size);
  } catch (const std::exception& e) {
    r.fail(e.what());
  }
  MPI_Finalize();
  return code;
}

}  // namespace edgeplan
