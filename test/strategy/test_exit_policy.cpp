// DistrEE's exit policy: cascades by hand, the deadline met on the calibration's own numbers
// (property), impossible QoS refused, head times from a plan.
#include <random>

#include <catch2/catch.hpp>

#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/planners/registry.h"
#include "edgeplan/strategy/exit_planning.h"

using namespace edgeplan;

namespace {

// `images` images, `heads` heads: later heads more confident and more often right.
ExitOutcomes random_outcomes(std::mt19937_64& rng, int heads, int images) {
  ExitOutcomes o;
  std::uniform_real_distribution<float> u(0, 1);
  for (int h = 0; h < heads; ++h) {
    o.heads.push_back(h + 1 == heads ? "final" : "exit" + std::to_string(h + 1));
    o.after.push_back(10 * (h + 1));
    o.confidence.emplace_back();
    o.predicted.emplace_back();
  }
  for (int i = 0; i < images; ++i) {
    const int label = static_cast<int>(rng() % 10);
    o.labels.push_back(label);
    for (int h = 0; h < heads; ++h) {
      const float c = std::min(1.0f, u(rng) * (0.6f + 0.4f * static_cast<float>(h + 1) / heads) + 0.1f);
      o.confidence[static_cast<std::size_t>(h)].push_back(c);
      o.predicted[static_cast<std::size_t>(h)].push_back(u(rng) < 0.4 + 0.5 * c ? label : (label + 1) % 10);
    }
  }
  return o;
}

}  // namespace

TEST_CASE("exit policy: cascades by hand, never firing is the final head, always firing at k is head k", "[exits][policy]") {
  ExitOutcomes o;
  o.heads = {"exit1", "exit2", "final"};
  o.after = {5, 10, 18};
  o.labels = {0, 1, 2, 3};
  o.confidence = {{0.95f, 0.5f, 0.2f, 0.99f}, {0.9f, 0.92f, 0.3f, 0.5f}, {1, 1, 1, 1}};
  o.predicted = {{0, 0, 0, 3}, {0, 1, 1, 3}, {0, 1, 2, 0}};
  const std::vector<double> ms = {1, 2, 4}, macs = {10, 20, 40};
  // exit1 >= 0.9, exit2 >= 0.9: images 0 and 3 at exit1 (right), 1 at exit2 (right), 2 at the final head (right).
  const PolicyOutcome r = evaluate_exit_policy(o, ExitPolicy{{0.9, 0.9, 0}, 2}, ms, macs);
  CHECK(r.accuracy == Approx(1.0));
  CHECK(r.expected_ms == Approx((1 + 2 + 4 + 1) / 4.0));
  CHECK(r.computation_saved == Approx(1 - (10 + 20 + 40 + 10) / 4.0 / 40));
  CHECK(r.exit_share == std::vector<double>{0.5, 0.25, 0.25});
  CHECK(r.p95_ms == Approx(4));
  // Never firing: exactly the final head's answers (image 3 wrong).
  const PolicyOutcome none = evaluate_exit_policy(o, ExitPolicy{{2, 2, 0}, 2}, ms, macs);
  CHECK(none.accuracy == Approx(0.75));
  CHECK(none.expected_ms == Approx(4));
  CHECK(none.computation_saved == Approx(0));
  // Always at exit k: exactly head k's answers.
  CHECK(evaluate_exit_policy(o, ExitPolicy{{0, 2, 2}, 0}, ms, macs).accuracy == Approx(0.5));
  CHECK(evaluate_exit_policy(o, ExitPolicy{{2, 0, 2}, 1}, ms, macs).accuracy == Approx(0.75));
  // The run-time rule: times x3 and a 7 ms deadline: exit2 would answer at 6, the final head
  // at 12 > 7, so images still running stop at exit2.
  const PolicyOutcome slow = evaluate_exit_policy(o, ExitPolicy{{0.9, 0.9, 0}, 2}, ms, macs, 7, 3, false);
  CHECK(slow.deadline_hit_rate == Approx(0.75));
  const PolicyOutcome ruled = evaluate_exit_policy(o, ExitPolicy{{0.9, 0.9, 0}, 2}, ms, macs, 7, 3, true);
  CHECK(ruled.deadline_hit_rate == Approx(1.0));
  CHECK(ruled.exit_share == std::vector<double>{0.5, 0.5, 0.0});
}

