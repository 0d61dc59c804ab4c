// One input through a plan with early exits, step by step, stopping where an exit fires.
#include "edgeplan/runtime/exit_runner.h"

#include <cmath>
#include <stdexcept>

namespace edgeplan {

void softmax_top(const std::vector<float>& scores, double& confidence, int& predicted) {
  predicted = 0;
  for (std::size_t k = 1; k < scores.size(); ++k)
    if (scores[k] > scores[static_cast<std::size_t>(predicted)]) predicted = static_cast<int>(k);
  const double top = scores.empty() ? 0.0 : scores[static_cast<std::size_t>(predicted)];
  double z = 0;
  for (float s : scores) z += std::exp(static_cast<double>(s) - top);
  confidence = z > 0 ? 1.0 / z : 0.0;
}

std::vector<double> channel_sums(const RegionData& d) {
  const std::size_t cells = static_cast<std::size_t>(d.region.rows.size()) * static_cast<std::size_t>(d.region.cols.size());
  std::vector<double> sums(static_cast<std::size_t>(d.channels), 0.0);
  for (std::size_t c = 0; c < sums.size(); ++c)
    for (std::size_t i = 0; i < cells; ++i) sums[c] += d.values[c * cells + i];
  return sums;
}

std::vector<float> head_scores(const TrainedHead& head, const std::vector<std::vector<double>>& part_sums, long long map_cells) {
  std::vector<double> mean(static_cast<std::size_t>(head.channels), 0.0);
  for (const std::vector<double>& s : part_sums) {
    if (s.size() != mean.size()) throw std::logic_error("head '" + head.name + "' got channel sums of the wrong size");
    for (std::size_t c = 0; c < mean.size(); ++c) mean[c] += s[c];
  }
  for (double& m : mean) m /= static_cast<double>(map_cells);
  std::vector<float> out(static_cast<std::size_t>(head.classes));
  for (std::size_t k = 0; k < out.size(); ++k) {
    double v = head.bias[k];
    for (std::size_t c = 0; c < mean.size(); ++c) v += static_cast<double>(head.weight[k * mean.size() + c]) * mean[c];
    out[k] = static_cast<float>(v);
  }
  return out;
}

ExitSteps::ExitSteps(const Graph& graph, const Dataflow& flow, const Plan& plan, const TrainedHeads& heads) : flow_(flow) {
  if (!plan.exits) throw PlanError("plan has no exits to run");
  ends_.resize(plan.volumes.size());
  for (const PlanExit& pe : plan.exits->exits) {
    Exit e;
    e.head = heads.find(pe.name);
    if (!e.head) throw PlanError("the heads file has no head '" + pe.name + "'");
    e.after = pe.after;
    e.threshold = pe.threshold;
    e.volume = -1;
    for (std::size_t v = 0; v < plan.volumes.size(); ++v) {
      const Volume& vol = plan.volumes[v];
      if (!vol.holds_cut(pe.after)) continue;
      e.volume = static_cast<int>(v);
      e.shares = exit_shares(graph, vol, pe.after);
      if (pe.after < vol.layers.last) ends_[v].push_back(pe.after);
    }
    if (e.volume < 0) throw PlanError("exit '" + pe.name + "' reads a cut outside the plan's volumes");
    for (std::size_t t = 0; t < flow.tasks.size(); ++t)
      if (flow.tasks[t].kind == FlowTask::Kind::Part && flow.tasks[t].volume == e.volume) e.tasks.push_back(static_cast<int>(t));
    const Shape s = graph.tensor_shape(pe.after - 1);
    e.cells = static_cast<long long>(s.h) * s.w;
    exits_.push_back(e);
  }
  for (std::size_t v = 0; v < plan.volumes.size(); ++v) ends_[v].push_back(plan.volumes[v].layers.last);
  for (std::size_t t = 0; t < flow.tasks.size(); ++t) {
    const FlowTask& task = flow.tasks[t];
    if (task.kind != FlowTask::Kind::Part || ends_[static_cast<std::size_t>(task.volume)].size() < 2) continue;
    const VolumeRegions vr = required_regions(graph, task.layers, task.owned);
    for (int end : ends_[static_cast<std::size_t>(task.volume)])
      if (end < task.layers.last) need_[static_cast<int>(t)][end] = vr.out(end - 1);
  }
}

int ExitSteps::exit_at(int end) const {
  for (std::size_t k = 0; k < exits_.size(); ++k)
    if (exits_[k].after == end) return static_cast<int>(k);
  return -1;
}

std::map<int, RegionData> ExitSteps::step(PartRunner& runner, int task, int from, int end, std::map<int, RegionData>& have) const {
  const FlowTask& t = flow_.tasks.at(static_cast<std::size_t>(task));
  const bool last = end == t.layers.last;
  const std::map<int, Region> want = last ? t.owned : std::map<int, Region>{{end - 1, need_.at(task).at(end)}};
  std::map<int, RegionData> produced = runner.run_part(LayerRange{from, end}, want, have);
  if (!last) have[end - 1] = produced.at(end - 1);
  return produced;
}

std::vector<double> ExitSteps::sums(int k, int task, const std::map<int, RegionData>& produced) const {
  const Exit& e = exits_.at(static_cast<std::size_t>(k));
  const Region& share = e.shares.at(static_cast<std::size_t>(flow_.tasks.at(static_cast<std::size_t>(task)).part));
  if (share.empty()) return std::vector<double>(static_cast<std::size_t>(e.head->channels), 0.0);
  return channel_sums(crop(produced.at(e.after - 1), share));
}

std::vector<float> ExitSteps::scores(int k, const std::vector<std::vector<double>>& sums) const {
  const Exit& e = exits_.at(static_cast<std::size_t>(k));
  return head_scores(*e.head, sums, e.cells);
}

ExitRunner::ExitRunner(const Graph& graph, const Dataflow& flow, const Plan& plan, const TrainedHeads& heads, PartRunner& runner)
    : flow_(flow), tasks_(flow, runner), runner_(runner), steps_(graph, flow, plan, heads) {}

int ExitRunner::part_and_tail_tasks() const {
  int n = 0;
  for (const FlowTask& t : flow_.tasks) n += t.kind == FlowTask::Kind::Part || t.kind == FlowTask::Kind::Tail;
  return n;
}

ExitRun ExitRunner::run(const std::vector<float>& image) const {
  std::vector<double> t;
  for (int k = 0; k < steps_.exits(); ++k) t.push_back(steps_.threshold(k));
  return run(image, t);
}

ExitRun ExitRunner::run(const std::vector<float>& image, const std::vector<double>& thresholds) const {
  if (static_cast<int>(thresholds.size()) != steps_.exits()) throw std::invalid_argument("one threshold per exit is needed");
  runner_.set_image(image);
  ExitRun r;
  std::vector<RegionData> payload(flow_.messages.size());
  std::map<int, const RegionData*> all;
  auto deliver = [&](int task, std::vector<RegionData> out) {
    const std::vector<int>& ids = flow_.tasks[static_cast<std::size_t>(task)].outputs;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      payload[static_cast<std::size_t>(ids[i])] = std::move(out[i]);
      all[ids[i]] = &payload[static_cast<std::size_t>(ids[i])];
    }
  };
  const int last_task = static_cast<int>(flow_.tasks.size()) - 1;
  for (int task = 0; task < last_task;) {  // tasks are in dependency order, a volume's parts together
    const FlowTask& t = flow_.tasks[static_cast<std::size_t>(task)];
    if (t.kind != FlowTask::Kind::Part) {
      r.tasks_run += t.kind == FlowTask::Kind::Tail;
      deliver(task, tasks_.run_task(task, all));
      ++task;
      continue;
    }
    std::vector<int> parts;
    for (int k = task; k < last_task && flow_.tasks[static_cast<std::size_t>(k)].kind == FlowTask::Kind::Part &&
                       flow_.tasks[static_cast<std::size_t>(k)].volume == t.volume;
         ++k)
      parts.push_back(k);
    r.tasks_run += static_cast<int>(parts.size());
    // Every part computes up to each step's end; after a step ending at an exit's cut, the
    // exit is decided before any part goes on (the devices in lockstep).
    std::vector<std::map<int, RegionData>> have;
    for (int k : parts) have.push_back(tasks_.assemble(k, all));
    std::vector<std::map<int, RegionData>> produced(parts.size());
    int from = t.layers.first;
    for (int end : steps_.step_ends(t.volume)) {
      const int k = steps_.exit_at(end);
      std::vector<std::vector<double>> sums;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        produced[i] = steps_.step(runner_, parts[i], from, end, have[i]);
        if (k >= 0) sums.push_back(steps_.sums(k, parts[i], produced[i]));
      }
      if (k >= 0) {
        std::vector<float> scores = steps_.scores(k, sums);
        double conf = 0;
        int pred = 0;
        softmax_top(scores, conf, pred);
        r.confidences.push_back(conf);
        r.predictions.push_back(pred);
        if (conf >= thresholds[static_cast<std::size_t>(k)]) {  // fires: no device computes anything more for this input
          r.head = k;
          r.scores = std::move(scores);
          r.confidence = conf;
          r.predicted = pred;
          return r;
        }
      }
      from = end;
    }
    for (std::size_t i = 0; i < parts.size(); ++i) deliver(parts[i], tasks_.messages_out(parts[i], produced[i]));
    task = parts.back() + 1;
  }
  r.head = steps_.exits();
  r.scores = tasks_.assemble_result(all).values;
  softmax_top(r.scores, r.confidence, r.predicted);
  r.confidences.push_back(r.confidence);
  r.predictions.push_back(r.predicted);
  return r;
}

}  // namespace edgeplan
