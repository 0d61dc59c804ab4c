// From per-rank records to one report: align clocks at the image, pick out timed repeats,
// rebuild timelines and per-device usage as the simulator defines them.
#include "edgeplan/replay/replay_report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "edgeplan/compute/machine.h"
#include "edgeplan/compute/percentile.h"

namespace edgeplan {

using nlohmann::json;

namespace {

// One timed repeat on the simulator's terms: times relative to the image, devices = ranks.
SimResult repeat_result(const Dataflow& flow, const JobResult& job, std::size_t rep, const ElementSizes& wire) {
  const std::size_t n = job.ranks.size();
  SimResult r;
  r.devices.resize(n);
  double t0 = 0, end = 0;
  for (const RankRecord& k : job.ranks) {
    const RepeatRecord& x = k.repeats.at(rep);
    if (x.image_ms >= 0) t0 = x.image_ms;
    if (x.result_ms >= 0) end = x.result_ms;
  }
  r.latency_ms = end - t0;
  std::map<int, double> send_start;
  for (const RankRecord& k : job.ranks)
    for (const MessageTiming& s : k.repeats.at(rep).sends) send_start[s.message] = s.start_ms;
  for (std::size_t d = 0; d < n; ++d) {
    const RankRecord& k = job.ranks[d];
    DeviceUsage& u = r.devices[d];
    u.id = k.device;
    for (const TaskTiming& t : k.repeats.at(rep).tasks) {
      const FlowTask& task = flow.tasks.at(static_cast<std::size_t>(t.task));
      r.timeline.push_back({TimelineEvent::Kind::Compute, static_cast<int>(d), t.start_ms - t0, t.end_ms - t0, task.volume, -1, 0});
      u.compute_ms += t.end_ms - t.start_ms;
      u.finish_ms = std::max(u.finish_ms, t.end_ms - t0);
      u.parts++;
    }
    // A transfer lasts from the sender handing it over to the receiver having it all.
    for (const MessageTiming& m : k.repeats.at(rep).receives) {
      const FlowMessage& msg = flow.messages.at(static_cast<std::size_t>(m.message));
      const int src = flow.device_of(msg.src_task);
      const auto it = send_start.find(m.message);
      const double s = (it != send_start.end() ? it->second : m.start_ms) - t0, e = m.end_ms - t0;
      const std::int64_t bytes = msg.elements() * wire.of(msg.tensor);
      const int vol = flow.tasks.at(static_cast<std::size_t>(msg.dst_task)).volume;
      r.timeline.push_back({TimelineEvent::Kind::Send, src, s, e, vol, static_cast<int>(d), bytes});
      r.timeline.push_back({TimelineEvent::Kind::Receive, static_cast<int>(d), s, e, vol, src, bytes});
      r.devices[static_cast<std::size_t>(src)].send_ms += e - s;
      u.receive_ms += e - s;
      r.total_bytes += bytes;
      r.transfers++;
    }
  }
  for (std::size_t d = 0; d < n; ++d)
    r.devices[d].idle_ms = std::max(0.0, r.latency_ms - busy_ms(r.timeline, static_cast<int>(d), r.latency_ms));
  return r;
}

json device_json(const DeviceUsage& u) {
  return {{"id", u.id}, {"parts", u.parts}, {"compute_ms", u.compute_ms}, {"send_ms", u.send_ms},
          {"receive_ms", u.receive_ms}, {"idle_ms", u.idle_ms}};
}

json timeline_json(const SimResult& r) {
  json a = json::array();
  for (const TimelineEvent& e : r.timeline)
    a.push_back({{"kind", e.kind == TimelineEvent::Kind::Compute ? "compute" : e.kind == TimelineEvent::Kind::Send ? "send" : "receive"},
                 {"device", r.devices.at(static_cast<std::size_t>(e.device)).id}, {"start_ms", e.start_ms}, {"end_ms", e.end_ms},
                 {"volume", e.volume}, {"bytes", e.bytes}});
  return a;
}

}  // namespace

LatencyStats latency_stats(std::vector<double> s) {
  if (s.empty()) throw ReplayError("no timed repeats");
  return {percentile(s, 0.5), percentile(s, 0.1), percentile(s, 0.9), *std::min_element(s.begin(), s.end()),
          *std::max_element(s.begin(), s.end())};
}

ReplayReport build_replay_report(const Dataflow& flow, const JobResult& job, const SimResult& predicted,
                                 const std::vector<std::string>& scenario_devices, int warmup, const ElementSizes& wire) {
  ReplayReport rep;
  rep.wire = wire;
  for (const RankRecord& k : job.ranks) rep.wire_rel_error = std::max(rep.wire_rel_error, k.wire_rel_error);
  rep.devices = flow.devices;
  rep.ranks = job.ranks;
  rep.network = job.network;
  rep.warmup = warmup;
  if (job.ranks.size() != flow.devices.size()) throw ReplayError("the replay returned records of the wrong number of ranks");
  const std::size_t total = job.ranks.front().repeats.size();
  for (const RankRecord& k : job.ranks)
    if (k.repeats.size() != total) throw ReplayError("ranks recorded different numbers of repeats");
  if (total <= static_cast<std::size_t>(warmup)) throw ReplayError("no timed repeats were recorded");
  rep.repeat = static_cast<int>(total) - warmup;
  rep.threads = job.ranks.front().threads;

  // Predicted, projected onto the ranks.
  std::vector<int> rank_of(scenario_devices.size(), -1);
  for (std::size_t s = 0; s < scenario_devices.size(); ++s)
    for (std::size_t k = 0; k < flow.devices.size(); ++k)
      if (scenario_devices[s] == flow.devices[k]) rank_of[s] = static_cast<int>(k);
  rep.predicted = predicted;
  rep.predicted.devices.clear();
  rep.predicted.timeline.clear();
  for (const std::string& id : flow.devices)
    for (std::size_t s = 0; s < scenario_devices.size(); ++s)
      if (scenario_devices[s] == id) rep.predicted.devices.push_back(predicted.devices[s]);
  for (TimelineEvent e : predicted.timeline) {
    e.device = rank_of.at(static_cast<std::size_t>(e.device));
    if (e.peer >= 0) e.peer = rank_of.at(static_cast<std::size_t>(e.peer));
    if (e.device >= 0) rep.predicted.timeline.push_back(e);
  }

  // Measured: every timed repeat, the median one as the timeline, usage averaged.
  std::vector<SimResult>& runs = rep.measured_runs;
  for (std::size_t r = static_cast<std::size_t>(warmup); r < total; ++r) {
    runs.push_back(repeat_result(flow, job, r, wire));
    rep.measured_ms.push_back(runs.back().latency_ms);
  }
  for (const RankRecord& k : job.ranks)
    for (const RepeatRecord& x : k.repeats) rep.max_rel_error = std::max(rep.max_rel_error, x.max_rel_error);
  rep.measured = latency_stats(rep.measured_ms);
  std::size_t median = 0;
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (std::fabs(runs[i].latency_ms - rep.measured.median_ms) < std::fabs(runs[median].latency_ms - rep.measured.median_ms)) median = i;
  rep.measured_median = runs[median];
  for (std::size_t d = 0; d < flow.devices.size(); ++d) {
    DeviceUsage avg = runs.front().devices[d];
    avg.compute_ms = avg.send_ms = avg.receive_ms = avg.idle_ms = 0;
    for (const SimResult& r : runs) {
      avg.compute_ms += r.devices[d].compute_ms / static_cast<double>(runs.size());
      avg.send_ms += r.devices[d].send_ms / static_cast<double>(runs.size());
      avg.receive_ms += r.devices[d].receive_ms / static_cast<double>(runs.size());
      avg.idle_ms += r.devices[d].idle_ms / static_cast<double>(runs.size());
    }
    rep.measured_median.devices[d] = avg;
  }
  return rep;
}

void fit_message_cost(ReplayReport& r, const NetworkModel& net, const std::vector<int>& rank_device) {
  ReplayReport::MessageCost& mc = r.messages;
  mc = {};
  auto shares = [&](int a, int b, int c, int d) {  // do routes a->b and c->d hold a common resource?
    const Route& x = net.route(rank_device.at(static_cast<std::size_t>(a)), rank_device.at(static_cast<std::size_t>(b)));
    const Route& y = net.route(rank_device.at(static_cast<std::size_t>(c)), rank_device.at(static_cast<std::size_t>(d)));
    for (int i = 0; i < x.n_resources; ++i)
      for (int j = 0; j < y.n_resources; ++j)
        if (x.resources[static_cast<std::size_t>(i)] == y.resources[static_cast<std::size_t>(j)]) return true;
    return x.on_channel && y.on_channel;
  };
  std::vector<double> fixed, charged, all;
  for (const SimResult& run : r.measured_runs) {
    std::vector<const TimelineEvent*> transfers;  // one receive event per transfer
    for (const TimelineEvent& e : run.timeline)
      if (e.kind == TimelineEvent::Kind::Receive && e.peer >= 0) transfers.push_back(&e);
    for (const TimelineEvent* t : transfers) {
      ++mc.transfers;
      const int src = rank_device.at(static_cast<std::size_t>(t->peer)), dst = rank_device.at(static_cast<std::size_t>(t->device));
      const Route& route = net.route(src, dst);
      // The scenario's time for the bytes alone: its transfer time less its per-message overhead.
      const double bytes_ms = net.transfer_end(route, 0, static_cast<double>(t->bytes)) - net.overhead_ms();
      all.push_back(t->end_ms - t->start_ms - bytes_ms);
      bool alone = true;
      for (const TimelineEvent* o : transfers)
        if (o != t && o->start_ms < t->end_ms && t->start_ms < o->end_ms && shares(t->peer, t->device, o->peer, o->device)) {
          alone = false;
          break;
        }
      if (!alone) continue;
      fixed.push_back(all.back());
      charged.push_back(route.latency_ms + net.overhead_ms());
      ++mc.isolated;
    }
  }
  if (!all.empty()) mc.fixed_all = latency_stats(all);
  if (!fixed.empty()) {
    mc.fixed = latency_stats(fixed);
    double sum = 0;
    for (double f : fixed) sum += f;
    mc.fixed_mean_ms = sum / static_cast<double>(fixed.size());
    mc.charged_ms = latency_stats(charged).median_ms;
  }
}

std::string replay_report_json(const ReplayReport& r) {
  json pd = json::array(), md = json::array(), ranks = json::array();
  for (const DeviceUsage& u : r.predicted.devices) pd.push_back(device_json(u));
  for (const DeviceUsage& u : r.measured_median.devices) md.push_back(device_json(u));
  for (const RankRecord& k : r.ranks)
    ranks.push_back({{"rank", k.rank}, {"device", k.device}, {"host", k.host}, {"core", k.core}, {"threads", k.threads},
                     {"clock_offset_ms", k.clock_offset_ms}, {"clock_rtt_ms", k.clock_rtt_ms}});
  // A plan with early exits: per timed repeat (test image), the head that answered, the
  // prediction, the label and the tasks the ranks started (fewer when an exit stopped them).
  json exits = nullptr;
  for (const RankRecord& k : r.ranks) {
    if (k.repeats.empty() || k.repeats.front().predicted < 0) continue;
    exits = json::array();
    for (std::size_t x = static_cast<std::size_t>(r.warmup); x < k.repeats.size(); ++x) {
      std::size_t tasks = 0;
      for (const RankRecord& q : r.ranks) tasks += q.repeats.at(x).tasks.size();
      const RepeatRecord& rep = k.repeats[x];
      exits.push_back({{"image", x}, {"head", rep.head}, {"predicted", rep.predicted}, {"label", rep.label}, {"confidence", rep.confidence},
                       {"latency_ms", r.measured_ms.at(x - static_cast<std::size_t>(r.warmup))}, {"tasks_started", tasks}});
    }
  }
  const MachineInfo m = describe_machine();
  const json j = {
      {"exits", exits},
      {"format", "edgeplan.replay/v1"},
      {"scenario", r.scenario_path},
      {"plan", r.plan_path},
      {"model", r.model},
      {"network", {{"mode", r.network_mode}, {"scenario", r.scenario_network}, {"emulation", r.network}}},
      {"wire", {{"activations", to_string(r.wire.activations)}, {"input", to_string(r.wire.input)},
                {"reference_rel_error_vs_fp32", r.wire_rel_error >= 0 ? json(r.wire_rel_error) : json(nullptr)}}},
      {"repeats", r.repeat},
      {"warmup", r.warmup},
      {"predicted", {{"latency_ms", r.predicted.latency_ms}, {"devices", pd}, {"timeline", timeline_json(r.predicted)}}},
      {"measured",
       {{"latency_ms", {{"median", r.measured.median_ms}, {"p10", r.measured.p10_ms}, {"p90", r.measured.p90_ms},
                        {"min", r.measured.min_ms}, {"max", r.measured.max_ms}}},
        {"latencies_ms", r.measured_ms},
        {"devices", md},
        {"median_timeline", timeline_json(r.measured_median)},
        {"max_rel_error", r.max_rel_error}}},
      {"messages", r.messages.transfers == 0
                       ? json(nullptr)
                       : json{{"transfers", r.messages.transfers},
                              {"isolated", r.messages.isolated},
                              {"fixed_ms", r.messages.isolated == 0 ? json(nullptr)
                                                                    : json{{"mean", r.messages.fixed_mean_ms},
                                                                           {"median", r.messages.fixed.median_ms},
                                                                           {"p10", r.messages.fixed.p10_ms},
                                                                           {"p90", r.messages.fixed.p90_ms}}},
                              {"fixed_all_ms", {{"median", r.messages.fixed_all.median_ms},
                                                {"p10", r.messages.fixed_all.p10_ms},
                                                {"p90", r.messages.fixed_all.p90_ms}}},
                              {"charged_ms", r.messages.charged_ms},
                              {"definition", "per transfer alone on its route's resources: measured time (sender hands it over -> "
                                             "receiver has it all) - its bytes at the scenario's rate; fixed_all: the same over every transfer; "
                                             "charged: latency + overhead"}}},
      {"error", r.error()},
      {"error_definition", "(predicted - measured median) / measured median"},
      {"provenance",
       {{"machine", m.machine}, {"cpu", m.cpu}, {"libtorch", m.libtorch}, {"compiler", m.compiler}, {"blas", m.blas},
        {"mpi", r.ranks.empty() ? "" : r.ranks.front().mpi_library}, {"threads_per_rank", r.threads}, {"ranks", ranks}}}};
  return j.dump(2) + "\n";
}

}  // namespace edgeplan
