// DistrEdge training speed: episodes per second on the default scenario, with libtorch and
// its BLAS held to one thread (the default) and with one thread per core, in one run.
#include <algorithm>
#include <thread>

#include <benchmark/benchmark.h>

#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/learn/distredge.h"

using namespace edgeplan;

namespace {

void BM_DistrEdgeEpisodes(benchmark::State& state) {
  const Scenario s = load_scenario_file(std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/default.json");
  const Simulator sim(s);
  const PlanningContext ctx = PlanningContext::of(s, sim);
  DistrEdgeOptions o;
  o.episodes = 200;  // past the first batch: every episode trains (3 gradient steps)
  o.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const TrainResult r = train_distredge(ctx, o);
    benchmark::DoNotOptimize(r.best_ms);
  }
  state.counters["episodes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * o.episodes), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_DistrEdgeEpisodes)
    ->Arg(1)
    ->Arg(static_cast<int>(std::max(2u, std::thread::hardware_concurrency())))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