TEST_CASE("exit policy: the deadline is met on the calibration's own numbers and no grid policy does better (property)", "[exits][policy]") {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 40; ++trial) {
    const int heads = 2 + trial % 2;
    const ExitOutcomes o = random_outcomes(rng, heads, 300);
    std::vector<double> ms, macs;
    double t = 0;
    for (int h = 0; h < heads; ++h) ms.push_back(t += 1 + static_cast<double>(rng() % 100) / 10), macs.push_back(ms.back() * 1e6);
    const double deadline = ms.front() + (ms.back() - ms.front()) * static_cast<double>(rng() % 100) / 100.0;
    const ExitPolicy p = choose_exit_policy(o, ms, macs, ExitQoS{deadline, 0});
    const PolicyOutcome r = evaluate_exit_policy(o, p, ms, macs, deadline);
    INFO("trial " << trial << " deadline " << deadline);
    CHECK(r.deadline_hit_rate == 1.0);
    // Random grid policies that meet the deadline are never more accurate.
    const double grid[] = {0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 2.0};
    for (int k = 0; k < 50; ++k) {
      ExitPolicy q;
      q.last_head = static_cast<int>(rng() % static_cast<unsigned>(heads));
      if (ms[static_cast<std::size_t>(q.last_head)] > deadline) continue;
      for (int h = 0; h < heads; ++h) q.thresholds.push_back(h == q.last_head ? 0 : grid[rng() % 7]);
      CHECK(evaluate_exit_policy(o, q, ms, macs, deadline).accuracy <= r.accuracy + 1e-12);
    }
    // An accuracy floor: met, and no sampled policy that meets it is faster on average.
    const double floor = r.accuracy * 0.97;
    const ExitPolicy pa = choose_exit_policy(o, ms, macs, ExitQoS{0, floor});
    const PolicyOutcome ra = evaluate_exit_policy(o, pa, ms, macs);
    CHECK(ra.accuracy >= floor - 1e-12);
    for (int k = 0; k < 50; ++k) {
      ExitPolicy q;
      q.last_head = static_cast<int>(rng() % static_cast<unsigned>(heads));
      for (int h = 0; h < heads; ++h) q.thresholds.push_back(h == q.last_head ? 0 : grid[rng() % 7]);
      const PolicyOutcome rq = evaluate_exit_policy(o, q, ms, macs);
      if (rq.accuracy >= floor) CHECK(rq.expected_ms >= ra.expected_ms - 1e-9);
    }
  }
}

