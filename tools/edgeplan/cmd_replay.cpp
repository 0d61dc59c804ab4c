// `edgeplan replay`: run a plan for real, one MPI process per device, and compare the
// measured latency with the simulator's; `edgeplan replay-rank` is what each process runs.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli_util.h"
#include "cmd_replay_cuda.h"
#include "commands.h"
#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/data/dataset.h"
#include "edgeplan/plan/dataflow.h"
#include "edgeplan/plan/plan_exits.h"
#include "edgeplan/replay/cpu_quota.h"
#include "edgeplan/replay/fidelity.h"
#include "edgeplan/replay/launcher.h"
#include "edgeplan/replay/network_emulation.h"
#include "edgeplan/replay/rank.h"
#include "edgeplan/replay/replay_report.h"
#include "edgeplan/runtime/wire_format.h"
#include "edgeplan/strategy/exit_policy.h"
#include "edgeplan/report/gantt_svg.h"

namespace edgeplan::cli {

namespace {

struct ReplayArgs {
  std::string scenario, plan, network = "emulate", output, svg, fault, backend = "mpi";
  int repeat = 0, warmup = -1, threads = 1;  // 0 / -1: the backend's default
  double stall_timeout_s = 0, timeout_s = 0;
  bool launch_command = false, no_pin = false, find = false;
  std::string precision;  // --backend cuda: fp32 (default) or fp16
};

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) throw Error("cannot read the working directory");
  return std::string(cwd) + "/" + path;
}

void print_report(const ReplayReport& r, const std::string& plan_path, bool exits) {
  std::printf("replay of %s (%s) on %zu ranks, %s\n", plan_path.c_str(), r.model.c_str(), r.devices.size(), r.network.c_str());
  const bool fp32 = r.wire.activations == ElementType::F32;
  std::printf("messages carry %s; %d timed repeats after %d warm-up(s), %d libtorch thread(s) per rank\n", r.wire.summary().c_str(),
              r.repeat, r.warmup, r.threads);
  std::printf("every repeat exact: max relative error %.2e (limit 1e-4) against %s\n", r.max_rel_error,
              exits  ? "the same plan with its exits run in one process (the head that answered and its scores)"
              : fp32 ? "the monolithic run"
                     : "the same plan run in one process with the same fp16 roundings");
  if (exits)
    std::printf("with early exits: the predicted latency below is the exit-free one, the measured one when each image was answered (per head: the end)\n");
  if (!fp32 && r.wire_rel_error >= 0)
    std::printf("fp16 on the wire costs accuracy: that reference differs from the fp32 monolithic run by %.2e (relative)\n", r.wire_rel_error);
  std::printf("end-to-end latency: predicted %.1f ms, measured median %.1f ms (p10 %.1f ms, p90 %.1f ms); error %+.1f%% of measured\n",
              r.predicted.latency_ms, r.measured.median_ms, r.measured.p10_ms, r.measured.p90_ms, 100 * r.error());
  std::printf("%-16s %21s %21s %21s %21s\n", "device", "compute ms pred/meas", "send ms pred/meas", "receive ms pred/meas",
              "idle ms pred/meas");
  for (std::size_t d = 0; d < r.devices.size(); ++d) {
    const DeviceUsage& p = r.predicted.devices[d];
    const DeviceUsage& m = r.measured_median.devices[d];
    std::printf("%-16s %10.1f/%-10.1f %10.1f/%-10.1f %10.1f/%-10.1f %10.1f/%-10.1f\n", p.id.c_str(), p.compute_ms, m.compute_ms,
                p.send_ms, m.send_ms, p.receive_ms, m.receive_ms, p.idle_ms, m.idle_ms);
  }
  const ReplayReport::MessageCost& mc = r.messages;
  if (mc.isolated > 0)
    std::printf("%sper message beyond its bytes (%d of %d transfers alone on their links): mean %.3f ms, median %.3f ms "
                "(p10 %.3f, p90 %.3f); the scenario charges %.3f ms (calibrate-network --from-replay adopts the mean); every "
                "transfer, queueing included: median %.3f ms, p90 %.3f ms\n",
                r.network_mode == "loopback" ? "over unshaped loopback, not the scenario's links: " : "", mc.isolated, mc.transfers,
                mc.fixed_mean_ms, mc.fixed.median_ms, mc.fixed.p10_ms, mc.fixed.p90_ms, mc.charged_ms,
                mc.fixed_all.median_ms, mc.fixed_all.p90_ms);
  else if (mc.transfers > 0)
    std::printf("per message: none of the %d transfers was alone on its links (no per-message cost measured)\n", mc.transfers);
}

