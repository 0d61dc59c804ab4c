// Plan evaluation speed on the default 4-device scenario, and `opt` planning time.
#include <benchmark/benchmark.h>

#include "edgeplan/costmodel/simulator.h"
#include "edgeplan/planners/registry.h"
#include "edgeplan/strategy/simple_plans.h"

using namespace edgeplan;

namespace {

const Scenario& scenario() {
  static const Scenario s = load_scenario_file(std::string(EDGEPLAN_SOURCE_DIR) + "/benchmarks/scenarios/default.json");
  return s;
}

void run(benchmark::State& state, const Plan& plan) {
  const Simulator sim(scenario());
  double sink = 0;
  for (auto _ : state) {
    sink += sim.latency_ms(plan);
    benchmark::DoNotOptimize(sink);
  }
  state.counters["evals/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Every layer its own volume, 4 stripes each: 124 parts, the heaviest common case.
void BM_Vgg16EqualPerLayer(benchmark::State& state) {
  const Graph& g = scenario().graph;
  run(state, make_even_plan(g, scenario().device_ids(), per_layer_volumes(g)));
}

// A few fused volumes (the shape `opt` and DistrEdge produce): 5 volumes x 4 stripes.
void BM_Vgg16FiveVolumes(benchmark::State& state) {
  const Graph& g = scenario().graph;
  run(state, make_even_plan(g, scenario().device_ids(), {{0, 5}, {5, 10}, {10, 17}, {17, 24}, {24, g.body_end()}}));
}

void BM_Vgg16RandomPlans(benchmark::State& state) {
  const Graph& g = scenario().graph;
  std::vector<Plan> plans;
  for (std::uint64_t s = 0; s < 16; ++s) {
    RandomPlanOptions o;
    o.max_parts = 4;
    Plan p = make_random_plan(g, s, o);
    // Map the generated ids d0..d3 onto the scenario's devices.
    const auto ids = scenario().device_ids();
    for (auto& v : p.volumes)
      for (auto& part : v.parts) part.device = ids[static_cast<std::size_t>(part.device[1] - '0')];
    if (p.tail) p.tail->device = ids[static_cast<std::size_t>(p.tail->device[1] - '0')];
    p.devices = ids;
    plans.push_back(p);
  }
  const Simulator sim(scenario());
  std::size_t i = 0;
  double sink = 0;
  for (auto _ : state) {
    sink += sim.latency_ms(plans[i++ % plans.size()]);
    benchmark::DoNotOptimize(sink);
  }
  state.counters["evals/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_Vgg16EqualPerLayer);
BENCHMARK(BM_Vgg16FiveVolumes);
BENCHMARK(BM_Vgg16RandomPlans);

// `opt` planning time: VGG16 on 8 Jetson-class devices (two of each) over 1 Gbit/s Wi-Fi;
// the argument is the number of restarts (0: one local search, 6: the default).
namespace {
void BM_OptVgg16EightDevices(benchmark::State& state) {
  const Scenario& base = scenario();
  std::vector<const DeviceProfile*> profiles;
  std::vector<std::string> ids;
  for (int copy = 0; copy < 2; ++copy)
    for (const auto& d : base.devices) {
      profiles.push_back(&d.profile);
      ids.push_back(d.id + "-" + std::to_string(copy));
    }
  const ProfileCostModel cost(base.graph, profiles);
  const NetworkModel net = NetworkModel::wifi_star(std::vector<double>(8, 1000.0), false, 1.0, 0.2);
  SimulatorConfig cfg;
  cfg.device_ids = ids;
  cfg.input_device = 3;
  cfg.output_device = 3;
  const Simulator sim(base.graph, cost, net, cfg);
  const PlanningContext ctx = PlanningContext::of(sim);
  const auto opt = make_planner("opt:restarts=" + std::to_string(state.range(0)));
  double ms = 0;
  for (auto _ : state) {
    const Plan p = opt->plan(ctx);
    ms = sim.latency_ms(p);
    benchmark::DoNotOptimize(ms);
  }
  state.counters["plan_latency_ms"] = ms;
}
}  // namespace
BENCHMARK(BM_OptVgg16EightDevices)->Arg(0)->Arg(6)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
