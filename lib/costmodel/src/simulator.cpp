// Plan compilation into a dependency graph of parts and transfers, and its event-driven timing.
#include "edgeplan/costmodel/simulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace edgeplan {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::int64_t area(const Region& r) { return std::int64_t{r.rows.size()} * r.cols.size(); }

// One unit of work on one device: a part of a volume, the tail, or a pseudo node (the
// input image at time 0, the result arriving at the output device).
struct Node {
  int device = 0;
  int volume = 0;
  double compute_ms = 0;
  bool pseudo = false;
  int pending = 0;
  double ready = 0;
  int next_on_device = -1;
  std::int64_t activation_bytes = 0;
};

struct Edge {
  int src = 0, dst = 0;
  std::int64_t bytes = 0;
};

struct Event {
  double time;
  std::uint64_t seq;
  int node;   // >= 0: node ends; < 0: edge ~node arrives
  bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

}  // namespace

struct Simulator::Impl {
  const Graph& graph;
  std::unique_ptr<ProfileCostModel> owned_cost;
  const LayerCostModel& cost;
  const NetworkModel& network;
  SimulatorConfig config;
  std::optional<LowerBound> bound;  // on first use: an LP per simulator is too dear for callers that never ask
  std::vector<int> last_consumer;  // per tensor id + 1

  // Scratch reused between calls (no allocation once warmed up).
  std::vector<Node> nodes;
  std::vector<Edge> edges;
  std::vector<int> out_begin, out_edges;  // CSR of edges by source node
  std::vector<int> volume_node_begin;     // first node of each volume (+ one past the last)
  std::vector<int> vol_of_layer;
  std::vector<Region> need;               // per tensor id + 1
  std::vector<int> externals;
  std::vector<int> live;
  std::vector<int> device_head, device_tail;
  std::vector<char> busy;
  std::vector<double> resource_free;
  ChannelLoad channel;                    // a Wi-Fi channel's capacity in use over time
  std::vector<Event> heap;
  std::vector<int> plan_device;           // plan device index -> simulator device
  std::vector<double> edge_start, edge_end;  // for the timeline
  std::vector<double> node_start, node_end;

  Impl(const Graph& g, std::unique_ptr<ProfileCostModel> own, const LayerCostModel& c, const NetworkModel& n,
       SimulatorConfig cfg)
      : graph(g), owned_cost(std::move(own)), cost(c), network(n), config(std::move(cfg)) {
    const int nd = static_cast<int>(config.device_ids.size());
    if (nd == 0 || nd != cost.device_count() || nd != network.device_count())
      throw ScenarioError("simulator: device count differs between devices, cost model and network");
    if (config.input_device < 0 || config.input_device >= nd || config.output_device < 0 || config.output_device >= nd)
      throw ScenarioError("simulator: input or output device out of range");
    config.memory_bytes.resize(static_cast<std::size_t>(nd), 0);
    if (config.compute_devices < 0) config.compute_devices = nd;
    if (config.compute_devices == 0 || config.compute_devices > nd) throw ScenarioError("simulator: no device computes");
    last_consumer.assign(static_cast<std::size_t>(graph.size() + 1), -1);
    for (int i = 0; i < graph.size(); ++i)
      for (int t : graph.layer(i).inputs) last_consumer[static_cast<std::size_t>(t + 1)] = i;
    need.assign(static_cast<std::size_t>(graph.size() + 1), Region{});
    vol_of_layer.assign(static_cast<std::size_t>(graph.size()), -1);
    device_head.resize(static_cast<std::size_t>(nd));
    device_tail.resize(static_cast<std::size_t>(nd));
    busy.resize(static_cast<std::size_t>(nd));
    resource_free.resize(static_cast<std::size_t>(network.resource_count()));
  }

  int add_node(int device, int volume, bool pseudo) {
    Node& n = nodes.emplace_back();
    n.device = device;
    n.volume = volume;
    n.pseudo = pseudo;
    return static_cast<int>(nodes.size()) - 1;
  }

