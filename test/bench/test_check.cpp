// The regression check: what it compares, and every way it must fail.
#include <catch2/catch.hpp>

#include "edgeplan/bench/suite.h"

using namespace edgeplan;

namespace {

PlannerResult row(const std::string& planner, double ms, double single_ms) {
  PlannerResult p;
  p.planner = planner;
  p.latency_ms = ms;
  p.speedup_vs_single = single_ms / ms;
  return p;
}

BenchResults one(std::vector<PlannerResult> planners) {
  BenchResults r;
  r.scenarios.push_back(ScenarioResult{"s", "g", "", std::move(planners), "m 3x8x8", ""});
  return r;
}

bool mentions(const std::vector<Regression>& regs, const std::string& planner, const std::string& text) {
  for (const auto& g : regs)
    if (g.planner == planner && g.reason.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("check_against: equal results pass, a drop beyond the tolerance fails naming the file", "[bench]") {
  const BenchResults base = one({row("single", 10, 10), row("opt", 8, 10)});
  CHECK(check_against(base, base, 0.02, "b.json").empty());
  const BenchResults slower = one({row("single", 10, 10), row("opt", 9, 10)});
  const auto regs = check_against(slower, base, 0.02, "b.json");
  REQUIRE(regs.size() == 1);
  CHECK(regs[0].planner == "opt");
  CHECK(regs[0].reason.find("b.json") != std::string::npos);
  CHECK(check_against(slower, base, 0.2, "b.json").empty());  // within 20%
}

TEST_CASE("check_against: nothing compared, or a pair the baseline lacks, fails", "[bench]") {
  const BenchResults now = one({row("single", 10, 10), row("opt", 8, 10)});
  const auto empty = check_against(now, BenchResults{}, 0.02, "empty.json");
  CHECK(mentions(empty, "(all)", "nothing was compared"));
  CHECK(mentions(empty, "opt", "missing from empty.json"));
  const auto partial = check_against(now, one({row("single", 10, 10)}), 0.02, "p.json");
  CHECK(mentions(partial, "opt", "missing from p.json"));
  CHECK_FALSE(mentions(partial, "(all)", "nothing"));
}

TEST_CASE("check_against: planners match by name, settings ignored", "[bench]") {
  const BenchResults base = one({row("single", 10, 10), row("opt", 8, 10)});
  const BenchResults now = one({row("single", 10, 10), row("opt:restarts=0", 8, 10)});
  CHECK(check_against(now, base, 0.02).empty());
  const BenchResults worse = one({row("single", 10, 10), row("opt:restarts=0", 9.5, 10)});
  CHECK(mentions(check_against(worse, base, 0.02), "opt:restarts=0", "below"));
}

TEST_CASE("check_against: opt slower than any other planner fails, an invalid plan fails", "[bench]") {
  const BenchResults now = one({row("single", 10, 10), row("aofl", 7, 10), row("opt", 8, 10)});
  CHECK(mentions(check_against(now, now, 0.02), "aofl", "slower than this planner"));
  BenchResults invalid = one({row("single", 10, 10), row("opt", 8, 10)});
  invalid.scenarios[0].planners[1].valid = false;
  invalid.scenarios[0].planners[1].error = "rows do not cover";
  CHECK(mentions(check_against(invalid, invalid, 0.02), "opt", "fails validation"));
}

TEST_CASE("geometric means and speedups", "[bench]") {
  CHECK(geometric_mean({}) == 0);
  CHECK(geometric_mean({2, 8}) == Approx(4));
  ScenarioResult s{"s", "g", "", {row("single", 10, 0), row("aofl", 5, 0), row("opt", 4, 0)}, "m 3x8x8", ""};
  fill_speedups(s);
  CHECK(s.planners[1].speedup_vs_single == Approx(2));
  CHECK(s.planners[2].speedup_vs_single == Approx(2.5));
  CHECK(s.planners[2].speedup_vs_best_baseline == Approx(1.25));  // over aofl
  CHECK(s.planners[1].speedup_vs_best_baseline == Approx(2));     // aofl over single (opt not a baseline)
}
