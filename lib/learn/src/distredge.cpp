// DistrEdge's OSDS: a DDPG agent splitting each LC-PSS volume's rows, trained on the simulator.
#include "edgeplan/learn/distredge.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include <torch/torch.h>

#include "edgeplan/compute/allocator.h"
#include "edgeplan/compute/threads.h"
#include "edgeplan/strategy/lcpss.h"
#include "edgeplan/strategy/planner_spec.h"
#include "edgeplan/strategy/planner_util.h"

namespace edgeplan {

namespace {

using Clock = std::chrono::steady_clock;

// The MDP: one step per layer volume. State: each device's accumulated latency (in units
// of the best single-device latency), then the volume's height, channels, filter size and
// stride (each divided by its maximum over the volumes). Action: |D| - 1 values in
// [-1, 1], sorted, mapped to row boundaries round(H (a + 1) / 2). Reward: 0 until the
// last volume, then T_single / T_end-to-end (the paper's 1 / T, scaled to about 1).
struct Env {
  const PlanningContext& ctx;
  std::vector<LayerRange> lvs;
  std::vector<std::vector<int>> live;  // each volume's live outputs, computed once
  int n = 0;
  double t_ref = 1;
  double h_max = 1, c_max = 1, f_max = 1, s_max = 1;
  std::vector<double> acc;
  std::vector<std::vector<int>> rows;  // per volume, rows per device (device order)
  std::vector<int> prev_cut;           // row boundaries of the previous volume, per device

  Env(const PlanningContext& c, std::vector<LayerRange> volumes, double single_ms)
      : ctx(c), lvs(std::move(volumes)), n(c.device_count()), t_ref(single_ms) {
    for (const LayerRange& v : lvs) {
      live.push_back(ctx.graph.live_outputs(v));
      const Layer& w = window_layer(v);
      h_max = std::max(h_max, static_cast<double>(ctx.graph.layer(v.last - 1).out.h));
      c_max = std::max(c_max, static_cast<double>(ctx.graph.layer(v.last - 1).out.c));
      f_max = std::max(f_max, static_cast<double>(w.win_h.kernel));
      s_max = std::max(s_max, static_cast<double>(w.win_h.stride));
    }
  }
  int state_dim() const { return n + 4; }
  int action_dim() const { return std::max(1, n - 1); }