  void add_edge(int src, int dst, std::int64_t bytes) {
    if (bytes <= 0) return;
    edges.push_back(Edge{src, dst, bytes});
    nodes[static_cast<std::size_t>(dst)].pending++;
  }

  bool is_live_out(int t, const LayerRange& r) const {
    return r.contains(t) && (last_consumer[static_cast<std::size_t>(t + 1)] >= r.last || t == graph.size() - 1);
  }

  // Edges carrying `want` of tensor t (produced by an earlier volume, or the image) to `dst`.
  void add_inputs_from_owners(const Plan& plan, int t, const Region& want, int dst) {
    const int bpe = config.elements.of(t);
    const std::int64_t channels = graph.tensor_shape(t).c;
    if (t == kModelInput) {
      add_edge(0, dst, area(want) * channels * bpe);
      return;
    }
    const int u = vol_of_layer[static_cast<std::size_t>(t)];
    const Volume& vu = plan.volumes[static_cast<std::size_t>(u)];
    const Shape& anchor = graph.layer(vu.anchor()).out;
    const Shape& shape = graph.tensor_shape(t);
    for (std::size_t k = 0; k < vu.parts.size(); ++k) {
      const Region owned = scale_region(vu.parts[k].region, anchor, shape);
      const Region overlap{intersect(owned.rows, want.rows), intersect(owned.cols, want.cols)};
      if (!overlap.empty()) add_edge(volume_node_begin[static_cast<std::size_t>(u)] + static_cast<int>(k), dst, area(overlap) * channels * bpe);
    }
  }