TEST_CASE("exit policy: an impossible QoS is refused with one line", "[exits][policy]") {
  std::mt19937_64 rng(9);
  const ExitOutcomes o = random_outcomes(rng, 3, 100);
  const std::vector<double> ms = {2, 4, 8}, macs = {1, 2, 3};
  for (const ExitQoS& q : {ExitQoS{1.0, 0}, ExitQoS{0, 0.9999}, ExitQoS{0, 0}, ExitQoS{5, 0.5}, ExitQoS{0, 1.5}}) {
    try {
      choose_exit_policy(o, ms, macs, q);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
  CHECK_THROWS_WITH(choose_exit_policy(o, ms, macs, ExitQoS{1.0, 0}), Catch::Contains("the first exit answers at 2.000 ms"));
}

TEST_CASE("exit policy: head times from a plan grow with the heads, calibration files are checked", "[exits][policy]") {
  const ExitModel m = build_exit_model("vgg-fm");
  const std::string profiles = std::string(EDGEPLAN_SOURCE_DIR) + "/profiles/modeled/";
  const std::string text = R"({"format": "edgeplan.scenario/v1", "name": "fm", "model": {"name": "vgg-fm"},
    "devices": [{"id": "a", "profile": "raspberry-pi-4.json"}, {"id": "b", "profile": "jetson-nano.json"}],
    "network": {"type": "switched", "rates_mbps": 100, "latency_ms": 0.1}})";
  const Scenario s = parse_scenario(text, profiles);
  const Simulator sim(s);
  for (const char* planner : {"single", "equal", "opt:restarts=0"}) {
    const Plan p = make_planner(planner)->plan(PlanningContext::of(s, sim));
    const std::vector<double> ms = head_times_ms(sim, p, m);
    INFO(planner);
    REQUIRE(ms.size() == 3);
    CHECK(ms[0] > 0);
    CHECK(ms[0] <= ms[1]);
    CHECK(ms[1] <= ms[2]);
    CHECK(ms[2] == Approx(sim.latency_ms(p)));
  }
  const std::vector<double> macs = head_macs(m);
  CHECK(macs.back() == static_cast<double>(m.graph.total_macs()));
  CHECK(macs[0] == 112896 + 1806336 + 160);  // two convolutions, then 16 channels x 10 classes
  for (const char* bad : {"", "{}", R"({"format": "edgeplan.exit-calibration/v1"})",
                          R"({"format": "edgeplan.exit-calibration/v1", "validation": {"labels": [1], "heads": [{"head": "x", "after": 1, "confidence": [2], "predicted": [1]}]}})",
                          R"({"format": "edgeplan.exit-calibration/v1", "validation": {"labels": [1, 2], "heads": [{"head": "x", "after": 1, "confidence": [0.5], "predicted": [1]}]}})"}) {
    INFO(bad);
    try {
      parse_exit_outcomes(bad, "validation", "c.json");
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("c.json") != std::string::npos);
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("exit planning: plans aligned to the exits' cuts, each exit on its fastest device, the joint choice by the QoS", "[exits][policy]") {
  const ExitModel m = build_exit_model("vgg-fm");
  const Graph& g = m.graph;
  const std::string root = std::string(EDGEPLAN_SOURCE_DIR);
  const std::string text = R"({"format": "edgeplan.scenario/v1", "name": "fm", "model": {"name": "vgg-fm"},
    "devices": [{"id": "a", "profile": "raspberry-pi-3.json"}, {"id": "b", "profile": "jetson-nano.json"}],
    "network": {"type": "switched", "rates_mbps": 100, "latency_ms": 0.1}})";
  const Scenario s = parse_scenario(text, root + "/profiles/modeled/");
  const Simulator sim(s);
  const PlanningContext ctx = PlanningContext::of(s, sim);
  std::vector<std::pair<std::string, Plan>> plans;
  for (const char* planner : {"single", "equal", "coedge", "deepthings", "opt:restarts=0"}) {
    const Plan p = make_planner(planner)->plan(ctx);
    const Plan a = align_to_exits(p, g, m);
    INFO(planner);
    for (const ExitHead& e : m.exits) {
      bool boundary = false;
      for (const Volume& v : a.volumes) boundary = boundary || v.layers.last == e.after;
      CHECK(boundary);
    }
    CHECK(a.volumes.size() >= p.volumes.size());
    CHECK(align_to_exits(a, g, m) == a);  // already aligned: unchanged
    // Volumes that held no cut are untouched; the others keep their devices.
    for (const Volume& v : p.volumes) {
      bool holds = false;
      for (const ExitHead& e : m.exits) holds = holds || (v.layers.first < e.after && e.after < v.layers.last);
      if (!holds) CHECK(std::find(a.volumes.begin(), a.volumes.end(), v) != a.volumes.end());
    }
    plans.emplace_back(planner, p);
  }
  // By hand: the whole model on one device (the Nano; the image and the answer on the Pi);
  // a head there answers when its compute reaches the cut, plus the scores' trip to the
  // output device; on the output device, plus the channel sums' trip there instead.
  const Plan single = align_to_exits(plans[0].second, g, m);
  const int home = s.device_index(single.volumes[0].parts[0].device), out = ctx.output_device;
  REQUIRE(home != out);
  const std::vector<double> here = head_times_ms(sim, single, m, {home, home}), there = head_times_ms(sim, single, m, {out, out});
  std::vector<int> fastest;
  for (std::size_t k = 0; k < m.exits.size(); ++k) {
    const double c = g.layer(m.exits[k].after - 1).out.c;
    const double done = here[k] - ctx.network.min_transfer_ms(home, out, 40);
    CHECK(there[k] == Approx(done + ctx.network.min_transfer_ms(home, out, 4 * c)));
    fastest.push_back(here[k] <= there[k] ? home : out);
  }
  CHECK(fastest_exit_devices(sim, single, m) == fastest);
  // The joint choice: the best feasible candidate by the QoS, its plan carrying the policy.
  std::mt19937_64 rng(5);
  const ExitOutcomes val = random_outcomes(rng, 3, 400);
  for (const ExitQoS& q : {ExitQoS{here[1] * 1.2, 0}, ExitQoS{0, 0.6}}) {
    int best = -1;
    const std::vector<ExitPlanCandidate> c = plan_with_exits(plans, sim, m, val, q, root + "/benchmarks/exits/vgg-fm/exits.json", best);
    // Every plan as it is and, where that differs, split at the exits' cuts.
    REQUIRE(c.size() >= plans.size());
    REQUIRE(c.size() <= 2 * plans.size() + 1);
    CHECK(c.back().planner == "opt (expected latency)");
    for (const ExitPlanCandidate& x : c) {
      if (x.planner.find(" (split at exits)") == std::string::npos) continue;
      for (const ExitHead& e : m.exits) {
        bool boundary = false;
        for (const Volume& v : x.plan.volumes) boundary = boundary || v.layers.last == e.after;
        CHECK(boundary);
      }
    }
    REQUIRE(best >= 0);
    const ExitPlanCandidate& b = c[static_cast<std::size_t>(best)];
    for (const ExitPlanCandidate& x : c) {
      if (!x.feasible) {
        CHECK(!x.why.empty());
        continue;
      }
      if (q.deadline_ms > 0) {
        CHECK(x.validation.accuracy <= b.validation.accuracy + 1e-12);
        CHECK(x.head_ms[static_cast<std::size_t>(x.policy.last_head)] <= q.deadline_ms);
      } else {
        CHECK(x.validation.expected_ms >= b.validation.expected_ms - 1e-12);
        CHECK(x.validation.accuracy >= 0.6 - 1e-12);
      }
    }
    REQUIRE(b.plan.exits);
    validate_plan(b.plan, g);
    CHECK(b.plan.exits->exits.size() == static_cast<std::size_t>(std::min<int>(b.policy.last_head + 1, 2)));
    for (std::size_t k = 0; k < b.plan.exits->exits.size(); ++k) {
      const double t = b.policy.thresholds[k];
      CHECK(b.plan.exits->exits[k].threshold == (t > 1 ? PlanExit::kNever : t));
    }
    CHECK(b.plan.exits->heads_sha256.size() == 64);
    // opt on the expected latency under a policy is never worse than the plans it starts from.
    std::vector<Plan> starts;
    for (const ExitPlanCandidate& x : c) {
      starts.push_back(x.plan);
      starts.back().exits.reset();
    }
    starts.pop_back();
    const std::vector<double> share = evaluate_exit_policy(val, b.policy, {1, 1, 1}, head_macs(m)).exit_share;
    auto expected = [&](const Plan& p) {
      const std::vector<double> ms = head_times_ms(sim, p, m, fastest_exit_devices(sim, p, m));
      return share[0] * ms[0] + share[1] * ms[1] + share[2] * ms[2];
    };
    const Plan found = opt_for_exits(sim, m, val, b.policy, 0, starts);
    validate_plan(found, g);
    for (const Plan& p : starts) CHECK(expected(found) <= expected(p) + 1e-9);
  }
}
