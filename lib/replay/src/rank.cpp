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
#include "edgeplan/data/dataset.h"
#include "edgeplan/plan/plan_exits.h"
#include "edgeplan/runtime/exit_runner.h"
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
constexpr int kVerdictTag = 2;  // early exits: the output rank tells every rank which head answered
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

  // Early exits (a plan with an "exits" block). Each part of a volume holding an exit's cut
  // sends its channel sums there to the exit's rank (a "slot"); that rank decides the exit and
  // tells the output rank, which takes the decisions in order and sends every other rank the
  // verdict (the head that answered: an exit, or the final head). On an exit's verdict every
  // rank stops computing and sends empty messages for what it will not send, so every posted
  // receive completes. Repeat r runs Fashion-MNIST test image r.
  struct Slot {
    int exit = 0, task = 0, src = 0, dst = 0;
  };
  TrainedHeads heads;
  std::unique_ptr<ExitSteps> steps;
  std::vector<Slot> slots;
  std::vector<int> exit_rank;             // per exit: the rank finishing its head
  ImageSet test_images;
  std::vector<ExitRun> expected;          // the output rank: the one-process answer per repeat
  bool exits() const { return steps != nullptr; }
  int message_count() const { return static_cast<int>(flow.messages.size()); }

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
    if (plan.exits) setup_exits(plan, graph);
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

  void setup_exits(const Plan& plan, const Graph& graph) {
    if (opt.wire.activations != ElementType::F32) fail("a plan with exits replays with fp32 activations");
    heads = plan_heads(plan, graph);
    steps = std::make_unique<ExitSteps>(graph, flow, plan, heads);
    for (const PlanExit& e : plan.exits->exits) {
      const auto it = std::find(flow.devices.begin(), flow.devices.end(), e.device);
      if (it == flow.devices.end()) fail("exit '" + e.name + "' is evaluated on '" + e.device + "', which runs no rank");
      exit_rank.push_back(static_cast<int>(it - flow.devices.begin()));
    }
    for (int k = 0; k < steps->exits(); ++k)
      for (int task : steps->part_tasks(k)) slots.push_back(Slot{k, task, flow.device_of(task), exit_rank[static_cast<std::size_t>(k)]});
    int* tag_ub = nullptr;
    int found = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &found);
    if (found && tag_ub && static_cast<long long>(message_count() + slots.size() + exit_rank.size()) + kFirstMessageTag > *tag_ub)
      fail("the plan with its exits has more messages than MPI has tags");
    progress->set("reading the Fashion-MNIST test images");
    try {
      test_images = load_fashion_mnist().test;
    } catch (const Error& e) {
      fail(e.what());
    }
    if (opt.warmup + opt.repeat > test_images.size()) fail("more repeats than test images");
    if (rank == opt.output_device) {
      progress->set("running the test images in one process (the reference)");
      const ExitRunner local(graph, flow, plan, heads, *runner);
      for (int r = 0; r < opt.warmup + opt.repeat; ++r) expected.push_back(local.run(normalized_image(test_images, r)));
    }
  }

  int slot_of(int exit, int task) const {
    for (std::size_t s = 0; s < slots.size(); ++s)
      if (slots[s].exit == exit && slots[s].task == task) return static_cast<int>(s);
    return -1;
  }

  // The image on an 8-bit wire, with exits: Fashion-MNIST's own pixels (exact both ways).
  bool pixel_wire(int m) const { return exits() && flow.messages[static_cast<std::size_t>(m)].tensor == kModelInput && wire_type(m) == ElementType::U8; }

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
    // Early exits.
    bool stop = false;                      // answered at an exit: compute nothing more
    std::vector<char> queued;               // per flow message, then per slot: handed to this thread
    std::vector<char> empty;                // per flow message, then per slot: its sender stopped (sent empty)
    std::vector<std::vector<double>> sums;  // per slot: the channel sums
    std::vector<char> slot_have;            // per slot: its sums (or its emptiness) are here
    std::vector<float> final_scores;        // the output rank: the final head's scores
    bool result_done = false;
    int events = 0;                         // local arrivals for this thread (sums, the result)
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
          if (sh.stop) return true;
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
        bool starved = false;  // an input came empty: its sender stopped, the verdict is on its way
        for (int m : t.inputs) starved = starved || (exits() && sh.empty[static_cast<std::size_t>(m)]);
        if (sh.stop || starved) break;  // answered at an exit
      }
      std::map<int, const RegionData*> received;
      for (int m : t.inputs) received[m] = &payload[static_cast<std::size_t>(m)];
      if (t.kind == FlowTask::Kind::Result && exits()) {  // the answer is decided by the MPI thread
        RegionData out = tasks->assemble_result(received);
        std::lock_guard<std::mutex> lock(sh.mu);
        sh.final_scores = std::move(out.values);
        sh.result_done = true;
        ++sh.events;
        sh.cv_main.notify_one();
        continue;
      }
      if (t.kind == FlowTask::Kind::Result) {
        sh.rec.result_ms = clock();
        const RegionData out = tasks->assemble_result(received);  // after the clock: checking is not inference
        sh.rec.max_rel_error = max_relative_error(out.values, reference.values);
        continue;
      }
      progress->set("computing " + flow.describe(task));
      if (fault_at(task, "kill")) std::raise(SIGKILL);
      const double t0 = clock();
      std::vector<RegionData> out;
      if (exits() && t.kind == FlowTask::Kind::Part) {  // in steps, as the one-process ExitRunner runs every part
        if (!run_in_steps(task, received, out)) {
          sh.rec.tasks.push_back({task, t0, clock()});  // stopped on the way
          break;
        }
      } else {
        out = tasks->run_task(task, received);
      }
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
          sh.queued[static_cast<std::size_t>(m)] = 1;
          sh.outbox.push_back(m);
          to_send = true;
        } else {
          sh.have[static_cast<std::size_t>(m)] = 1;
        }
      }
      if (to_send) sh.cv_main.notify_one();
    }
    if (exits()) send_empties();
  }

  // A part of a plan with exits: up to each cut of its volume (one step where it has none),
  // where its channel sums go to the exit's rank, and on; false when the input was answered on
  // the way (nothing more computed).
  bool run_in_steps(int task, const std::map<int, const RegionData*>& received, std::vector<RegionData>& out) {
    const FlowTask& t = flow.tasks[static_cast<std::size_t>(task)];
    std::map<int, RegionData> have = tasks->assemble(task, received), produced;
    int from = t.layers.first;
    for (int end : steps->step_ends(t.volume)) {
      {
        std::lock_guard<std::mutex> lock(sh.mu);
        if (sh.stop) return false;
      }
      produced = steps->step(*runner, task, from, end, have);
      const int k = steps->exit_at(end);
      if (k >= 0) {
        const int s = slot_of(k, task);
        std::vector<double> v = steps->sums(k, task, produced);
        std::lock_guard<std::mutex> lock(sh.mu);
        sh.sums[static_cast<std::size_t>(s)] = std::move(v);
        if (slots[static_cast<std::size_t>(s)].dst == rank) {
          sh.slot_have[static_cast<std::size_t>(s)] = 1;
          ++sh.events;
        } else {
          sh.queued[static_cast<std::size_t>(message_count() + s)] = 1;
          sh.outbox.push_back(message_count() + s);
        }
        sh.cv_main.notify_one();
      }
      from = end;
    }
    out = tasks->messages_out(task, produced);
    return true;
  }

  // What this rank will not send after a stop goes empty, so every posted receive completes.
  void send_empties() {
    std::lock_guard<std::mutex> lock(sh.mu);
    for (int task : my_tasks)
      for (int m : flow.tasks[static_cast<std::size_t>(task)].outputs)
        if (flow.crosses(m) && !sh.queued[static_cast<std::size_t>(m)]) {
          sh.queued[static_cast<std::size_t>(m)] = sh.empty[static_cast<std::size_t>(m)] = 1;
          sh.outbox.push_back(m);
        }
    for (std::size_t s = 0; s < slots.size(); ++s) {
      if (slots[s].src != rank) continue;
      const std::size_t id = static_cast<std::size_t>(message_count()) + s;
      if (slots[s].dst == rank) {
        if (!sh.slot_have[s]) sh.slot_have[s] = sh.empty[id] = 1, ++sh.events;
      } else if (!sh.queued[id]) {
        sh.queued[id] = sh.empty[id] = 1;
        sh.outbox.push_back(static_cast<int>(id));
      }
    }
    sh.cv_main.notify_one();
  }

  // One repeat: the worker computes, this thread moves bytes (and, with exits, decides heads).
  RepeatRecord repeat(int r) {
    quiet_barrier();
    enum Kind { Flow, SlotRecv, SlotSend, DecisionRecv, DecisionSend, VerdictRecv, VerdictSend };
    std::vector<MPI_Request> requests;
    std::vector<int> request_message;  // Flow: >= 0 a receive of that message, < 0 a send of ~message
    std::vector<Kind> request_kind;
    std::vector<int> request_id;       // the slot or exit of the other kinds
    std::vector<double> request_start;
    auto add_request = [&](Kind kind, int message, int id) {
      requests.emplace_back();
      request_kind.push_back(kind);
      request_message.push_back(message);
      request_id.push_back(id);
      request_start.push_back(clock());
      return &requests.back();
    };
    for (int m : incoming) {
      RegionData& buf = payload[static_cast<std::size_t>(m)];
      const int src = flow.device_of(flow.messages[static_cast<std::size_t>(m)].src_task);
      MPI_Request* req = add_request(Flow, m, -1);
      const ElementType type = wire_type(m);
      if (type == ElementType::F32) {
        MPI_Irecv(buf.values.data(), static_cast<int>(buf.values.size()), MPI_FLOAT, src, kFirstMessageTag + m, MPI_COMM_WORLD, req);
      } else {
        std::vector<unsigned char>& bytes = packed[static_cast<std::size_t>(m)];
        bytes.resize(wire_bytes(buf.values.size(), type));
        MPI_Irecv(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, src, kFirstMessageTag + m, MPI_COMM_WORLD, req);
      }
    }
    // Early exits: sums for the heads this rank finishes, decisions (the output rank), the verdict.
    const int n_exits = exits() ? steps->exits() : 0;
    const int id_slots = message_count(), id_decisions = message_count() + static_cast<int>(slots.size());
    std::vector<std::vector<double>> slot_in(slots.size()), decision_in(static_cast<std::size_t>(n_exits)),
        decision_out(static_cast<std::size_t>(n_exits)), decisions(static_cast<std::size_t>(n_exits));
    std::vector<char> decided_here(static_cast<std::size_t>(n_exits), 0);
    int verdict_in = -1, verdict_out = -1, next_exit = 0;
    bool settled = !exits();  // output rank: answered; others: the verdict is here
    for (std::size_t sl = 0; sl < slots.size(); ++sl) {
      if (slots[sl].dst != rank || slots[sl].src == rank) continue;
      slot_in[sl].resize(static_cast<std::size_t>(steps->head(slots[sl].exit).channels));
      MPI_Irecv(slot_in[sl].data(), static_cast<int>(slot_in[sl].size()), MPI_DOUBLE, slots[sl].src, kFirstMessageTag + id_slots + static_cast<int>(sl),
                MPI_COMM_WORLD, add_request(SlotRecv, -1, static_cast<int>(sl)));
    }
    if (exits() && rank == opt.output_device) {
      for (int k = 0; k < n_exits; ++k) {
        const int from = exit_rank[static_cast<std::size_t>(k)];
        if (from == rank) continue;
        decision_in[static_cast<std::size_t>(k)].resize(static_cast<std::size_t>(2 + steps->head(k).classes));
        MPI_Irecv(decision_in[static_cast<std::size_t>(k)].data(), static_cast<int>(decision_in[static_cast<std::size_t>(k)].size()), MPI_DOUBLE, from,
                  kFirstMessageTag + id_decisions + k, MPI_COMM_WORLD, add_request(DecisionRecv, -1, k));
      }
    } else if (exits()) {
      MPI_Irecv(&verdict_in, 1, MPI_INT, opt.output_device, kVerdictTag, MPI_COMM_WORLD, add_request(VerdictRecv, -1, 0));
    }
    const double start = clock();
    int waits_seen = 0, events_seen = 0;
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      sh.rec = RepeatRecord{};
      if (rank == opt.input_device) sh.rec.image_ms = start;
      sh.have.assign(flow.messages.size(), 0);
      sh.outbox.clear();
      sh.worker_done = false;
      sh.worker_waiting = false;  // set by the worker when it has to wait for a message
      waits_seen = sh.waits_begun;
      sh.stop = false;
      sh.queued.assign(static_cast<std::size_t>(id_decisions), 0);
      sh.empty.assign(static_cast<std::size_t>(id_decisions), 0);
      sh.sums.assign(slots.size(), {});
      sh.slot_have.assign(slots.size(), 0);
      sh.final_scores.clear();
      sh.result_done = false;
      events_seen = sh.events;
      ++sh.started;
    }
    sh.cv_worker.notify_one();

    // The output rank: the head that answered, and the verdict for every other rank.
    auto answer = [&](int head, const std::vector<float>& scores) {
      const double t = clock();
      double conf = 0;
      int pred = 0;
      softmax_top(scores, conf, pred);
      {
        std::lock_guard<std::mutex> lock(sh.mu);
        sh.rec.result_ms = t;
        sh.rec.head = head;
        sh.rec.predicted = pred;
        sh.rec.confidence = conf;
        sh.rec.label = test_images.labels[static_cast<std::size_t>(r)];
        const ExitRun& want = expected[static_cast<std::size_t>(r)];
        sh.rec.max_rel_error = head == want.head ? max_relative_error(scores, want.scores) : INFINITY;
        if (head < n_exits) sh.stop = true;
      }
      sh.cv_worker.notify_one();
      verdict_out = head;
      for (int k = 0; k < static_cast<int>(flow.devices.size()); ++k)
        if (k != rank) MPI_Isend(&verdict_out, 1, MPI_INT, k, kVerdictTag, MPI_COMM_WORLD, add_request(VerdictSend, -1, k));
      settled = true;
    };
    // Heads this rank finishes, once all their sums are here; then (output rank) the answer.
    auto decide = [&]() {
      for (int k = 0; k < n_exits; ++k) {
        if (exit_rank[static_cast<std::size_t>(k)] != rank || decided_here[static_cast<std::size_t>(k)]) continue;
        std::vector<std::vector<double>> sums;
        bool ready = true, empty = false;
        {
          std::lock_guard<std::mutex> lock(sh.mu);
          for (std::size_t sl = 0; sl < slots.size(); ++sl) {
            if (slots[sl].exit != k) continue;
            ready = ready && sh.slot_have[sl];
            empty = empty || sh.empty[static_cast<std::size_t>(id_slots) + sl];
            sums.push_back(sh.sums[sl]);
          }
        }
        if (!ready) continue;
        decided_here[static_cast<std::size_t>(k)] = 1;
        std::vector<double>& d = decision_out[static_cast<std::size_t>(k)];
        d.assign(static_cast<std::size_t>(2 + steps->head(k).classes), 0.0);
        if (empty) {
          d[0] = -1;  // a part stopped before this cut: the input was answered earlier
        } else {
          const std::vector<float> scores = steps->scores(k, sums);
          double conf = 0;
          int pred = 0;
          softmax_top(scores, conf, pred);
          d[0] = conf >= steps->threshold(k) ? 1 : 0;
          d[1] = conf;
          for (std::size_t c = 0; c < scores.size(); ++c) d[2 + c] = scores[c];
        }
        if (rank == opt.output_device) {
          decisions[static_cast<std::size_t>(k)] = d;
        } else {
          MPI_Isend(d.data(), static_cast<int>(d.size()), MPI_DOUBLE, opt.output_device, kFirstMessageTag + id_decisions + k, MPI_COMM_WORLD,
                    add_request(DecisionSend, -1, k));
        }
      }
      if (rank != opt.output_device || settled) return;
      for (; next_exit < n_exits && !decisions[static_cast<std::size_t>(next_exit)].empty(); ++next_exit) {
        const std::vector<double>& d = decisions[static_cast<std::size_t>(next_exit)];
        if (d[0] == 1) {
          answer(next_exit, std::vector<float>(d.begin() + 2, d.end()));
          return;
        }
      }
      std::vector<float> final_scores;
      {
        std::lock_guard<std::mutex> lock(sh.mu);
        if (next_exit < n_exits || !sh.result_done) return;
        final_scores = sh.final_scores;
      }
      answer(n_exits, final_scores);
    };

    std::vector<int> indices;
    std::vector<MPI_Status> statuses;
    const bool stalling = opt.fault.kind == "stall" && opt.fault.device == record.device;  // a hung rank does not judge others
    for (;;) {
      std::vector<int> to_send;
      bool done = false;
      {
        std::unique_lock<std::mutex> lock(sh.mu);
        to_send.assign(sh.outbox.begin(), sh.outbox.end());
        sh.outbox.clear();
        done = sh.worker_done;
        events_seen = sh.events;
        if (!sh.worker_error.empty()) {
          const std::string why = sh.worker_error;
          lock.unlock();
          fail("computing failed: " + why);
        }
      }
      for (int m : to_send) {
        const bool empty = exits() && sh.empty[static_cast<std::size_t>(m)];  // written before it was queued
        if (m >= id_slots) {  // channel sums for an exit's rank
          const int sl = m - id_slots;
          const std::vector<double>& v = sh.sums[static_cast<std::size_t>(sl)];
          MPI_Isend(empty ? nullptr : v.data(), empty ? 0 : static_cast<int>(v.size()), MPI_DOUBLE, slots[static_cast<std::size_t>(sl)].dst,
                    kFirstMessageTag + m, MPI_COMM_WORLD, add_request(SlotSend, -1, sl));
          continue;
        }
        const RegionData& buf = payload[static_cast<std::size_t>(m)];
        const int dst = flow.device_of(flow.messages[static_cast<std::size_t>(m)].dst_task);
        MPI_Request* req = add_request(Flow, ~m, -1);
        const ElementType type = wire_type(m);
        if (empty) {
          MPI_Isend(nullptr, 0, MPI_BYTE, dst, kFirstMessageTag + m, MPI_COMM_WORLD, req);
        } else if (type == ElementType::F32) {
          MPI_Isend(buf.values.data(), static_cast<int>(buf.values.size()), MPI_FLOAT, dst, kFirstMessageTag + m, MPI_COMM_WORLD, req);
        } else {  // packing is part of sending, as on a device
          std::vector<unsigned char>& bytes = packed[static_cast<std::size_t>(m)];
          if (pixel_wire(m)) {
            bytes.resize(buf.values.size());
            for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = fashion_mnist_pixel(buf.values[i]);
          } else {
            pack_wire(buf.values, type, bytes);
          }
          MPI_Isend(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dst, kFirstMessageTag + m, MPI_COMM_WORLD, req);
        }
      }
      if (exits()) decide();
      bool active = false;
      for (const MPI_Request& q : requests) active = active || q != MPI_REQUEST_NULL;
      if (!active && done && settled) break;
      int count = 0;
      if (active) {
        indices.resize(requests.size());
        statuses.resize(requests.size());
        MPI_Testsome(static_cast<int>(requests.size()), requests.data(), &count, indices.data(), statuses.data());
        if (count == MPI_UNDEFINED) count = 0;
      }
      // Unpacking is part of receiving: done before the arrival is timed and handed over.
      std::vector<char> arrived_empty(static_cast<std::size_t>(count), 0);
      for (int i = 0; i < count; ++i) {
        const auto k = static_cast<std::size_t>(indices[static_cast<std::size_t>(i)]);
        const int m = request_message[k];
        if (request_kind[k] != Flow || m < 0) continue;
        int got = 0;
        MPI_Get_count(&statuses[static_cast<std::size_t>(i)], wire_type(m) == ElementType::F32 ? MPI_FLOAT : MPI_BYTE, &got);
        if (got == 0 && !payload[static_cast<std::size_t>(m)].values.empty()) {
          arrived_empty[static_cast<std::size_t>(i)] = 1;  // its sender stopped: the input was answered at an exit
        } else if (pixel_wire(m)) {
          const std::vector<unsigned char>& bytes = packed[static_cast<std::size_t>(m)];
          std::vector<float>& v = payload[static_cast<std::size_t>(m)].values;
          for (std::size_t j = 0; j < v.size(); ++j) v[j] = normalized_pixel(bytes[j]);
        } else if (wire_type(m) != ElementType::F32) {
          unpack_wire(packed[static_cast<std::size_t>(m)], wire_type(m), payload[static_cast<std::size_t>(m)].values);
        }
      }
      const double t = clock();
      if (count > 0) {
        std::lock_guard<std::mutex> lock(sh.mu);
        for (int i = 0; i < count; ++i) {
          const auto k = static_cast<std::size_t>(indices[static_cast<std::size_t>(i)]);
          const int m = request_message[k];
          switch (request_kind[k]) {
            case Flow:
              if (m >= 0) {
                sh.have[static_cast<std::size_t>(m)] = 1;
                if (arrived_empty[static_cast<std::size_t>(i)]) sh.empty[static_cast<std::size_t>(m)] = 1;
                else sh.rec.receives.push_back({m, request_start[k], t});
              } else if (!(exits() && sh.empty[static_cast<std::size_t>(~m)])) {
                sh.rec.sends.push_back({~m, request_start[k], t});
              }
              break;
            case SlotRecv: {
              const auto sl = static_cast<std::size_t>(request_id[k]);
              int got = 0;
              MPI_Get_count(&statuses[static_cast<std::size_t>(i)], MPI_DOUBLE, &got);
              if (got == 0) sh.empty[static_cast<std::size_t>(id_slots) + sl] = 1;
              else sh.sums[sl] = slot_in[sl];
              sh.slot_have[sl] = 1;
              break;
            }
            case DecisionRecv:
              decisions[static_cast<std::size_t>(request_id[k])] = decision_in[static_cast<std::size_t>(request_id[k])];
              break;
            case VerdictRecv:
              sh.rec.head = verdict_in;
              if (verdict_in < n_exits) sh.stop = true;
              settled = true;
              break;
            default:
              break;
          }
        }
        sh.cv_worker.notify_one();
        continue;
      }
      if (t - start > opt.stall_timeout_s * 1000 && !stalling) {
        for (std::size_t k = 0; k < requests.size(); ++k) {
          if (requests[k] == MPI_REQUEST_NULL || request_kind[k] != Flow || request_message[k] < 0) continue;
          const FlowMessage& msg = flow.messages[static_cast<std::size_t>(request_message[k])];
          fail(device_name(rank) + " waited " + std::to_string(static_cast<int>(opt.stall_timeout_s)) + " s for rows " +
               to_string(msg.region.rows) + " of tensor " + std::to_string(msg.tensor) + " for " + flow.describe(msg.dst_task) +
               " from " + device_name(flow.device_of(msg.src_task)) + " (" + flow.describe(msg.src_task) +
               "): the transfer stalled or that rank hung");
        }
        if (!done)
          fail(device_name(rank) + " did not finish its tasks within " + std::to_string(static_cast<int>(opt.stall_timeout_s)) + " s");
        if (!settled || active)
          fail(device_name(rank) + " waited " + std::to_string(static_cast<int>(opt.stall_timeout_s)) + " s for the early exits' sums, decisions or verdict");
      }
      // Poll often while the worker waits for data; while it computes, an arrival cannot
      // start anything sooner, but large messages need both ends' MPI to move (rendezvous),
      // so a slower poll goes on (each poll takes the shared core for a few microseconds).
      std::unique_lock<std::mutex> lock(sh.mu);
      const auto interval = !active ? std::chrono::microseconds(20000)
                                    : sh.worker_waiting || exits() ? std::chrono::microseconds(50) : std::chrono::microseconds(2000);
      sh.cv_main.wait_for(lock, interval, [&] {
        return !sh.outbox.empty() || sh.worker_done || sh.waits_begun != waits_seen || sh.events != events_seen;
      });
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
      if (exits()) runner->set_image(normalized_image(test_images, r));  // repeat r: test image r
      RepeatRecord rec = repeat(r);
      if (rank == opt.output_device && exits() && !(rec.max_rel_error <= kMaxRelError))
        fail("test image " + std::to_string(r) + " was answered at head " + std::to_string(rec.head) + " with max relative error " +
             std::to_string(rec.max_rel_error) + " against the one-process run, which answered at head " +
             std::to_string(expected[static_cast<std::size_t>(r)].head));
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