  // Builds nodes and edges for the plan. Assumes the plan is valid for the graph.
  void compile(const Plan& plan) {
    nodes.clear();
    edges.clear();
    volume_node_begin.clear();
    plan_device.clear();
    for (const std::string& id : plan.devices) {
      auto it = std::find(config.device_ids.begin(), config.device_ids.end(), id);
      if (it == config.device_ids.end()) throw PlanError("plan device '" + id + "' is not a device of the scenario");
      plan_device.push_back(static_cast<int>(it - config.device_ids.begin()));
    }
    auto device_of = [&](const std::string& id) {
      for (std::size_t i = 0; i < plan.devices.size(); ++i)
        if (plan.devices[i] == id) {
          if (plan_device[i] >= config.compute_devices) throw PlanError("device '" + id + "' does not compute (it only sends or receives)");
          return plan_device[i];
        }
      throw PlanError("unknown device '" + id + "'");
    };
    const int bpe = config.elements.activation_bytes();
    add_node(config.input_device, -1, true);  // node 0: the image
    for (std::size_t v = 0; v < plan.volumes.size(); ++v) {
      const Volume& vol = plan.volumes[v];
      for (int l = vol.layers.first; l < vol.layers.last; ++l) vol_of_layer[static_cast<std::size_t>(l)] = static_cast<int>(v);
      volume_node_begin.push_back(static_cast<int>(nodes.size()));
      const Shape& anchor = graph.layer(vol.anchor()).out;
      live.clear();
      for (int t = vol.layers.first; t < vol.layers.last; ++t)
        if (is_live_out(t, vol.layers)) live.push_back(t);
      for (const Part& part : vol.parts) {
        const int node = add_node(device_of(part.device), static_cast<int>(v), false);
        // Owned regions of the volume's outputs, then the receptive field back through it.
        for (int t : live) need[static_cast<std::size_t>(t + 1)] = scale_region(part.region, anchor, graph.tensor_shape(t));
        externals.clear();
        double compute = 0;
        std::int64_t act = 0, moved = 0;
        int layers_run = 0;
        for (int t : live) moved += area(need[static_cast<std::size_t>(t + 1)]) * graph.tensor_shape(t).c * bpe;
        for (int l = vol.layers.last - 1; l >= vol.layers.first; --l) {
          Region& r = need[static_cast<std::size_t>(l + 1)];
          if (r.empty()) continue;
          const Layer& layer = graph.layer(l);
          const int d = nodes[static_cast<std::size_t>(node)].device;
          ++layers_run;
          compute += cost.layer_ms(d, l, static_cast<double>(r.rows.size()) * r.cols.size() / layer.out.w);
          act += area(r) * layer.out.c * bpe;
          for (int t : layer.inputs) {
            const Shape& s = graph.tensor_shape(t);
            const Region in = input_region(layer, r, s);
            Region& acc = need[static_cast<std::size_t>(t + 1)];
            if (!vol.layers.contains(t) && acc.empty() && !in.empty()) externals.push_back(t);
            acc = hull(acc, in);
          }
        }
        for (int t : externals) {
          const Region& want = need[static_cast<std::size_t>(t + 1)];
          act += area(want) * graph.tensor_shape(t).c * config.elements.of(t);
          moved += area(want) * graph.tensor_shape(t).c * config.elements.of(t);
          add_inputs_from_owners(plan, t, want, node);
          need[static_cast<std::size_t>(t + 1)] = Region{};
        }
        for (int l = vol.layers.first; l < vol.layers.last; ++l) need[static_cast<std::size_t>(l + 1)] = Region{};
        nodes[static_cast<std::size_t>(node)].compute_ms =
            compute + cost.part_overhead_ms(nodes[static_cast<std::size_t>(node)].device, layers_run, static_cast<double>(moved));
        nodes[static_cast<std::size_t>(node)].activation_bytes = act;
      }
    }
    volume_node_begin.push_back(static_cast<int>(nodes.size()));
    const int n_vol = static_cast<int>(plan.volumes.size());
    int last_node;
    if (plan.tail) {
      const LayerRange& tr = plan.tail->layers;
      const int node = add_node(device_of(plan.tail->device), n_vol, false);
      double compute = 0;
      std::int64_t act = 0, moved = 0;
      for (int l = tr.first; l < tr.last; ++l) {
        compute += cost.layer_ms(nodes[static_cast<std::size_t>(node)].device, l, graph.layer(l).out.h);
        act += graph.layer(l).out.elements() * bpe;
        for (int t : graph.layer(l).inputs)
          if (t < tr.first) {
            add_inputs_from_owners(plan, t, full_region(graph.tensor_shape(t)), node);
            act += graph.tensor_shape(t).elements() * config.elements.of(t);
            moved += graph.tensor_shape(t).elements() * config.elements.of(t);
          }
      }
      compute += cost.part_overhead_ms(nodes[static_cast<std::size_t>(node)].device, tr.last - tr.first, static_cast<double>(moved));
      nodes[static_cast<std::size_t>(node)].compute_ms = compute;
      nodes[static_cast<std::size_t>(node)].activation_bytes = act;
      last_node = add_node(config.output_device, n_vol + 1, true);
      add_edge(node, last_node, graph.layer(graph.size() - 1).out.elements() * bpe);
    } else {
      last_node = add_node(config.output_device, n_vol + 1, true);
      const int t = graph.size() - 1;
      add_inputs_from_owners(plan, t, full_region(graph.tensor_shape(t)), last_node);
    }
    // Edges grouped by source (counting sort) for release on completion.
    out_begin.assign(nodes.size() + 1, 0);
    for (const Edge& e : edges) out_begin[static_cast<std::size_t>(e.src + 1)]++;
    for (std::size_t i = 1; i < out_begin.size(); ++i) out_begin[i] += out_begin[i - 1];
    out_edges.resize(edges.size());
    std::vector<int>& fill = externals;  // reuse as a cursor array
    fill.assign(out_begin.begin(), out_begin.end() - 1);
    for (std::size_t e = 0; e < edges.size(); ++e) out_edges[static_cast<std::size_t>(fill[static_cast<std::size_t>(edges[e].src)]++)] = static_cast<int>(e);
  }

  void push(double time, int id, std::uint64_t& seq) {
    heap.push_back(Event{time, seq++, id});
    std::push_heap(heap.begin(), heap.end(), std::greater<Event>());
  }