// A replay of a plan with exits: which head answered each test image, the accuracy, and the
// measured latency per head against the simulated head times.
void print_exits(const Scenario& s, const Plan& plan, const ReplayReport& report) {
  const TrainedHeads heads = plan_heads(plan, s.graph);
  const std::vector<double> head_ms = head_times_ms(Simulator(s), plan, plan_exit_model(plan, s.graph, heads));
  const RankRecord* in = nullptr;
  const RankRecord* out = nullptr;
  for (const RankRecord& k : report.ranks) {
    for (const RepeatRecord& x : k.repeats) {
      if (x.image_ms >= 0) in = &k;
      if (x.predicted >= 0) out = &k;
    }
  }
  if (!in || !out) return;
  const std::size_t heads_n = head_ms.size();
  std::vector<std::vector<double>> measured(heads_n);
  int right = 0, n = 0;
  double expected = 0, mean = 0;
  for (std::size_t r = static_cast<std::size_t>(report.warmup); r < out->repeats.size(); ++r) {
    const RepeatRecord& x = out->repeats[r];
    const double ms = x.result_ms - in->repeats[r].image_ms;
    measured[static_cast<std::size_t>(x.head)].push_back(ms);
    right += x.predicted == x.label;
    expected += head_ms[static_cast<std::size_t>(x.head)];
    mean += ms;
    ++n;
  }
  std::printf("early exits: %d test images (images %d-%d), accuracy %.2f%%, every answer equal to the one-process run\n", n, report.warmup,
              report.warmup + n - 1, 100.0 * right / n);
  for (std::size_t h = 0; h < heads_n; ++h) {
    const std::string name = h + 1 < heads_n ? plan.exits->exits[h].name : "final";
    std::printf("  %-8s answered %5.1f%%", name.c_str(), 100.0 * measured[h].size() / n);
    if (!measured[h].empty()) {
      std::vector<double> v = measured[h];
      std::sort(v.begin(), v.end());
      std::printf("  measured median %.3f ms", v[v.size() / 2]);
    }
    std::printf("  simulated %.3f ms\n", head_ms[h]);
  }
  std::printf("  mean latency measured %.3f ms, simulated %.3f ms (the same images' heads)\n", mean / n, expected / n);
}