  const Layer& window_layer(const LayerRange& v) const {
    for (int l = v.last - 1; l >= v.first; --l)
      if (ctx.graph.layer(l).is_windowed()) return ctx.graph.layer(l);
    return ctx.graph.layer(v.last - 1);
  }
  void reset() {
    acc.assign(static_cast<std::size_t>(n), 0.0);
    rows.clear();
    prev_cut.clear();
  }
  std::vector<float> state(std::size_t l) const {
    std::vector<float> s;
    for (double a : acc) s.push_back(static_cast<float>(a / t_ref));
    const LayerRange& v = lvs[std::min(l, lvs.size() - 1)];
    const Layer& w = window_layer(v);
    s.push_back(static_cast<float>(ctx.graph.layer(v.last - 1).out.h / h_max));
    s.push_back(static_cast<float>(ctx.graph.layer(v.last - 1).out.c / c_max));
    s.push_back(static_cast<float>(w.win_h.kernel / f_max));
    s.push_back(static_cast<float>(w.win_h.stride / s_max));
    return s;
  }
  void step(std::size_t l, const std::vector<float>& action) {
    const Graph& g = ctx.graph;
    const LayerRange& v = lvs[l];
    const Shape anchor = g.layer(v.last - 1).out;
    std::vector<float> a(action.begin(), action.begin() + std::min<std::size_t>(action.size(), static_cast<std::size_t>(n - 1)));
    std::sort(a.begin(), a.end());
    std::vector<int> cut = {0};
    for (float x : a) cut.push_back(static_cast<int>(std::lround(anchor.h * (std::clamp(x, -1.0f, 1.0f) + 1.0) / 2.0)));
    cut.push_back(anchor.h);
    // The paper's state T^{l-1}: when each device finishes its part of the previous
    // volume, accumulating compute and the transfers its part waits for (the image from
    // the input device for the first volume, then the rows, halos included, owned by the
    // other devices once those finished; each transfer on an idle link, no queueing).
    std::vector<int> r(static_cast<std::size_t>(n), 0);
    const std::vector<double> prev = acc;
    for (int d = 0; d < n; ++d) {
      r[static_cast<std::size_t>(d)] = cut[static_cast<std::size_t>(d + 1)] - cut[static_cast<std::size_t>(d)];
      if (r[static_cast<std::size_t>(d)] <= 0) continue;
      const Region want{{cut[static_cast<std::size_t>(d)], cut[static_cast<std::size_t>(d + 1)]}, {0, anchor.w}};
      const VolumeRegions vr = detail::part_regions(g, v, want, live[l]);
      double ready = prev[static_cast<std::size_t>(d)];
      if (l == 0) {
        if (d != ctx.input_device)
          ready = std::max(ready, ctx.network.min_transfer_ms(ctx.input_device, d, detail::part_input_bytes(g, vr, ctx.elements)));
      } else {
        for (const auto& [t, reg] : vr.inputs)
          for (int p = 0; p < n; ++p) {
            const Interval owned{prev_cut[static_cast<std::size_t>(p)], prev_cut[static_cast<std::size_t>(p + 1)]};
            const Interval overlap = intersect(reg.rows, owned);
            if (p == d || overlap.empty()) continue;
            const double bytes = static_cast<double>(overlap.size()) * reg.cols.size() * g.tensor_shape(t).c * ctx.elements.of(t);
            ready = std::max(ready, prev[static_cast<std::size_t>(p)] + ctx.network.min_transfer_ms(p, d, bytes));
          }
      }
      acc[static_cast<std::size_t>(d)] = detail::part_compute_ms(ctx, d, v, vr, ready);
    }
    rows.push_back(r);
    prev_cut = cut;
  }
  Plan plan() const {
    const std::vector<int>& last = rows.back();
    const int tail = static_cast<int>(std::max_element(last.begin(), last.end()) - last.begin());
    Plan p = detail::empty_plan(ctx, tail);
    std::vector<int> order(static_cast<std::size_t>(n));
    for (int d = 0; d < n; ++d) order[static_cast<std::size_t>(d)] = d;
    for (std::size_t l = 0; l < lvs.size(); ++l) detail::add_row_volume(ctx, p, lvs[l], order, rows[l]);
    return p;
  }
};

torch::nn::Sequential make_actor(int s, int a) {
  return torch::nn::Sequential(torch::nn::Linear(s, 400), torch::nn::ReLU(), torch::nn::Linear(400, 200), torch::nn::ReLU(),
                               torch::nn::Linear(200, 100), torch::nn::ReLU(), torch::nn::Linear(100, a), torch::nn::Tanh());
}

torch::nn::Sequential make_critic(int s, int a) {
  return torch::nn::Sequential(torch::nn::Linear(s + a, 400), torch::nn::ReLU(), torch::nn::Linear(400, 200), torch::nn::ReLU(),
                               torch::nn::Linear(200, 100), torch::nn::ReLU(), torch::nn::Linear(100, 100), torch::nn::ReLU(),
                               torch::nn::Linear(100, 1));
}

// The actor's action for one state (no gradient).
std::vector<float> act(torch::nn::Sequential& actor, std::vector<float> state, int action_dim) {
  torch::NoGradGuard no_grad;
  const torch::Tensor out = actor->forward(torch::from_blob(state.data(), {1, static_cast<int64_t>(state.size())}).clone());
  std::vector<float> a(static_cast<std::size_t>(action_dim));
  for (int i = 0; i < action_dim; ++i) a[static_cast<std::size_t>(i)] = out[0][i].item<float>();
  return a;
}

// Shapes of a module's parameters, in order.
std::vector<std::vector<int64_t>> parameter_shapes(const torch::nn::Sequential& m) {
  std::vector<std::vector<int64_t>> out;
  for (const auto& p : m->parameters()) out.push_back(p.sizes().vec());
  return out;
}

void copy_params(torch::nn::Sequential& to, const torch::nn::Sequential& from, double tau) {
  torch::NoGradGuard no_grad;
  auto dst = to->parameters();
  auto src = from->parameters();
  for (std::size_t i = 0; i < dst.size(); ++i) dst[i].mul_(1 - tau).add_(src[i], tau);
}

struct Replay {
  int cap = 0, size = 0, next = 0, sd = 0, ad = 0;
  std::vector<float> s, a, r, s2, done;
  Replay(int capacity, int state_dim, int action_dim) : cap(capacity), sd(state_dim), ad(action_dim) {
    s.resize(static_cast<std::size_t>(cap) * sd);
    s2.resize(static_cast<std::size_t>(cap) * sd);
    a.resize(static_cast<std::size_t>(cap) * ad);
    r.resize(static_cast<std::size_t>(cap));
    done.resize(static_cast<std::size_t>(cap));
  }
  void add(const std::vector<float>& st, const std::vector<float>& ac, float rew, const std::vector<float>& st2, bool d) {
    std::copy(st.begin(), st.end(), s.begin() + static_cast<long>(next) * sd);
    std::copy(st2.begin(), st2.end(), s2.begin() + static_cast<long>(next) * sd);
    std::copy(ac.begin(), ac.end(), a.begin() + static_cast<long>(next) * ad);
    r[static_cast<std::size_t>(next)] = rew;
    done[static_cast<std::size_t>(next)] = d ? 1.0f : 0.0f;
    next = (next + 1) % cap;
    size = std::min(size + 1, cap);
  }
};

// Demonstrations (DDPG from demonstrations, Vecerik et al. 2017): the decision sequences of
// the obvious plans, written in the agent's own action space and replayed before it
// explores, so that its replay buffer and its best-so-far hold them from the start. Every
// volume gets the same action: all rows on device d (a_i = -1 below d, +1 from d on), an
// equal split, and a split proportional to each device's speed (1 / its latency alone).
std::vector<std::vector<float>> demonstration_actions(const std::vector<double>& alone_ms) {
  const int n = static_cast<int>(alone_ms.size());
  const int ad = std::max(1, n - 1);
  std::vector<std::vector<float>> out;
  for (int d = 0; d < n; ++d) {
    std::vector<float> a(static_cast<std::size_t>(ad), 1.0f);
    for (int i = 0; i < std::min(d, ad); ++i) a[static_cast<std::size_t>(i)] = -1.0f;
    out.push_back(a);
  }
  if (n < 2) return out;
  std::vector<float> equal, speed;
  double total = 0, acc = 0;
  for (double t : alone_ms) total += std::isfinite(t) && t > 0 ? 1 / t : 0;
  for (int i = 0; i < ad; ++i) {
    equal.push_back(static_cast<float>(2.0 * (i + 1) / n - 1));
    const double t = alone_ms[static_cast<std::size_t>(i)];
    acc += std::isfinite(t) && t > 0 ? 1 / t : 0;
    speed.push_back(total > 0 ? static_cast<float>(2 * acc / total - 1) : equal.back());
  }
  out.push_back(equal);
  out.push_back(speed);
  return out;
}

double normal(std::mt19937_64& rng) {  // Box-Muller on our own uniform draws: portable
  const double u1 = (static_cast<double>(rng() >> 11) + 1.0) / 9007199254740993.0;
  const double u2 = static_cast<double>(rng() >> 11) / 9007199254740992.0;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

}  // namespace

void check_options(const DistrEdgeOptions& o) {
  if (o.episodes < 1) throw Error("--episodes must be at least 1");
  if (o.budget_s < 0) throw Error("--budget-s must not be negative");
  if (!(o.alpha >= 0 && o.alpha <= 1)) throw Error("--alpha must be in [0, 1]");
  if (o.batch < 1) throw Error("the batch size must be at least 1");
  if (!(o.gamma >= 0 && o.gamma <= 1)) throw Error("gamma must be in [0, 1]");
  if (!(o.lr_actor > 0) || !(o.lr_critic > 0)) throw Error("learning rates must be positive");
  if (!(o.tau > 0 && o.tau <= 1)) throw Error("tau must be in (0, 1]");
  if (o.replay < o.batch) throw Error("the replay buffer must hold at least one batch");
  if (o.noise_var < 0 && o.noise_var != -1) throw Error("the exploration noise variance must not be negative");
  if (!(o.eps_scale > 0)) throw Error("the exploration schedule scale must be positive");
  if (o.threads < 1) throw Error("--threads must be at least 1");
}

std::unique_ptr<Planner> DistrEdgePlanner::from_spec(const std::string& spec) {
  DistrEdgeOptions o;
  o.budget_s = 10;  // the paper's 4000 episodes, or 10 s of training, whichever comes first
  SpecSettings set(spec);
  set.each("episodes, budget_s, alpha, seed, demos", [&](const std::string& key) {
    if (key == "episodes") o.episodes = static_cast<int>(set.whole(1, 1e8));
    else if (key == "budget_s") o.budget_s = set.number();
    else if (key == "alpha") o.alpha = set.number();
    else if (key == "seed") o.seed = static_cast<std::uint64_t>(set.whole(0, 9007199254740992.0));
    else if (key == "demos") o.demonstrations = set.whole(0, 1) == 1;
    else return false;
    return true;
  });
  check_options(o);
  return std::make_unique<DistrEdgePlanner>(o);
}

std::string DistrEdgePlanner::settings_json() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"episodes\": %d, \"budget_s\": %g, \"alpha\": %g, \"seed\": %llu, \"batch\": %d, \"tau\": %g, "
                "\"replay\": %d, \"demonstrations\": %s}",
                options_.episodes, options_.budget_s, options_.alpha, static_cast<unsigned long long>(options_.seed),
                options_.batch, options_.tau, options_.replay, options_.demonstrations ? "true" : "false");
  return buf;
}

