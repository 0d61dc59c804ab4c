// DistrEE's exit policy: thresholds for a QoS from measured outcomes and simulated head times.
#include "edgeplan/strategy/exit_policy.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include <nlohmann/json.hpp>

#include "edgeplan/jsonio/fields.h"
#include "edgeplan/strategy/planner.h"

namespace edgeplan {

namespace {

const double kGrid[] = {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 0.999, ExitPolicy::kNever};

}  // namespace

bool better_for(const PolicyOutcome& a, const PolicyOutcome& b, const ExitQoS& q) {
  if (q.deadline_ms > 0) return a.accuracy > b.accuracy + 1e-12 || (std::abs(a.accuracy - b.accuracy) <= 1e-12 && a.expected_ms < b.expected_ms);
  return a.expected_ms < b.expected_ms - 1e-12 || (std::abs(a.expected_ms - b.expected_ms) <= 1e-12 && a.accuracy > b.accuracy);
}

ExitOutcomes parse_exit_outcomes(const std::string& text, const std::string& split, const std::string& name) {
  using nlohmann::json;
  const std::string w = name + ": ";
  json j;
  try {
    j = jsonio::parse_text<Error>(text);
  } catch (const Error& e) {
    throw Error(w + e.what());
  }
  try {
    if (!j.is_object() || j.value("format", "") != "edgeplan.exit-calibration/v1")
      throw Error(w + "not an edgeplan.exit-calibration/v1 file (train-exits writes calibration.json)");
    if (!j.contains(split) || !j[split].is_object()) throw Error(w + "no \"" + split + "\" block");
    const json& b = j[split];
    ExitOutcomes o;
    o.labels = b.at("labels").get<std::vector<int>>();
    for (int l : o.labels)
      if (l < 0 || l > 9999) throw Error(w + split + ".labels: a label out of range");
    for (const json& h : b.at("heads")) {
      o.heads.push_back(h.at("head").get<std::string>());
      o.after.push_back(h.at("after").get<int>());
      o.confidence.push_back(h.at("confidence").get<std::vector<float>>());
      o.predicted.push_back(h.at("predicted").get<std::vector<int>>());
      if (o.confidence.back().size() != o.labels.size() || o.predicted.back().size() != o.labels.size())
        throw Error(w + split + ": head '" + o.heads.back() + "' does not have one value per image");
      for (float c : o.confidence.back())
        if (!(c >= 0 && c <= 1)) throw Error(w + split + ": head '" + o.heads.back() + "' has a confidence outside [0, 1]");
      if (o.after.size() > 1 && !(o.after.back() > o.after[o.after.size() - 2]))
        throw Error(w + split + ": heads must come in layer order");
    }
    if (o.heads.empty() || o.labels.empty()) throw Error(w + split + ": no heads or no images");
    if (o.heads.size() > 8) throw Error(w + split + ": more than 8 heads");
    return o;
  } catch (const json::exception&) {
    throw Error(w + split + ": malformed (labels and heads with after, confidence, predicted expected)");
  }
}

ExitOutcomes load_exit_outcomes(const std::string& path, const std::string& split) {
  return parse_exit_outcomes(jsonio::read_file<Error>(path, "calibration"), split, path);
}

PolicyOutcome evaluate_exit_policy(const ExitOutcomes& o, const ExitPolicy& p, const std::vector<double>& head_ms,
                                   const std::vector<double>& head_macs, double deadline_ms, double slowdown, bool runtime_rule) {
  const int heads = static_cast<int>(o.heads.size());
  PolicyOutcome r;
  r.exit_share.assign(static_cast<std::size_t>(heads), 0.0);
  std::vector<double> ms;
  double macs = 0;
  int right = 0, hit = 0;
  for (int i = 0; i < o.images(); ++i) {
    int h = 0;
    for (;; ++h) {
      if (h >= p.last_head) break;
      if (o.confidence[static_cast<std::size_t>(h)][static_cast<std::size_t>(i)] >= p.thresholds[static_cast<std::size_t>(h)]) break;
      // The run-time rule: answer now if this head is in time and the next would not be.
      if (runtime_rule && deadline_ms > 0 && head_ms[static_cast<std::size_t>(h)] * slowdown <= deadline_ms &&
          head_ms[static_cast<std::size_t>(h + 1)] * slowdown > deadline_ms)
        break;
    }
    const auto hh = static_cast<std::size_t>(h);
    const double t = head_ms[hh] * slowdown;
    ms.push_back(t);
    macs += head_macs[hh];
    right += o.predicted[hh][static_cast<std::size_t>(i)] == o.labels[static_cast<std::size_t>(i)];
    hit += deadline_ms <= 0 || t <= deadline_ms * (1 + 1e-12);
    r.exit_share[hh] += 1.0 / o.images();
  }
  const double n = o.images();
  r.accuracy = right / n;
  r.expected_ms = std::accumulate(ms.begin(), ms.end(), 0.0) / n;
  std::sort(ms.begin(), ms.end());
  r.p95_ms = ms[static_cast<std::size_t>(std::min<double>(n - 1, std::ceil(0.95 * n) - 1))];
  r.deadline_hit_rate = hit / n;
  r.computation_saved = 1 - macs / n / head_macs.back();
  return r;
}

ExitPolicy choose_exit_policy(const ExitOutcomes& o, const std::vector<double>& head_ms, const std::vector<double>& head_macs, const ExitQoS& q) {
  const int heads = static_cast<int>(o.heads.size());
  if (static_cast<int>(head_ms.size()) != heads || static_cast<int>(head_macs.size()) != heads)
    throw Error("exit policy: " + std::to_string(heads) + " heads in the calibration, " + std::to_string(head_ms.size()) + " head times");
  if ((q.deadline_ms > 0) == (q.min_accuracy > 0)) throw Error("exit policy: give either a deadline (ms) or a minimum accuracy");
  if (q.min_accuracy > 1) throw Error("exit policy: a minimum accuracy is a share in (0, 1]");
  ExitPolicy best;
  PolicyOutcome best_out;
  bool found = false;
  double best_reachable = 0;
  for (int last = 0; last < heads; ++last) {
    if (q.deadline_ms > 0 && head_ms[static_cast<std::size_t>(last)] > q.deadline_ms) continue;  // cannot answer every image in time
    ExitPolicy p = ExitPolicy::forced_at(last, heads);
    // Every combination of the grid for the heads before `last` (odometer).
    std::vector<int> digit(static_cast<std::size_t>(last), 0);
    const int g = static_cast<int>(std::size(kGrid));
    for (bool more = true; more;) {
      for (int h = 0; h < last; ++h) p.thresholds[static_cast<std::size_t>(h)] = kGrid[digit[static_cast<std::size_t>(h)]];
      const PolicyOutcome out = evaluate_exit_policy(o, p, head_ms, head_macs, q.deadline_ms);
      best_reachable = std::max(best_reachable, out.accuracy);
      const bool ok = q.min_accuracy <= 0 || out.accuracy >= q.min_accuracy - 1e-12;
      if (ok && (!found || better_for(out, best_out, q))) best = p, best_out = out, found = true;
      more = false;
      for (int h = 0; h < last && !more; ++h) {
        if (++digit[static_cast<std::size_t>(h)] < g) more = true;
        else digit[static_cast<std::size_t>(h)] = 0;
      }
    }
  }
  char buf[200];
  if (!found && q.deadline_ms > 0) {
    std::snprintf(buf, sizeof buf, "exit policy: no head answers by %.3f ms under this plan (the first exit answers at %.3f ms)", q.deadline_ms, head_ms.front());
    throw Error(buf);
  }
  if (!found) {
    std::snprintf(buf, sizeof buf, "exit policy: no policy reaches accuracy %.4f on the calibration images (the best reaches %.4f)", q.min_accuracy, best_reachable);
    throw Error(buf);
  }
  return best;
}

namespace {

// One simulation of `plan`: when exit k answers if device d evaluates it (at[k][d]), and the
// plan's latency. Each part computes its layers in order: its share of the volume's layers up
// to the exit's cut, by their costs on that device, marks when the cut's rows are done there;
// then its pooled channel sums travel to the exit's device (idle-rate transfer), which sends
// the scores to the output device.
struct HeadTiming {
  std::vector<std::vector<double>> at;
  double latency_ms = 0;
};

HeadTiming head_timing(const Simulator& sim, const Plan& plan, const ExitModel& model) {
  const SimResult r = sim.simulate(plan);
  const PlanningContext ctx = PlanningContext::of(sim);
  const int devices = static_cast<int>(ctx.device_ids.size());
  HeadTiming h;
  h.latency_ms = r.latency_ms;
  for (const ExitHead& e : model.exits) {
    int v = -1;
    for (std::size_t i = 0; i < plan.volumes.size(); ++i)
      if (plan.volumes[i].holds_cut(e.after)) v = static_cast<int>(i);
    if (v < 0) throw Error("exit '" + e.name + "' reads layer " + std::to_string(e.after - 1) + ", outside the plan's volumes");
    const LayerRange range = plan.volumes[static_cast<std::size_t>(v)].layers;
    const double sums = 4.0 * model.graph.layer(e.after - 1).out.c, scores = 4.0 * e.classes;
    std::vector<double> done(static_cast<std::size_t>(devices), 0.0);
    for (const TimelineEvent& ev : r.timeline) {
      if (ev.kind != TimelineEvent::Kind::Compute || ev.volume != v) continue;
      double before = 0, all = 0;
      for (int l = range.first; l < range.last; ++l) {
        const double c = ctx.cost.layer_ms(ev.device, l, ctx.graph.layer(l).out.h);
        all += c;
        if (l < e.after) before += c;
      }
      const double t = ev.start_ms + (ev.end_ms - ev.start_ms) * (all > 0 ? before / all : 1.0);
      for (int d = 0; d < devices; ++d)
        done[static_cast<std::size_t>(d)] =
            std::max(done[static_cast<std::size_t>(d)], t + (ev.device == d ? 0.0 : ctx.network.min_transfer_ms(ev.device, d, sums)));
    }
    for (int d = 0; d < devices; ++d)
      done[static_cast<std::size_t>(d)] += d == ctx.output_device ? 0.0 : ctx.network.min_transfer_ms(d, ctx.output_device, scores);
    h.at.push_back(std::move(done));
  }
  return h;
}

}  // namespace

std::vector<double> head_times_ms(const Simulator& sim, const Plan& plan, const ExitModel& model, const std::vector<int>& devices) {
  const HeadTiming h = head_timing(sim, plan, model);
  const PlanningContext ctx = PlanningContext::of(sim);
  std::vector<double> out;
  for (std::size_t k = 0; k < model.exits.size(); ++k) {
    int at = k < devices.size() ? devices[k] : -1;
    if (at < 0) at = exit_device_in_plan(ctx, plan, model.exits[k]);
    out.push_back(h.at[k].at(static_cast<std::size_t>(at)));
  }
  out.push_back(h.latency_ms);
  return out;
}

int exit_device_in_plan(const PlanningContext& ctx, const Plan& plan, const ExitHead& e) {
  if (plan.exits)
    for (const PlanExit& pe : plan.exits->exits)
      if (pe.after == e.after) {
        for (std::size_t d = 0; d < ctx.device_ids.size(); ++d)
          if (ctx.device_ids[d] == pe.device) return static_cast<int>(d);
        throw Error("exit '" + pe.name + "' is evaluated on '" + pe.device + "', which is not a device of the scenario");
      }
  return ctx.output_device;
}

std::vector<double> fastest_head_times_ms(const Simulator& sim, const Plan& plan, const ExitModel& model, std::vector<int>* devices) {
  const HeadTiming h = head_timing(sim, plan, model);
  std::vector<double> out;
  if (devices) devices->clear();
  for (const std::vector<double>& at : h.at) {
    const auto best = std::min_element(at.begin(), at.end());  // the first device on a tie
    out.push_back(*best);
    if (devices) devices->push_back(static_cast<int>(best - at.begin()));
  }
  out.push_back(h.latency_ms);
  return out;
}

std::vector<int> fastest_exit_devices(const Simulator& sim, const Plan& plan, const ExitModel& model) {
  std::vector<int> devices;
  fastest_head_times_ms(sim, plan, model, &devices);
  return devices;
}

std::vector<double> head_macs(const ExitModel& m) {
  std::vector<double> out;
  for (const ExitHead& e : m.exits) {
    double macs = static_cast<double>(e.classes) * m.graph.layer(e.after - 1).out.c;
    for (int l = 0; l < e.after; ++l) macs += static_cast<double>(m.graph.macs(l));
    out.push_back(macs);
  }
  out.push_back(static_cast<double>(m.graph.total_macs()));
  return out;
}

}  // namespace edgeplan
