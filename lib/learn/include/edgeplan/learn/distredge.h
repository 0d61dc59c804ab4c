// DistrEdge: LC-PSS layer volumes + OSDS, a DDPG agent (libtorch) that splits each volume's
// rows among the devices, trained against the simulator. libtorch stays in the .cpp files.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edgeplan/strategy/planner.h"

namespace edgeplan {

struct DistrEdgeOptions {
  int episodes = 4000;       // the paper's setting
  double budget_s = 0;       // stop after this many seconds as well (0: no limit)
  double alpha = 0.75;       // LC-PSS trade-off
  std::uint64_t seed = 1;
  int batch = 64;
  double gamma = 0.99;
  double lr_actor = 1e-4, lr_critic = 1e-3;
  double tau = 0.005;        // soft target update (our choice; the paper does not give it)
  int replay = 100000;       // replay buffer size (our choice)
  double noise_var = -1;     // exploration noise variance; < 0: 0.1 up to 4 devices, 1 beyond
  double eps_scale = 250;    // exploration probability 1 - (episode / eps_scale)^2
  // Our addition (off: the paper's method as published): play |D| + 2 demonstration
  // episodes first (each device alone, equal split, speed-proportional split) so that the
  // replay buffer and the best plan so far start from them. See docs/planners.md.
  bool demonstrations = true;
  // Threads for libtorch and its BLAS while training: 1 is reproducible (same seed, same
  // result) and, for these small networks, the fastest (benchmarks/bench_simulator.cpp).
  int threads = 1;
};

// Throws Error with one line for options outside their ranges.
void check_options(const DistrEdgeOptions& o);

struct TrainProgress {
  int episode = 0, episodes = 0;
  double episode_ms = 0, best_ms = 0;
};

struct TrainResult {
  Plan best_plan;
  double best_ms = 0;
  int episodes = 0;
  double seconds = 0;
  std::vector<int> boundaries;          // LC-PSS volume boundaries
  std::vector<double> episode_ms;       // latency of each episode's plan
  std::vector<double> best_ms_curve;    // best latency so far after each episode
  std::vector<double> elapsed_s;        // seconds since the start at the end of each episode
  Plan policy_plan;                     // the trained actor's own plan (no exploration noise)
  double policy_ms = 0;
};

// Trains the DDPG agent from scratch (or from `resume_path`, a policy file written by a
// previous run on the same scenario shape) and returns the best plan seen. Writes the
// policy to `policy_path` when not empty. Same seed, same result (single-threaded CPU).
TrainResult train_distredge(const PlanningContext& ctx, const DistrEdgeOptions& options,
                            const std::function<void(const TrainProgress&)>& progress = {},
                            const std::string& policy_path = "", const std::string& resume_path = "");

class DistrEdgePlanner : public Planner {
 public:
  explicit DistrEdgePlanner(DistrEdgeOptions options = {}) : options_(options) {}
  std::string name() const override { return "distredge"; }
  Plan plan(const PlanningContext& ctx) const override { return train_distredge(ctx, options_).best_plan; }
  std::string settings_json() const override;
  // "distredge[:episodes=..][:budget_s=..][:alpha=..][:seed=..][:demos=0|1]"; inside
  // `plan --compare` and `bench` it trains for 10 s unless budget_s says otherwise.
  static std::unique_ptr<Planner> from_spec(const std::string& spec);

 private:
  DistrEdgeOptions options_;
};

}  // namespace edgeplan
