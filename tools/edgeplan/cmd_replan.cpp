// `edgeplan replan`: D3's re-adjustment of a plan after events or along a traced scenario,
// against full re-plans and against keeping the plan.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/jsonio/fields.h"
#include "edgeplan/planners/registry.h"
#include "edgeplan/planners/replan.h"
#include "edgeplan/report/svg_chart.h"

namespace edgeplan::cli {

namespace {

struct Args {
  std::string scenario, plan, output, json, svg, full = "d3,opt";
  std::vector<std::string> events;
  bool trace = false;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string ms_text(double v) {
  if (!std::isfinite(v)) return "gone";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string split_text(const ReplanStep& s) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "cuts %d/%d, tiles %dx%d", s.split.c1, s.split.c2, s.split.grid_rows, s.split.grid_cols);
  return buf;
}

std::string replan_provenance(std::vector<std::string> full) {
  full.insert(full.begin(), "d3");
  return planning_provenance(full);
}

double mb(const std::vector<std::int64_t>& b) { return b.empty() ? 0.0 : static_cast<double>(b.back()) / 1e6; }

int run_events(const Args& a, const std::string& text, const std::string& base, const Plan& plan, const std::vector<std::string>& full) {
  std::vector<ScenarioEvent> events;
  for (const std::string& e : a.events) events.push_back(parse_event(e));
  const ReplanStep st = replan_after_events(text, base, plan, events, full);
  std::printf("after %s\n", st.change.c_str());
  std::printf("  keeping the plan:    %10s ms\n", ms_text(st.kept_ms).c_str());
  std::printf("  re-adjusted (d3):    %10s ms  in %8.3f ms (%d simulations; %s%s), last backbone %.3f MB per inference\n",
              ms_text(st.readjusted_ms).c_str(), st.readjust_ms, st.evaluations, split_text(st).c_str(),
              st.unchanged ? ", the plan kept" : "", mb(st.backbone_bytes));
  for (const FullReplan& f : st.full)
    std::printf("  full re-plan %-7s %10s ms  in %8.3f ms (%.1fx the re-adjustment's time)\n", (f.planner + ":").c_str(),
                ms_text(f.latency_ms).c_str(), f.planning_ms, st.readjust_ms > 0 ? f.planning_ms / st.readjust_ms : 0.0);
  if (!a.output.empty()) {
    save_plan_file(st.plan, a.output);
    std::printf("wrote the re-adjusted plan to %s\n", a.output.c_str());
  }
  if (!a.json.empty()) write_file_atomic(a.json, replan_steps_json(parse_scenario(apply_events(text, events), base).name, {st}, replan_provenance(full)));
  return 0;
}

int run_trace(const Args& a, const std::string& text, const std::string& base, const Plan& plan, const std::vector<std::string>& full,
              const std::string& name) {
  const std::vector<ReplanStep> steps = replan_over_trace(text, base, plan, full);
  std::printf("%8s  %-34s %9s %12s %11s", "t s", "change", "kept ms", "re-adjusted", "adjust ms");
  for (const std::string& f : full) std::printf(" %11s %10s", (f + " ms").c_str(), "plan ms");
  std::printf(" %12s\n", "backbone MB");
  double adjust_total = 0;
  std::vector<double> full_total(full.size(), 0.0);
  for (const ReplanStep& s : steps) {
    std::printf("%8.1f  %-34.34s %9s %12s %11.3f", s.t_ms / 1000, s.change.c_str(), ms_text(s.kept_ms).c_str(),
                ms_text(s.readjusted_ms).c_str(), s.readjust_ms);
    for (std::size_t i = 0; i < s.full.size(); ++i) {
      std::printf(" %11s %10.3f", ms_text(s.full[i].latency_ms).c_str(), s.full[i].planning_ms);
      if (&s != &steps.front()) full_total[i] += s.full[i].planning_ms;
    }
    std::printf(" %12.3f\n", mb(s.backbone_bytes));
    if (&s != &steps.front()) adjust_total += s.readjust_ms;
  }
  const double n = static_cast<double>(steps.size() - 1);
  std::printf("re-adjusting took %.3f ms per change on average", adjust_total / n);
  for (std::size_t i = 0; i < full.size(); ++i)
    std::printf("; a full %s re-plan %.3f ms (%.1fx)", full[i].c_str(), full_total[i] / n, adjust_total > 0 ? full_total[i] / adjust_total : 0.0);
  std::printf("\n");
  if (!a.json.empty()) write_file_atomic(a.json, replan_steps_json(name, steps, replan_provenance(full)));
  if (!a.svg.empty()) {
    // A step chart: each state holds until the next change.
    std::vector<ChartSeries> series(2 + full.size());
    series[0].label = "plan kept";
    series[1].label = "re-adjusted (d3)";
    for (std::size_t i = 0; i < full.size(); ++i) series[2 + i].label = "full re-plan " + full[i];
    for (std::size_t k = 0; k < steps.size(); ++k) {
      const double t0 = steps[k].t_ms / 1000, t1 = k + 1 < steps.size() ? steps[k + 1].t_ms / 1000 : t0 + 2;
      auto add = [&](ChartSeries& c, double v) {
        if (!std::isfinite(v)) return;
        c.x.insert(c.x.end(), {t0, t1});
        c.y.insert(c.y.end(), {v, v});
      };
      add(series[0], steps[k].kept_ms);
      add(series[1], steps[k].readjusted_ms);
      for (std::size_t i = 0; i < full.size(); ++i) add(series[2 + i], steps[k].full[i].latency_ms);
    }
    write_file_atomic(a.svg, line_chart_svg("Re-planning along the trace: " + name, "trace time (s)", "latency (ms)", series));
  }
  if (!a.output.empty()) {
    save_plan_file(steps.back().plan, a.output);
    std::printf("wrote the last re-adjusted plan to %s\n", a.output.c_str());
  }
  return 0;
}

}  // namespace

Runner add_replan(CLI::App& app) {
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("replan", "Re-adjust a d3 plan after network or load events, or step by step along a traced scenario");
  cmd->add_option("--scenario", a->scenario, "Scenario file (edgeplan.scenario/v1), tiered")->required();
  cmd->add_option("--plan", a->plan, "The plan in force (edgeplan.plan/v1, of d3's family); default: d3's plan of the scenario (at t = 0)");
  CLI::Option* ev = cmd->add_option("--event", a->events,
                                    "A change (repeatable): bandwidth:<device or tier-tier>=<Mbit/s>, slow:<device>=<factor>, gone:<device>");
  CLI::Option* tr = cmd->add_flag("--trace", a->trace, "Step through the scenario's traces: re-adjust at every rate change");
  ev->excludes(tr);
  cmd->add_option("--full", a->full, "Planners to re-plan from scratch for comparison, comma-separated (default d3,opt; none: \"\")");
  cmd->add_option("-o,--output", a->output, "Write the re-adjusted plan (with --trace: the last one)");
  cmd->add_option("--json", a->json, "Write every step as JSON (edgeplan.replan/v1)");
  CLI::Option* svg = cmd->add_option("--svg", a->svg, "With --trace: a chart of latency over trace time (SVG)");
  svg->needs(tr);
  return [a] {
    if (a->events.empty() && !a->trace) throw Error("replan needs --event (one or more) or --trace");
    const std::string text = jsonio::read_file<ScenarioError>(a->scenario, "scenario");
    const auto slash = a->scenario.find_last_of('/');
    const std::string base = slash == std::string::npos ? "." : a->scenario.substr(0, slash);
    const std::vector<std::string> full = split_list(a->full);
    for (const std::string& f : full) make_planner(f);
    // The plan in force, checked against the scenario at t = 0.
    const Scenario s0 = parse_scenario(scenario_at(text, 0), base);
    Plan plan;
    if (a->plan.empty()) {
      const Simulator sim(s0);
      plan = make_planner("d3")->plan(PlanningContext::of(s0, sim));
    } else {
      plan = load_plan_file(a->plan);
      check_plan_for(plan, s0, a->plan);
    }
    return a->trace ? run_trace(*a, text, base, plan, full, s0.name)
                    : run_events(*a, scenario_at(text, 0), base, plan, full);
  };
}

}  // namespace edgeplan::cli
