// Even and seeded-random plans: the reference split for `verify` and the generator for tests.
#include "edgeplan/strategy/simple_plans.h"

#include <algorithm>
#include <random>

namespace edgeplan {

namespace {

// Splits [0, n) into `parts` consecutive intervals whose sizes differ by at most one.
std::vector<Interval> even_intervals(int n, int parts) {
  std::vector<Interval> out;
  for (int i = 0; i < parts; ++i) {
    Interval iv{static_cast<int>(static_cast<long long>(n) * i / parts),
                static_cast<int>(static_cast<long long>(n) * (i + 1) / parts)};
    if (!iv.empty()) out.push_back(iv);
  }
  return out;
}

// Deterministic integer in [lo, hi] independent of the standard library's distributions.
int uniform_int(std::mt19937_64& rng, int lo, int hi) {
  const auto span = static_cast<std::uint64_t>(hi - lo + 1);
  return lo + static_cast<int>(rng() % span);
}

// `count` distinct sorted values from [lo, hi].
std::vector<int> distinct_sorted(std::mt19937_64& rng, int lo, int hi, int count) {
  std::vector<int> pool;
  for (int v = lo; v <= hi; ++v) pool.push_back(v);
  for (int i = 0; i < count; ++i)
    std::swap(pool[static_cast<std::size_t>(i)], pool[static_cast<std::size_t>(uniform_int(rng, i, static_cast<int>(pool.size()) - 1))]);
  pool.resize(static_cast<std::size_t>(count));
  std::sort(pool.begin(), pool.end());
  return pool;
}

// Random uneven split of [0, n) into `parts` non-empty intervals.
std::vector<Interval> random_intervals(std::mt19937_64& rng, int n, int parts) {
  std::vector<int> cuts = distinct_sorted(rng, 1, n - 1, parts - 1);
  std::vector<Interval> out;
  int prev = 0;
  for (int c : cuts) {
    out.push_back(Interval{prev, c});
    prev = c;
  }
  out.push_back(Interval{prev, n});
  return out;
}

Tail tail_for(const Graph& graph, const std::string& device) { return Tail{LayerRange{graph.body_end(), graph.size()}, device}; }

}  // namespace

std::vector<std::string> numbered_devices(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("d" + std::to_string(i));
  return out;
}

std::vector<LayerRange> per_layer_volumes(const Graph& graph) {
  std::vector<LayerRange> out;
  for (int i = 0; i < graph.body_end(); ++i) out.push_back(LayerRange{i, i + 1});
  return out;
}

Plan make_even_plan(const Graph& graph, const std::vector<std::string>& devices, const std::vector<LayerRange>& volumes) {
  if (devices.empty()) throw PlanError("an even split needs at least one device");
  Plan p;
  set_plan_model(p, graph);
  p.devices = devices;
  for (const LayerRange& r : volumes) {
    Volume v;
    v.layers = r;
    const Shape& out = graph.layer(v.anchor()).out;
    const auto rows = even_intervals(out.h, static_cast<int>(devices.size()));
    for (std::size_t i = 0; i < rows.size(); ++i) v.parts.push_back(Part{devices[i], Region{rows[i], Interval{0, out.w}}});
    p.volumes.push_back(std::move(v));
  }
  if (graph.body_end() < graph.size()) p.tail = tail_for(graph, devices.front());
  validate_plan(p, graph);
  return p;
}

Plan make_random_plan(const Graph& graph, std::uint64_t seed, const RandomPlanOptions& options) {
  std::mt19937_64 rng(seed);
  const int body = graph.body_end();
  const int max_parts = std::max(1, options.max_parts);
  Plan p;
  set_plan_model(p, graph);
  p.devices = numbered_devices(max_parts);
  const int n_vol = uniform_int(rng, 1, std::max(1, std::min(options.max_volumes, body)));
  std::vector<int> bounds = distinct_sorted(rng, 1, body - 1, n_vol - 1);
  bounds.insert(bounds.begin(), 0);
  bounds.push_back(body);
  for (std::size_t i = 0; i + 1 < bounds.size(); ++i) {
    Volume v;
    v.layers = LayerRange{bounds[i], bounds[i + 1]};
    const Shape& out = graph.layer(v.anchor()).out;
    const bool tiles = out.w >= 2 && out.h >= 2 && max_parts >= 2 &&
                       static_cast<double>(rng() % 1000000) / 1e6 < options.tile_probability;
    std::vector<Interval> rows, cols;
    if (tiles) {
      const int gr = uniform_int(rng, 1, std::min(out.h, max_parts));
      const int gc = uniform_int(rng, 1, std::min(out.w, std::max(1, max_parts / gr)));
      rows = random_intervals(rng, out.h, gr);
      cols = random_intervals(rng, out.w, gc);
    } else {
      rows = random_intervals(rng, out.h, uniform_int(rng, 1, std::min(out.h, max_parts)));
      cols = {Interval{0, out.w}};
    }
    for (const Interval& r : rows)
      for (const Interval& c : cols)
        v.parts.push_back(Part{p.devices[static_cast<std::size_t>(uniform_int(rng, 0, max_parts - 1))], Region{r, c}});
    p.volumes.push_back(std::move(v));
  }
  if (body < graph.size()) p.tail = tail_for(graph, p.devices[static_cast<std::size_t>(uniform_int(rng, 0, max_parts - 1))]);
  validate_plan(p, graph);
  return p;
}

}  // namespace edgeplan