  // Runs the events; returns the end-to-end latency. Fills timing arrays when `record`.
  double run(bool record) {
    const int nd = static_cast<int>(device_head.size());
    std::fill(device_head.begin(), device_head.end(), -1);
    std::fill(device_tail.begin(), device_tail.end(), -1);
    std::fill(busy.begin(), busy.end(), 0);
    std::fill(resource_free.begin(), resource_free.end(), 0.0);
    channel.reset();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      Node& n = nodes[i];
      n.ready = 0;
      n.next_on_device = -1;
      if (n.pseudo) continue;
      const auto d = static_cast<std::size_t>(n.device);
      if (device_tail[d] < 0) device_head[d] = static_cast<int>(i);
      else nodes[static_cast<std::size_t>(device_tail[d])].next_on_device = static_cast<int>(i);
      device_tail[d] = static_cast<int>(i);
    }
    if (record) {
      node_start.assign(nodes.size(), 0);
      node_end.assign(nodes.size(), 0);
      edge_start.assign(edges.size(), 0);
      edge_end.assign(edges.size(), 0);
    }
    (void)nd;
    heap.clear();
    std::uint64_t seq = 0;
    const int sink = static_cast<int>(nodes.size()) - 1;
    double latency = kInf;
    auto try_start = [&](int d, double now) {
      const int head = device_head[static_cast<std::size_t>(d)];
      if (head < 0 || busy[static_cast<std::size_t>(d)]) return;
      const Node& n = nodes[static_cast<std::size_t>(head)];
      if (n.pending > 0) return;
      busy[static_cast<std::size_t>(d)] = 1;
      const double end = now + n.compute_ms;
      if (record) {
        node_start[static_cast<std::size_t>(head)] = now;
        node_end[static_cast<std::size_t>(head)] = end;
      }
      push(end, head, seq);
    };
    auto arrive_now = [&](int e, double now) {
      const Edge& edge = edges[static_cast<std::size_t>(e)];
      Node& dst = nodes[static_cast<std::size_t>(edge.dst)];
      dst.ready = std::max(dst.ready, now);
      if (--dst.pending == 0) {
        if (edge.dst == sink) latency = now;
        else try_start(dst.device, now);
      }
    };
    push(0.0, 0, seq);
    for (int d = 0; d < static_cast<int>(device_head.size()); ++d) try_start(d, 0.0);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<Event>());
      const Event ev = heap.back();
      heap.pop_back();
      if (ev.time == kInf) break;
      if (ev.node >= 0) {
        const Node& n = nodes[static_cast<std::size_t>(ev.node)];
        for (int k = out_begin[static_cast<std::size_t>(ev.node)]; k < out_begin[static_cast<std::size_t>(ev.node) + 1]; ++k) {
          const int e = out_edges[static_cast<std::size_t>(k)];
          const Edge& edge = edges[static_cast<std::size_t>(e)];
          const int dst_dev = nodes[static_cast<std::size_t>(edge.dst)].device;
          double arrive = ev.time, start = ev.time, end = ev.time;
          if (dst_dev != n.device) {
            const Route& route = network.route(n.device, dst_dev);
            for (int i = 0; i < route.n_resources; ++i)
              start = std::max(start, resource_free[static_cast<std::size_t>(route.resources[static_cast<std::size_t>(i)])]);
            end = route.on_channel ? channel.commit(network, route, ev.time, start, static_cast<double>(edge.bytes))
                                   : network.transfer_end(route, start, static_cast<double>(edge.bytes));
            for (int i = 0; i < route.n_resources; ++i) resource_free[static_cast<std::size_t>(route.resources[static_cast<std::size_t>(i)])] = end;
            arrive = end + route.latency_ms;
          }
          if (record) {
            edge_start[static_cast<std::size_t>(e)] = start;
            edge_end[static_cast<std::size_t>(e)] = end;
          }
          if (dst_dev == n.device) arrive_now(e, ev.time);  // local data: no event needed
          else push(arrive, ~e, seq);
        }
        if (!n.pseudo) {
          busy[static_cast<std::size_t>(n.device)] = 0;
          device_head[static_cast<std::size_t>(n.device)] = n.next_on_device;
          try_start(n.device, ev.time);
        }
      } else {
        arrive_now(~ev.node, ev.time);
      }
      if (latency < kInf) break;
    }
    // A sink with no incoming data (output device computed everything itself, no tail) can
    // only happen when the model output is produced locally: the last part's end.
    if (nodes[static_cast<std::size_t>(sink)].pending == 0 && latency == kInf) latency = 0;
    return latency;
  }
};