namespace {

// Reads a policy written by train_distredge into `actor` and `critic`. Every failure (not a
// libtorch archive, a missing key, a network of another shape) is one line naming the file.
void load_policy(const std::string& path, int sd, int ad, torch::nn::Sequential& actor, torch::nn::Sequential& critic) {
  torch::serialize::InputArchive in;
  try {
    in.load_from(path);
  } catch (const std::exception&) {
    throw Error(path + ": cannot read policy file (not a libtorch archive written by edgeplan train)");
  }
  std::string part = "dims";
  try {
    torch::Tensor dims;
    in.read("dims", dims);
    if (dims.numel() != 2 || dims[0].item<int64_t>() != sd || dims[1].item<int64_t>() != ad)
      throw Error(path + ": the policy was trained for a different number of devices or volumes");
    for (auto [name, module] : {std::pair<const char*, torch::nn::Sequential*>{"actor", &actor}, {"critic", &critic}}) {
      part = name;
      const auto want = parameter_shapes(*module);
      torch::serialize::InputArchive sub;
      in.read(name, sub);
      (*module)->load(sub);
      if (parameter_shapes(*module) != want) throw Error(path + ": '" + part + "' has parameters of the wrong shape");
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string first = e.what();
    first = first.substr(0, first.find('\n'));
    if (first.size() > 160) first = first.substr(0, 160) + "...";
    throw Error(path + ": policy field '" + part + "' is missing or does not fit this network (" + first + ")");
  }
}

}  // namespace

TrainResult train_distredge(const PlanningContext& ctx, const DistrEdgeOptions& o,
                            const std::function<void(const TrainProgress&)>& progress, const std::string& policy_path,
                            const std::string& resume_path) {
  check_options(o);
  const auto start = Clock::now();
  // One thread (by default) for libtorch and its BLAS: reproducible (same seed, same result), and for
  // these small layers 2.8x faster than OpenBLAS's spinning pool; keeping freed memory
  // avoids a page fault storm on every minibatch.
  const ScopedComputeThreads compute_threads(o.threads);
  keep_freed_memory_for_reuse();
  torch::manual_seed(o.seed);
  std::mt19937_64 rng(o.seed);
  TrainResult res;
  LcpssOptions lo;
  lo.alpha = o.alpha;
  lo.devices = ctx.device_count();
  lo.seed = o.seed;
  res.boundaries = lcpss_partition(ctx.graph, lo);
  std::vector<LayerRange> lvs;
  for (std::size_t i = 0; i + 1 < res.boundaries.size(); ++i) lvs.push_back({res.boundaries[i], res.boundaries[i + 1]});
  std::vector<double> alone;  // each device running the whole model
  for (int d = 0; d < ctx.device_count(); ++d) {
    Plan p = detail::empty_plan(ctx, d);
    detail::add_row_volume(ctx, p, LayerRange{0, ctx.graph.body_end()}, {d}, {ctx.graph.layer(ctx.graph.body_end() - 1).out.h});
    alone.push_back(ctx.sim.latency_ms(p));
  }
  const double single = *std::min_element(alone.begin(), alone.end());
  const std::vector<std::vector<float>> demos = o.demonstrations ? demonstration_actions(alone) : std::vector<std::vector<float>>{};
  const int n_demos = static_cast<int>(demos.size());
  Env env(ctx, lvs, single);
  const int sd = env.state_dim(), ad = env.action_dim();
  auto actor = make_actor(sd, ad), critic = make_critic(sd, ad);
  auto actor_t = make_actor(sd, ad), critic_t = make_critic(sd, ad);
  if (!resume_path.empty()) load_policy(resume_path, sd, ad, actor, critic);
  copy_params(actor_t, actor, 1.0);
  copy_params(critic_t, critic, 1.0);
  torch::optim::Adam actor_opt(actor->parameters(), torch::optim::AdamOptions(o.lr_actor));
  torch::optim::Adam critic_opt(critic->parameters(), torch::optim::AdamOptions(o.lr_critic));
  Replay replay(o.replay, sd, ad);
  const double var = o.noise_var >= 0 ? o.noise_var : (ctx.device_count() <= 4 ? 0.1 : 1.0);
  res.best_ms = 1e300;

  for (int ep = 0; ep < o.episodes; ++ep) {
    if (o.budget_s > 0 && std::chrono::duration<double>(Clock::now() - start).count() > o.budget_s) break;
    const bool demo = ep < n_demos;
    const double eps = std::max(0.0, 1.0 - std::pow((ep - n_demos) / o.eps_scale, 2));
    const bool explore = !demo && static_cast<double>(rng() >> 11) / 9007199254740992.0 < eps;
    env.reset();
    std::vector<std::vector<float>> states, actions;
    for (std::size_t l = 0; l < lvs.size(); ++l) {
      std::vector<float> s = env.state(l);
      std::vector<float> a = demo ? demos[static_cast<std::size_t>(ep)] : act(actor, s, ad);
      if (explore)
        for (float& x : a) x = static_cast<float>(std::clamp(x + std::sqrt(var) * normal(rng), -1.0, 1.0));
      env.step(l, a);
      states.push_back(s);
      actions.push_back(a);
    }
    const Plan plan = env.plan();
    const double ms = ctx.sim.latency_ms(plan);
    const float reward = static_cast<float>(std::isfinite(ms) && ms > 0 ? single / ms : 0.0);
    for (std::size_t l = 0; l < lvs.size(); ++l) {
      const bool last = l + 1 == lvs.size();
      replay.add(states[l], actions[l], last ? reward : 0.0f, last ? states[l] : states[l + 1], last);
    }
    if (ms < res.best_ms) {
      res.best_ms = ms;
      res.best_plan = plan;
    }
    res.episode_ms.push_back(ms);
    res.best_ms_curve.push_back(res.best_ms);
    // One gradient step per MDP step, once a batch is available.
    for (std::size_t k = 0; k < lvs.size() && replay.size >= o.batch; ++k) {
      std::vector<int64_t> idx(static_cast<std::size_t>(o.batch));
      for (int64_t& i : idx) i = static_cast<int64_t>(rng() % static_cast<std::uint64_t>(replay.size));
      const torch::Tensor ix = torch::tensor(idx);
      const torch::Tensor S = torch::from_blob(replay.s.data(), {replay.cap, sd}).index_select(0, ix);
      const torch::Tensor A = torch::from_blob(replay.a.data(), {replay.cap, ad}).index_select(0, ix);
      const torch::Tensor R = torch::from_blob(replay.r.data(), {replay.cap, 1}).index_select(0, ix);
      const torch::Tensor S2 = torch::from_blob(replay.s2.data(), {replay.cap, sd}).index_select(0, ix);
      const torch::Tensor D = torch::from_blob(replay.done.data(), {replay.cap, 1}).index_select(0, ix);
      torch::Tensor target;
      {
        torch::NoGradGuard no_grad;
        target = R + o.gamma * (1 - D) * critic_t->forward(torch::cat({S2, actor_t->forward(S2)}, 1));
      }
      critic_opt.zero_grad();
      torch::mse_loss(critic->forward(torch::cat({S, A}, 1)), target).backward();
      critic_opt.step();
      // The actor's gradient flows through the critic's input; the critic's own weight
      // gradients would be discarded, so they are not computed (same result, less work).
      for (auto& p : critic->parameters()) p.set_requires_grad(false);
      actor_opt.zero_grad();
      (-critic->forward(torch::cat({S, actor->forward(S)}, 1)).mean()).backward();
      actor_opt.step();
      for (auto& p : critic->parameters()) p.set_requires_grad(true);
      copy_params(actor_t, actor, o.tau);
      copy_params(critic_t, critic, o.tau);
    }
    res.episodes = ep + 1;
    res.elapsed_s.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    if (progress) progress(TrainProgress{ep + 1, o.episodes, ms, res.best_ms});
  }
  // The trained actor's own plan: one rollout without exploration noise or demonstrations.
  env.reset();
  for (std::size_t l = 0; l < lvs.size(); ++l) env.step(l, act(actor, env.state(l), ad));
  res.policy_plan = env.plan();
  res.policy_ms = ctx.sim.latency_ms(res.policy_plan);
  if (!policy_path.empty()) {
    torch::serialize::OutputArchive out, a_out, c_out;
    actor->save(a_out);
    critic->save(c_out);
    out.write("dims", torch::tensor({static_cast<int64_t>(sd), static_cast<int64_t>(ad)}));
    out.write("actor", a_out);
    out.write("critic", c_out);
    const std::string tmp = policy_path + ".tmp";
    try {
      out.save_to(tmp);
    } catch (const c10::Error&) {
      std::remove(tmp.c_str());
      throw Error(policy_path + ": cannot write policy file");
    }
    if (std::rename(tmp.c_str(), policy_path.c_str()) != 0) {
      std::remove(tmp.c_str());
      throw Error(policy_path + ": cannot move the finished policy into place");
    }
  }
  res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return res;
}

}  // namespace edgeplan
