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

ExitRunner::ExitRunner(const Graph& graph, const Dataflow& flow, const Plan& plan, const TrainedHeads& heads, PartRunner& runner)
    : graph_(graph), flow_(flow), tasks_(flow, runner), runner_(runner) {
  if (!plan.exits) throw PlanError("plan has no exits to run");
  steps_.resize(plan.volumes.size());
  for (const PlanExit& pe : plan.exits->exits) {
    Exit e;
    e.head = heads.find(pe.name);
    if (!e.head) throw PlanError("the heads file has no head '" + pe.name + "'");
    e.after = pe.after;
    for (std::size_t v = 0; v < plan.volumes.size(); ++v) {
      const Volume& vol = plan.volumes[v];
      if (!(vol.layers.first < pe.after && pe.after <= vol.layers.last)) continue;
      e.shares = exit_shares(graph, vol, pe.after);
      if (pe.after < vol.layers.last) steps_[v].push_back(pe.after);
    }
    const Shape s = graph.tensor_shape(pe.after - 1);
    e.cells = static_cast<long long>(s.h) * s.w;
    exits_.push_back(e);
    thresholds_.push_back(pe.threshold);
  }
  for (std::size_t v = 0; v < plan.volumes.size(); ++v) steps_[v].push_back(plan.volumes[v].layers.last);
  for (std::size_t t = 0; t < flow.tasks.size(); ++t) {
    const FlowTask& task = flow.tasks[t];
    if (task.kind != FlowTask::Kind::Part || steps_[static_cast<std::size_t>(task.volume)].size() < 2) continue;
    const VolumeRegions vr = required_regions(graph, task.layers, task.owned);
    for (int end : steps_[static_cast<std::size_t>(task.volume)])
      if (end < task.layers.last) need_[static_cast<int>(t)][end] = vr.out(end - 1);
  }
}

int ExitRunner::part_and_tail_tasks() const {
  int n = 0;
  for (const FlowTask& t : flow_.tasks) n += t.kind == FlowTask::Kind::Part || t.kind == FlowTask::Kind::Tail;
  return n;
}

ExitRun ExitRunner::run(const std::vector<float>& image) const { return run(image, thresholds_); }

ExitRun ExitRunner::run(const std::vector<float>& image, const std::vector<double>& thresholds) const {
  if (thresholds.size() != exits_.size()) throw std::invalid_argument("one threshold per exit is needed");
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
  std::size_t next = 0;  // the next exit
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
    // Every part computes up to each step's end; after a step ending at an exit's cut, the exit
    // is decided before any part goes on.
    std::vector<std::map<int, RegionData>> have;
    for (int k : parts) have.push_back(tasks_.assemble(k, all));
    std::vector<std::map<int, RegionData>> produced(parts.size());
    int from = t.layers.first;
    for (int end : steps_[static_cast<std::size_t>(t.volume)]) {
      std::vector<std::vector<double>> sums;
      const bool exit_here = next < exits_.size() && exits_[next].after == end;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        const FlowTask& pt = flow_.tasks[static_cast<std::size_t>(parts[i])];
        const bool final_step = end == pt.layers.last;
        const std::map<int, Region> want = final_step ? pt.owned : std::map<int, Region>{{end - 1, need_.at(parts[i]).at(end)}};
        produced[i] = runner_.run_part(LayerRange{from, end}, want, have[i]);
        if (exit_here) {
          const Region& share = exits_[next].shares.at(static_cast<std::size_t>(pt.part));
          sums.push_back(share.empty() ? std::vector<double>(static_cast<std::size_t>(exits_[next].head->channels), 0.0)
                                       : channel_sums(crop(produced[i].at(end - 1), share)));
        }
        if (!final_step) have[i][end - 1] = produced[i].at(end - 1);
      }
      for (; next < exits_.size() && exits_[next].after == end; ++next) {
        std::vector<float> scores = head_scores(*exits_[next].head, sums, exits_[next].cells);
        double conf = 0;
        int pred = 0;
        softmax_top(scores, conf, pred);
        r.confidences.push_back(conf);
        r.predictions.push_back(pred);
        if (conf >= thresholds[next]) {  // fires: no device computes anything more for this input
          r.head = static_cast<int>(next);
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
  r.head = static_cast<int>(exits_.size());
  r.scores = tasks_.assemble_result(all).values;
  softmax_top(r.scores, r.confidence, r.predicted);
  r.confidences.push_back(r.confidence);
  r.predictions.push_back(r.predicted);
  return r;
}

}  // namespace edgeplan