Simulator::Simulator(const Graph& graph, const LayerCostModel& cost, const NetworkModel& network, SimulatorConfig config)
    : impl_(std::make_unique<Impl>(graph, nullptr, cost, network, std::move(config))) {}

namespace {
SimulatorConfig config_of(const Scenario& s) {
  SimulatorConfig c;
  c.device_ids = s.device_ids();
  c.input_device = s.input_device;
  c.output_device = s.output_device;
  c.compute_devices = s.compute_devices;
  c.elements = s.elements;
  for (const auto& d : s.devices) c.memory_bytes.push_back(d.computes ? d.profile.memory_bytes : 0);
  return c;
}
std::unique_ptr<ProfileCostModel> cost_of(const Scenario& s) {
  std::vector<const DeviceProfile*> profiles;
  for (const auto& d : s.devices) profiles.push_back(d.computes ? &d.profile : nullptr);
  return std::make_unique<ProfileCostModel>(s.graph, profiles);
}
}  // namespace

Simulator::Simulator(const Scenario& s) {
  auto cost = cost_of(s);
  const LayerCostModel& ref = *cost;
  impl_ = std::make_unique<Impl>(s.graph, std::move(cost), ref, s.network, config_of(s));
}

Simulator::~Simulator() = default;
Simulator::Simulator(Simulator&&) noexcept = default;

const LowerBound& Simulator::lower_bound() const {
  if (!impl_->bound) impl_->bound = compute_lower_bound(impl_->graph, impl_->cost, impl_->network, impl_->config);
  return *impl_->bound;
}
double Simulator::lower_bound_ms() const { return lower_bound().ms; }
const Graph& Simulator::graph() const { return impl_->graph; }
const LayerCostModel& Simulator::cost_model() const { return impl_->cost; }
const SimulatorConfig& Simulator::config() const { return impl_->config; }
const NetworkModel& Simulator::network() const { return impl_->network; }

double Simulator::latency_ms(const Plan& plan) const {
  impl_->compile(plan);
  return impl_->run(false);
}