int cmd_replay(ReplayArgs a) {
  if (a.backend == "cuda") {
    if (!a.svg.empty() || a.launch_command || !a.fault.empty())
      throw Error("--svg, --launch-command and --inject-fault belong to the MPI replay, not --backend cuda");
    CudaReplayArgs c;
    c.plan = a.plan;
    c.output = a.output;
    if (a.repeat > 0) c.repeat = a.repeat;
    if (a.warmup >= 0) c.warmup = a.warmup;
    c.find = a.find;
    if (!a.precision.empty()) c.precision = a.precision;
    return replay_on_cuda(c);
  }
  if (a.backend != "mpi") throw Error("--backend must be mpi or cuda, not '" + a.backend + "'");
  if (a.find || !a.precision.empty()) throw Error("--cudnn-find and --precision need --backend cuda (the MPI replay takes the scenario's element types)");
  if (a.scenario.empty()) throw Error("the MPI replay needs --scenario (its devices, links and profiles)");
  if (a.repeat <= 0) a.repeat = 5;
  if (a.warmup < 0) a.warmup = 1;
  if (a.network != "emulate" && a.network != "loopback") throw Error("--network must be emulate or loopback, not '" + a.network + "'");
  const Scenario s = load_scenario_file(a.scenario);
  const Plan plan = load_plan_file(a.plan);
  check_plan_for(plan, s, a.plan);
  if (plan.exits) {
    // Repeat r runs Fashion-MNIST test image r, checked against the one-process exit runner (fp32).
    if (s.elements.activations != ElementType::F32)
      throw Error(a.scenario + ": a plan with exits replays with fp32 activations (its reference is the fp32 one-process run)");
    if (a.repeat + a.warmup > 10000) throw Error("--repeat plus --warmup exceeds the 10,000 test images");
    (void)load_fashion_mnist();  // missing or corrupt files: one line now, not from every rank
  }
  // The CPU executor computes in fp32 and sends what the scenario's deployment sends: fp32 or
  // fp16 activations, a float or 8-bit image. int8 would need quantization scales.
  if (!wire_supported(s.elements.activations) || s.elements.activations == ElementType::U8 || !wire_supported(s.elements.input))
    throw Error(a.scenario + ": replay sends fp32 or fp16 activations and a float or uint8 image; this scenario is " +
                s.elements.summary());
  // Ranks: the plan's devices plus where the image starts and the result ends, in scenario order.
  ReplayJob job;
  std::vector<int> scenario_index;
  for (int d = 0; d < static_cast<int>(s.devices.size()); ++d) {
    const std::string& id = s.devices[static_cast<std::size_t>(d)].id;
    const bool in_plan = std::find(plan.devices.begin(), plan.devices.end(), id) != plan.devices.end();
    if (!in_plan && d != s.input_device && d != s.output_device) continue;
    if (d == s.input_device) job.input_device = static_cast<int>(job.devices.size());
    if (d == s.output_device) job.output_device = static_cast<int>(job.devices.size());
    job.devices.push_back(id);
    scenario_index.push_back(d);
  }
  const SimResult predicted = Simulator(s).simulate(plan);
  if (!std::isfinite(predicted.latency_ms)) throw Error("the plan never finishes in this scenario: nothing to replay");
  job.self_exe = self_exe();
  job.plan_path = absolute(a.plan);
  job.repeat = a.repeat;
  job.warmup = a.warmup;
  job.threads = a.threads;
  job.wire = s.elements;
  job.pin = !a.no_pin;
  // A device profiled under a CPU quota (a slower device) replays under the same quota.
  for (int d : scenario_index) job.cpu_quota.push_back(s.devices[static_cast<std::size_t>(d)].profile.cpu_quota);
  job.fault = a.fault;
  if (!a.fault.empty()) (void)parse_fault(a.fault);
  // Generous bounds from the prediction: a stalled transfer or a hung job still ends.
  job.stall_timeout_s = a.stall_timeout_s > 0 ? a.stall_timeout_s : std::max(30.0, 10 * predicted.latency_ms / 1000);
  job.timeout_s = a.timeout_s > 0 ? a.timeout_s
                                  : 180 + (a.repeat + a.warmup) * std::max(1.0, 5 * predicted.latency_ms / 1000) + job.stall_timeout_s;
  job.emulate = a.network == "emulate";
  if (job.emulate) job.rates_mbps = emulated_rates(s, scenario_index, "--network emulate");
  if (a.launch_command) {
    std::cout << launch_command_for_hosts(job);
    return 0;
  }
  if (job.emulate) {
    std::string why;
    if (!NetworkEmulation::permitted(&why))
      throw Error("--network emulate: network namespaces are not permitted here (" + why +
                  "); --network loopback runs the same ranks unshaped");
  }
  for (std::size_t k = 0; k < job.cpu_quota.size(); ++k)
    if (job.cpu_quota[k] > 0 && job.cpu_quota[k] < 1) {
      std::string why;
      if (!CpuQuotaGroup::available(&why))
        throw Error("device '" + job.devices[k] + "' was profiled under a CPU quota of " + std::to_string(job.cpu_quota[k]) +
                    " cores, which needs cgroups here: " + why);
      break;
    }
  const Dataflow flow = compile_dataflow(s.graph, plan, job.devices, job.input_device, job.output_device);
  const JobResult result = run_replay_job(job);
  ReplayReport report = build_replay_report(flow, result, predicted, s.device_ids(), a.warmup, s.elements);
  report.scenario_path = a.scenario;
  report.plan_path = a.plan;
  report.model = s.graph.name() + " " + to_string(s.graph.input_shape());
  report.network_mode = a.network;
  report.scenario_network = s.network_summary;
  if (job.emulate && s.network.topology() == Topology::WifiStar)
    report.network += "; the Wi-Fi radios run full duplex here (tbf each way), the simulator models them half duplex";
  fit_message_cost(report, s.network, scenario_index);
  print_report(report, a.plan, plan.exits.has_value());
  if (plan.exits) print_exits(s, plan, report);
  if (!a.svg.empty())
    write_file_atomic(a.svg, gantt_compare_svg("replay of " + a.plan + " (" + report.model + ")", report.predicted, report.measured_median));
  if (!a.output.empty()) write_file_atomic(a.output, replay_report_json(report));
  return 0;
}

}  // namespace

