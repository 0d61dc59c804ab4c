// One input through a plan with early exits, task by task, stopping where an exit fires.
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

ExitRunner::ExitRunner(const Dataflow& flow, const Plan& plan, const TrainedHeads& heads, PartRunner& runner)
    : flow_(flow), tasks_(flow, runner), runner_(runner) {
  if (!plan.exits) throw PlanError("plan has no exits to run");
  for (const PlanExit& pe : plan.exits->exits) {
    Exit e;
    e.head = heads.find(pe.name);
    if (!e.head) throw PlanError("the heads file has no head '" + pe.name + "'");
    e.volume = -1;
    for (std::size_t v = 0; v < plan.volumes.size(); ++v)
      if (plan.volumes[v].layers.last == pe.after) e.volume = static_cast<int>(v);
    if (e.volume < 0) throw PlanError("exit '" + pe.name + "' is not at a volume boundary");
    e.tensor = pe.after - 1;
    for (std::size_t t = 0; t < flow.tasks.size(); ++t)
      if (flow.tasks[t].kind == FlowTask::Kind::Part && flow.tasks[t].volume == e.volume) e.tasks.push_back(static_cast<int>(t));
    const Region whole = [&] {
      Region r;
      for (int t : e.tasks) r = hull(r, flow.tasks[static_cast<std::size_t>(t)].owned.at(e.tensor));
      return r;
    }();
    e.cells = static_cast<long long>(whole.rows.size()) * whole.cols.size();
    exits_.push_back(e);
    thresholds_.push_back(pe.threshold);
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
  // Per exit: the pooled channel sums each part of its volume sends to the exit's device.
  std::vector<std::map<int, std::vector<double>>> sums(exits_.size());
  std::size_t next = 0;
  for (std::size_t task = 0; task + 1 < flow_.tasks.size(); ++task) {  // tasks are in dependency order
    const FlowTask& t = flow_.tasks[task];
    std::map<int, RegionData> owned;
    std::vector<RegionData> out = tasks_.run_task(static_cast<int>(task), all, &owned);
    if (t.kind == FlowTask::Kind::Part || t.kind == FlowTask::Kind::Tail) ++r.tasks_run;
    for (std::size_t i = 0; i < t.outputs.size(); ++i) {
      payload[static_cast<std::size_t>(t.outputs[i])] = std::move(out[i]);
      all[t.outputs[i]] = &payload[static_cast<std::size_t>(t.outputs[i])];
    }
    for (std::size_t e = next; e < exits_.size(); ++e)
      if (t.kind == FlowTask::Kind::Part && t.volume == exits_[e].volume) sums[e][static_cast<int>(task)] = channel_sums(owned.at(exits_[e].tensor));
    // Every part before the next exit is done: its device finishes the head.
    while (next < exits_.size() && sums[next].size() == exits_[next].tasks.size()) {
      const Exit& e = exits_[next];
      std::vector<std::vector<double>> ordered;
      for (int pt : e.tasks) ordered.push_back(sums[next].at(pt));
      std::vector<float> scores = head_scores(*e.head, ordered, e.cells);
      double conf = 0;
      int pred = 0;
      softmax_top(scores, conf, pred);
      r.confidences.push_back(conf);
      r.predictions.push_back(pred);
      if (conf >= thresholds[next]) {  // fires: no device runs another task for this input
        r.head = static_cast<int>(next);
        r.scores = std::move(scores);
        r.confidence = conf;
        r.predicted = pred;
        return r;
      }
      ++next;
    }
  }
  r.head = static_cast<int>(exits_.size());
  r.scores = tasks_.assemble_result(all).values;
  softmax_top(r.scores, r.confidence, r.predicted);
  r.confidences.push_back(r.confidence);
  r.predictions.push_back(r.predicted);
  return r;
}

}  // namespace edgeplan