SimResult Simulator::simulate(const Plan& plan) const {
  Impl& m = *impl_;
  validate_plan(plan, m.graph);
  m.compile(plan);
  SimResult r;
  r.latency_ms = m.run(true);
  r.lower_bound_ms = lower_bound_ms();
  const int nd = static_cast<int>(m.config.device_ids.size());
  r.devices.resize(static_cast<std::size_t>(nd));
  r.link_bytes.assign(static_cast<std::size_t>(nd * nd), 0);
  r.backbone_bytes.assign(static_cast<std::size_t>(m.network.backbone_count()), 0);
  for (int d = 0; d < nd; ++d) {
    r.devices[static_cast<std::size_t>(d)].id = m.config.device_ids[static_cast<std::size_t>(d)];
    r.devices[static_cast<std::size_t>(d)].memory_capacity_bytes = m.config.memory_bytes[static_cast<std::size_t>(d)];
  }
  // Weights a device must hold: every layer it computes any part of.
  std::vector<char> holds(static_cast<std::size_t>(nd * m.graph.size()), 0);
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    const Node& n = m.nodes[i];
    if (n.pseudo) continue;
    DeviceUsage& u = r.devices[static_cast<std::size_t>(n.device)];
    u.parts++;
    u.compute_ms += n.compute_ms;
    u.finish_ms = std::max(u.finish_ms, m.node_end[i]);
    u.peak_memory_bytes = std::max(u.peak_memory_bytes, n.activation_bytes);
    const LayerRange range = n.volume < static_cast<int>(plan.volumes.size()) ? plan.volumes[static_cast<std::size_t>(n.volume)].layers
                                                                             : plan.tail->layers;
    for (int l = range.first; l < range.last; ++l) holds[static_cast<std::size_t>(n.device * m.graph.size() + l)] = 1;
    r.timeline.push_back({TimelineEvent::Kind::Compute, n.device, m.node_start[i], m.node_end[i], n.volume, -1, 0});
  }
  for (int d = 0; d < nd; ++d) {
    DeviceUsage& u = r.devices[static_cast<std::size_t>(d)];
    for (int l = 0; l < m.graph.size(); ++l)
      if (holds[static_cast<std::size_t>(d * m.graph.size() + l)]) {
        u.peak_memory_bytes += m.graph.params(l) * m.config.elements.activation_bytes();
        u.fallback_layers += m.cost.uses_fallback(d, l) ? 1 : 0;
      }
    u.fits = u.memory_capacity_bytes <= 0 || u.peak_memory_bytes <= u.memory_capacity_bytes;
    r.fits_memory = r.fits_memory && u.fits;
  }
  for (std::size_t e = 0; e < m.edges.size(); ++e) {
    const Edge& edge = m.edges[e];
    const int a = m.nodes[static_cast<std::size_t>(edge.src)].device, b = m.nodes[static_cast<std::size_t>(edge.dst)].device;
    if (a == b) continue;
    r.transfers++;
    r.total_bytes += edge.bytes;
    r.link_bytes[static_cast<std::size_t>(a * nd + b)] += edge.bytes;
    const Route& route = m.network.route(a, b);
    for (int i = 0; i < route.n_resources; ++i)
      if (const int k = m.network.backbone_of(route.resources[static_cast<std::size_t>(i)]); k >= 0)
        r.backbone_bytes[static_cast<std::size_t>(k)] += edge.bytes;
    const double dur = m.edge_end[e] - m.edge_start[e];
    r.devices[static_cast<std::size_t>(a)].send_ms += dur;
    r.devices[static_cast<std::size_t>(b)].receive_ms += dur;
    const int vol = m.nodes[static_cast<std::size_t>(edge.dst)].volume;
    r.timeline.push_back({TimelineEvent::Kind::Send, a, m.edge_start[e], m.edge_end[e], vol, b, edge.bytes});
    r.timeline.push_back({TimelineEvent::Kind::Receive, b, m.edge_start[e], m.edge_end[e], vol, a, edge.bytes});
  }
  std::sort(r.timeline.begin(), r.timeline.end(), [](const TimelineEvent& x, const TimelineEvent& y) {
    return x.device != y.device ? x.device < y.device : x.start_ms < y.start_ms;
  });
  // Idle: the part of [0, latency] in which a device neither computes nor communicates.
  for (int d = 0; d < nd; ++d) r.devices[static_cast<std::size_t>(d)].idle_ms = std::max(0.0, r.latency_ms - busy_ms(r.timeline, d, r.latency_ms));
  return r;
}

double busy_ms(const std::vector<TimelineEvent>& timeline, int device, double until_ms) {
  std::vector<std::pair<double, double>> spans;
  for (const TimelineEvent& ev : timeline)
    if (ev.device == device && ev.end_ms > ev.start_ms) spans.emplace_back(std::min(ev.start_ms, until_ms), std::min(ev.end_ms, until_ms));
  std::sort(spans.begin(), spans.end());
  double busy = 0, cur_start = 0, cur_end = -1;
  for (const auto& [s, e] : spans) {
    if (s > cur_end) {
      if (cur_end > cur_start) busy += cur_end - cur_start;
      cur_start = s;
      cur_end = e;
    } else {
      cur_end = std::max(cur_end, e);
    }
  }
  if (cur_end > cur_start) busy += cur_end - cur_start;
  return busy;
}

}  // namespace edgeplan