Runner add_replay(CLI::App& app) {
  auto a = std::make_shared<ReplayArgs>();
  CLI::App* cmd = app.add_subcommand("replay", "Run a plan for real (one MPI process per device) and compare measured with predicted latency");
  cmd->add_option("--scenario", a->scenario, "Scenario file (edgeplan.scenario/v1); the MPI replay needs it");
  cmd->add_option("--plan", a->plan, "Plan file (edgeplan.plan/v1)")->required();
  cmd->add_option("--backend", a->backend,
                  "mpi: one process per device on this machine's cores (default); cuda: every part on GPU 0, devices as streams");
  cmd->add_option("--precision", a->precision, "With --backend cuda: fp32 (default; TF32 off) or fp16 (half storage, fp32 accumulation)");
  cmd->add_flag("--cudnn-find", a->find, "With --backend cuda: choose convolution algorithms by measuring them (cudnnFind), not by heuristics");
  cmd->add_option("--network", a->network, "emulate: namespaces + tbf at the scenario's rates (root); loopback: unshaped (default emulate)");
  cmd->add_option("--repeat", a->repeat, "Timed repeats (default 5; cuda 50)")->check(CLI::Range(1, 1000));
  cmd->add_option("--warmup", a->warmup, "Untimed repeats first (default 1; cuda 5)")->check(CLI::Range(0, 100));
  cmd->add_option("--threads", a->threads, "libtorch threads per rank (default 1, as profiles/measured/cpu-1thread.json)")->check(CLI::Range(1, 256));
  cmd->add_option("-o,--output", a->output, "Write the report (edgeplan.replay/v1 JSON)");
  cmd->add_option("--svg", a->svg, "Write a Gantt chart of the predicted and the measured (median) timeline");
  cmd->add_flag("--launch-command", a->launch_command, "Print the mpirun command and hostfile for running the ranks on real hosts, then exit");
  cmd->add_flag("--no-pin", a->no_pin, "Do not pin ranks to cores (by default each gets a core; ranks of slower devices share one within their quotas)");
  cmd->add_option("--stall-timeout", a->stall_timeout_s, "Seconds a rank waits for a message before failing the run (default max(30, 10 x predicted))")
      ->check(CLI::Range(0.1, 86400.0));
  cmd->add_option("--timeout", a->timeout_s, "Seconds the whole replay may take (default from the prediction)")->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--inject-fault", a->fault, "Tests: kill|stall:DEVICE:VOLUME (VOLUME 1-based; 0 = the device's first task)")->group("");
  return [a] { return cmd_replay(*a); };
}

Runner add_replay_summary(CLI::App& app) {
  auto reports = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("replay-summary", "Fidelity table of replay reports: predicted vs measured, error spread, ranking");
  cmd->add_option("reports", *reports, "Replay reports (edgeplan.replay/v1; replays of one scenario are ranked together)")->required();
  cmd->add_option("-o,--output", *output, "Also write the table (Markdown) to this file");
  return [=] {
    std::vector<FidelityRow> rows;
    for (const std::string& p : *reports) rows.push_back(read_fidelity_row(p));
    const std::string md = fidelity_markdown(summarize_fidelity(rows));
    std::cout << md;
    if (!output->empty()) write_file_atomic(*output, md);
    return 0;
  };
}

Runner add_replay_rank(CLI::App& app) {
  auto o = std::make_shared<RankOptions>();
  auto devices = std::make_shared<std::string>();
  auto input = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto fault = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("replay-rank", "One rank of a replay (started by mpirun; see `replay --launch-command`)");
  cmd->group("");  // internal: not listed in --help
  auto sizes = std::make_shared<std::string>();
  CLI::Option* plan = cmd->add_option("--plan", o->plan_path);
  cmd->add_option("--calibrate-bytes", *sizes)->excludes(plan);
  cmd->add_option("--calibrate-repeats", o->calibrate_repeats)->check(CLI::Range(1, 100));
  cmd->add_option("--devices", *devices)->required();
  cmd->add_option("--input-device", *input)->required();
  cmd->add_option("--output-device", *output)->required();
  cmd->add_option("--dir", o->dir)->required();
  cmd->add_option("--repeat", o->repeat)->check(CLI::Range(1, 1000));
  cmd->add_option("--warmup", o->warmup)->check(CLI::Range(0, 100));
  cmd->add_option("--threads", o->threads)->check(CLI::Range(1, 256));
  cmd->add_option("--stall-timeout", o->stall_timeout_s)->check(CLI::Range(0.1, 86400.0));
  cmd->add_option("--core", o->core)->check(CLI::Range(-1, 4095));
  cmd->add_option("--cpu-group", o->cpu_group);
  cmd->add_option("--inject-fault", *fault);
  auto activations = std::make_shared<std::string>("fp32"), encoding = std::make_shared<std::string>("fp32");
  cmd->add_option("--activations", *activations);
  cmd->add_option("--input-encoding", *encoding);
  return [=] {
    RankOptions opt = *o;
    opt.devices = split_commas(*devices);
    auto index = [&](const std::string& id) {
      const auto it = std::find(opt.devices.begin(), opt.devices.end(), id);
      if (it == opt.devices.end()) throw Error("device '" + id + "' is not in --devices");
      return static_cast<int>(it - opt.devices.begin());
    };
    opt.input_device = index(*input);
    opt.output_device = index(*output);
    opt.fault = parse_fault(*fault);
    for (auto [text, type] : {std::pair{activations.get(), &opt.wire.activations}, std::pair{encoding.get(), &opt.wire.input}}) {
      const std::optional<ElementType> t = parse_element_type(*text);
      if (!t || !wire_supported(*t)) throw Error("replay-rank: no wire format '" + *text + "'");
      *type = *t;
    }
    for (const std::string& b : split_commas(*sizes)) opt.calibrate_bytes.push_back(std::stoll(b));
    if (opt.plan_path.empty() && opt.calibrate_bytes.empty()) throw Error("replay-rank needs --plan or --calibrate-bytes");
    return run_replay_rank(opt);
  };
}

}  // namespace edgeplan::cli
