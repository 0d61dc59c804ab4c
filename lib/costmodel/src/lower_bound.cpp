// The lower bound on any plan's latency: a linear program over which device computes which
// share of each layer's needed outputs and what each device must then receive, solved by GLPK.
// docs/cost-model.md ("Lower bound") gives the argument for its validity.
#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "edgeplan/costmodel/simulator.h"

namespace edgeplan {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Positions (row, col) of a tensor that the model's result depends on.
struct Mask {
  int h = 0, w = 0;
  std::vector<char> on;
  long long count = 0;
  bool at(int i, int j) const { return on[static_cast<std::size_t>(i) * w + j] != 0; }
  void set(int i, int j) {
    char& c = on[static_cast<std::size_t>(i) * w + j];
    count += c ? 0 : 1;
    c = 1;
  }
};

// Per axis: how many input positions each output index owns exclusively (disjoint across
// output indices, inside the input), and the nominal count m. For windowed layers the own
// block is min(stride, kernel) consecutive taps (one tap when dilated) at the offset that
// loses least to padding.
struct AxisOwn {
  double m = 1;
  std::vector<double> own;  // per output index
};

// A transposed convolution's input cell that tap j of output o reads along one axis, or -1
// where that tap lands between input cells or outside the map.
int transposed_tap(const Window& w, int o, int j, int in_extent) {
  const int u = o + w.pad - j * w.dilation;
  return u >= 0 && u % w.stride == 0 && u / w.stride < in_extent ? u / w.stride : -1;
}

AxisOwn axis_own(const Layer& layer, const Window& w, int out_extent, int in_extent) {
  AxisOwn a;
  a.own.assign(static_cast<std::size_t>(out_extent), 1.0);
  switch (layer.kind) {
    case LayerKind::Conv:
    case LayerKind::MaxPool:
    case LayerKind::AvgPool: {
      const int m = w.dilation == 1 ? std::min(w.stride, w.kernel) : 1;
      const int offsets = w.dilation == 1 ? w.kernel - m + 1 : w.kernel;
      a.m = m;
      double best_loss = kInf;
      for (int j0 = 0; j0 < offsets; ++j0) {
        std::vector<double> own(static_cast<std::size_t>(out_extent));
        double loss = 0;
        for (int i = 0; i < out_extent; ++i) {
          const int begin = i * w.stride - w.pad + j0 * (w.dilation == 1 ? 1 : w.dilation);
          const int end = begin + m;
          own[static_cast<std::size_t>(i)] = std::max(0, std::min(end, in_extent) - std::max(begin, 0));
          loss += m - own[static_cast<std::size_t>(i)];
        }
        if (loss < best_loss) {
          best_loss = loss;
          a.own = std::move(own);
        }
      }
      break;
    }
    case LayerKind::Upsample:
      a.m = 1.0 / w.stride;  // each input position feeds `stride` outputs
      std::fill(a.own.begin(), a.own.end(), a.m);
      break;
    case LayerKind::Reorg:
      a.m = w.stride;
      for (int i = 0; i < out_extent; ++i)
        a.own[static_cast<std::size_t>(i)] = std::max(0, std::min((i + 1) * w.stride, in_extent) - i * w.stride);
      break;
    case LayerKind::AdaptiveAvgPool:
      a.m = std::floor(static_cast<double>(in_extent) / out_extent);  // bins start this far apart at least
      std::fill(a.own.begin(), a.own.end(), a.m);
      break;
    case LayerKind::GlobalAvgPool:
    case LayerKind::Flatten:
      a.m = in_extent;  // one output position reads the whole input
      std::fill(a.own.begin(), a.own.end(), a.m);
      break;
    case LayerKind::ConvTranspose:
      // Each input cell reaches at most `kernel` outputs per axis: mapping every output that
      // reads something to one input it reads, no input is the image of more than `kernel`.
      a.m = 1.0 / w.kernel;
      for (int i = 0; i < out_extent; ++i) {
        bool reads = false;  // some tap of output i lands on an input cell
        for (int j = 0; j < w.kernel && !reads; ++j) reads = transposed_tap(w, i, j, in_extent) >= 0;
        a.own[static_cast<std::size_t>(i)] = reads ? a.m : 0.0;
      }
      break;
    case LayerKind::Mul:
      // A per-channel vector (extent 1) broadcast over the map: all outputs share its one
      // position, so each owns only 1/extent of it.
      if (in_extent == 1 && out_extent > 1) {
        a.m = 1.0 / out_extent;
        std::fill(a.own.begin(), a.own.end(), a.m);
      }
      break;
    default:  // element-wise kinds and Linear: the same position
      break;
  }
  return a;
}

// Marks in `in` every input position that the marked outputs of `layer` read.
void mark_inputs(const Layer& layer, const Mask& out, Mask& in) {
  auto bins = [](int o, int out_extent, int in_extent) {
    return std::make_pair(o * in_extent / out_extent, ((o + 1) * in_extent + out_extent - 1) / out_extent);
  };
  for (int i = 0; i < out.h; ++i)
    for (int j = 0; j < out.w; ++j) {
      if (!out.at(i, j)) continue;
      switch (layer.kind) {
        case LayerKind::Conv:
        case LayerKind::MaxPool:
        case LayerKind::AvgPool:
          for (int u = 0; u < layer.win_h.kernel; ++u) {
            const int r = i * layer.win_h.stride - layer.win_h.pad + u * layer.win_h.dilation;
            if (r < 0 || r >= in.h) continue;
            for (int v = 0; v < layer.win_w.kernel; ++v) {
              const int c = j * layer.win_w.stride - layer.win_w.pad + v * layer.win_w.dilation;
              if (c >= 0 && c < in.w) in.set(r, c);
            }
          }
          break;
        case LayerKind::Upsample:
          in.set(i / layer.win_h.stride, j / layer.win_w.stride);
          break;
        case LayerKind::ConvTranspose:  // exactly the taps that land on (i, j)
          for (int u = 0; u < layer.win_h.kernel; ++u) {
            const int r = transposed_tap(layer.win_h, i, u, in.h);
            if (r < 0) continue;
            for (int v = 0; v < layer.win_w.kernel; ++v) {
              const int c = transposed_tap(layer.win_w, j, v, in.w);
              if (c >= 0) in.set(r, c);
            }
          }
          break;
        case LayerKind::Reorg:
          for (int r = i * layer.win_h.stride; r < std::min(in.h, (i + 1) * layer.win_h.stride); ++r)
            for (int c = j * layer.win_w.stride; c < std::min(in.w, (j + 1) * layer.win_w.stride); ++c) in.set(r, c);
          break;
        case LayerKind::AdaptiveAvgPool: {
          const auto [r0, r1] = bins(i, out.h, in.h);
          const auto [c0, c1] = bins(j, out.w, in.w);
          for (int r = r0; r < r1; ++r)
            for (int c = c0; c < c1; ++c) in.set(r, c);
          break;
        }
        case LayerKind::GlobalAvgPool:
        case LayerKind::Flatten:
        case LayerKind::Linear:
          for (int r = 0; r < in.h; ++r)
            for (int c = 0; c < in.w; ++c) in.set(r, c);
          break;
        default:  // the same position; a broadcast vector (1x1 under a larger map) its only one
          in.set(in.h == 1 ? 0 : i, in.w == 1 ? 0 : j);
          break;
      }
    }
}

// The LP in GLPK's sparse form.
class Lp {
 public:
  Lp() : p_(glp_create_prob()) {
    glp_term_out(GLP_OFF);  // GLPK's terminal output (scaling reports) is not ours to print
    glp_set_obj_dir(p_, GLP_MIN);
  }
  ~Lp() { glp_delete_prob(p_); }
  Lp(const Lp&) = delete;
  Lp& operator=(const Lp&) = delete;
  int column(double lo, double hi, double objective) {
    const int c = glp_add_cols(p_, 1);
    glp_set_col_bnds(p_, c, hi < kInf ? GLP_DB : GLP_LO, lo, hi < kInf ? hi : 0.0);
    glp_set_obj_coef(p_, c, objective);
    return c;
  }
  // sum coef * column >= lo
  void at_least(std::vector<std::pair<int, double>> terms, double lo) {
    std::sort(terms.begin(), terms.end());
    const int r = glp_add_rows(p_, 1);
    glp_set_row_bnds(p_, r, GLP_LO, lo, 0.0);
    for (std::size_t k = 0; k < terms.size();) {  // GLPK refuses a column twice in a row: sum them
      double v = 0;
      const int c = terms[k].first;
      for (; k < terms.size() && terms[k].first == c; ++k) v += terms[k].second;
      if (v == 0) continue;
      ia_.push_back(r);
      ja_.push_back(c);
      ar_.push_back(v);
    }
  }
  // The optimum, or NaN when GLPK does not report one.
  double solve() {
    glp_load_matrix(p_, static_cast<int>(ia_.size()) - 1, ia_.data(), ja_.data(), ar_.data());
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_ON;
    parm.it_lim = 200000;  // bounded: a pathological LP ends without a bound, never hangs
    glp_scale_prob(p_, GLP_SF_AUTO);
    if (glp_simplex(p_, &parm) != 0 || glp_get_status(p_) != GLP_OPT) return std::nan("");
    return glp_get_obj_val(p_);
  }

 private:
  glp_prob* p_;
  std::vector<int> ia_ = {0}, ja_ = {0};  // GLPK is 1-based
  std::vector<double> ar_ = {0.0};
};

}  // namespace

LowerBound compute_lower_bound(const Graph& graph, const LayerCostModel& cost, const NetworkModel& network,
                               const SimulatorConfig& config) {
  const int nd = network.device_count();
  const int nc = config.compute_devices < 0 ? nd : config.compute_devices;
  const int in_dev = config.input_device, out_dev = config.output_device;
  const int nl = graph.size();
  const int last = nl - 1;
  // 1. The positions of every tensor the result depends on (exact: strided reads skip rows).
  std::vector<Mask> need(static_cast<std::size_t>(nl + 1));
  for (int t = -1; t < nl; ++t) {
    const Shape& s = graph.tensor_shape(t);
    Mask& m = need[static_cast<std::size_t>(t + 1)];
    m.h = s.h;
    m.w = s.w;
    m.on.assign(static_cast<std::size_t>(s.h) * s.w, 0);
  }
  for (int i = 0; i < need.back().h; ++i)
    for (int j = 0; j < need.back().w; ++j) need.back().set(i, j);
  for (int l = last; l >= 0; --l)
    if (need[static_cast<std::size_t>(l + 1)].count > 0)
      for (int t : graph.layer(l).inputs) mark_inputs(graph.layer(l), need[static_cast<std::size_t>(l + 1)], need[static_cast<std::size_t>(t + 1)]);
  auto n_of = [&](int t) { return static_cast<double>(need[static_cast<std::size_t>(t + 1)].count); };

  // 2. Each device's best cost per output row of each layer (valid for any row count, tiles too).
  std::vector<double> per_row(static_cast<std::size_t>(nc * nl), kInf);
  for (int d = 0; d < nc; ++d)
    for (int l = 0; l < nl; ++l) {
      double best = kInf;
      for (int r = 1; r <= graph.layer(l).out.h; ++r) best = std::min(best, cost.layer_ms(d, l, r) / r);
      per_row[static_cast<std::size_t>(d * nl + l)] = best;
    }
  auto compute_ms = [&](int d, int l) {  // all needed positions of l on d
    return per_row[static_cast<std::size_t>(d * nl + l)] * n_of(l) / graph.layer(l).out.w;
  };

  LowerBound out;
  // 3. Hops: an image on a node that does not compute must leave it; a result due elsewhere
  // must arrive; with both on one computing device, either it does everything or it sends.
  auto hop = [&](int a, int b) { return network.route(a, b).latency_ms + network.overhead_ms(); };
  double simple = 0;
  if (in_dev >= nc) {
    double h = kInf;
    for (int d = 0; d < nc; ++d) h = std::min(h, hop(in_dev, d));
    simple = std::max(simple, h);
  }
  if (out_dev != in_dev) {
    double h = kInf;
    for (int a = 0; a < nd; ++a)
      if (a != out_dev) h = std::min(h, hop(a, out_dev));
    simple = std::max(simple, h);
  }
  if (in_dev < nc && out_dev == in_dev) {
    double alone = 0, h = kInf;
    for (int l = 0; l < nl; ++l) alone += compute_ms(in_dev, l);
    for (int d = 0; d < nd; ++d)
      if (d != in_dev) h = std::min(h, hop(in_dev, d));
    simple = std::max(simple, std::min(alone, h));
  }
  if (!std::isfinite(simple)) simple = 0;

  // 4. The LP over layers [0, upto), with or without the result's delivery.
  auto solve_lp = [&](int upto, bool result) {
  Lp lp;
  const int T = lp.column(0, kInf, 1.0);
  std::vector<int> x(static_cast<std::size_t>(nc * nl), 0);  // share of layer l's needed positions computed on d
  for (int l = 0; l < upto; ++l) {
    if (n_of(l) == 0) continue;
    std::vector<std::pair<int, double>> cover;
    for (int d = 0; d < nc; ++d) {
      if (!std::isfinite(per_row[static_cast<std::size_t>(d * nl + l)])) continue;
      x[static_cast<std::size_t>(d * nl + l)] = lp.column(0, 1, 0);
      cover.emplace_back(x[static_cast<std::size_t>(d * nl + l)], 1.0);
    }
    lp.at_least(cover, 1.0);
  }
  for (int d = 0; d < nc; ++d) {
    std::vector<std::pair<int, double>> busy = {{T, 1.0}};
    for (int l = 0; l < upto; ++l)
      if (x[static_cast<std::size_t>(d * nl + l)]) busy.emplace_back(x[static_cast<std::size_t>(d * nl + l)], -compute_ms(d, l));
    lp.at_least(busy, 0.0);
  }
  // What a device must receive of tensor t (share of t's needed positions): what its
  // computed outputs read, less what it computed of t itself. Rows of the LP only where the
  // network's per-byte cost is known (no traces).
  if (!network.has_traces() && nd > 1) {
    std::vector<int> recv(static_cast<std::size_t>(nd * (nl + 1)), 0);
    auto recv_col = [&](int d, int t) {
      int& c = recv[static_cast<std::size_t>(d * (nl + 1) + t + 1)];
      if (!c) c = lp.column(0, kInf, 0);
      return c;
    };
    for (int l = 0; l < upto; ++l) {
      const Layer& layer = graph.layer(l);
      const Mask& ml = need[static_cast<std::size_t>(l + 1)];
      if (ml.count == 0) continue;
      for (int t : layer.inputs) {
        const Shape& s = graph.tensor_shape(t);
        const AxisOwn rows = axis_own(layer, layer.win_h, layer.out.h, s.h), cols = axis_own(layer, layer.win_w, layer.out.w, s.w);
        const double per = rows.m * cols.m;
        double loss = 0;
        for (int i = 0; i < ml.h; ++i)
          for (int j = 0; j < ml.w; ++j)
            if (ml.at(i, j)) loss += per - rows.own[static_cast<std::size_t>(i)] * cols.own[static_cast<std::size_t>(j)];
        const double nt = n_of(t);
        if (nt == 0 || per <= 0) continue;
        for (int d = 0; d < nc; ++d) {
          const int xl = x[static_cast<std::size_t>(d * nl + l)];
          if (!xl || (t == kModelInput && d == in_dev)) continue;
          std::vector<std::pair<int, double>> terms = {{recv_col(d, t), 1.0}, {xl, -per * n_of(l) / nt}};
          if (t != kModelInput && x[static_cast<std::size_t>(d * nl + t)]) terms.emplace_back(x[static_cast<std::size_t>(d * nl + t)], 1.0);
          lp.at_least(terms, -loss / nt);
        }
      }
    }
    // The result must end on the output device.
    if (result) {
      std::vector<std::pair<int, double>> terms = {{recv_col(out_dev, last), 1.0}};
      if (out_dev < nc && x[static_cast<std::size_t>(out_dev * nl + last)]) terms.emplace_back(x[static_cast<std::size_t>(out_dev * nl + last)], 1.0);
      lp.at_least(terms, 1.0);
    }
    // Milliseconds per byte into / out of a device at best (idle network, constant rates).
    auto slope = [&](int a, int b) {
      const double one = network.min_transfer_ms(a, b, 1e6), two = network.min_transfer_ms(a, b, 2e6);
      return std::isfinite(two) ? (two - one) / 1e6 : kInf;
    };
    std::vector<double> into(static_cast<std::size_t>(nd), kInf), from(static_cast<std::size_t>(nd), kInf);
    for (int a = 0; a < nd; ++a)
      for (int b = 0; b < nd; ++b)
        if (a != b) {
          into[static_cast<std::size_t>(b)] = std::min(into[static_cast<std::size_t>(b)], slope(a, b));
          from[static_cast<std::size_t>(a)] = std::min(from[static_cast<std::size_t>(a)], slope(a, b));
        }
    auto bytes_of = [&](int t) { return n_of(t) * graph.tensor_shape(t).c * config.elements.of(t); };
    // A resource every transfer into d uses (its downlink, its radio, a shared channel) is
    // busy for all d receives; one every transfer out of the input device uses, for the image sent.
    auto uses = [&](const Route& r, int res) { return std::find(r.resources.begin(), r.resources.begin() + r.n_resources, res) != r.resources.begin() + r.n_resources; };
    for (int res = 0; res < network.resource_count(); ++res) {
      std::map<int, double> busy;  // column -> ms per unit; a transfer counted from both ends counts once
      auto add = [&](int c, double ms) { busy[c] = std::max(busy[c], ms); };
      for (int d = 0; d < nd; ++d) {
        bool all_in = true;
        for (int a = 0; a < nd && all_in; ++a) all_in = a == d || uses(network.route(a, d), res);
        if (!all_in || !std::isfinite(into[static_cast<std::size_t>(d)])) continue;
        for (int t = -1; t < nl; ++t)
          if (const int c = recv[static_cast<std::size_t>(d * (nl + 1) + t + 1)]) add(c, bytes_of(t) * into[static_cast<std::size_t>(d)]);
      }
      bool all_out = true;
      for (int b = 0; b < nd && all_out; ++b) all_out = b == in_dev || uses(network.route(in_dev, b), res);
      if (all_out && std::isfinite(from[static_cast<std::size_t>(in_dev)]))
        for (int d = 0; d < nd; ++d)
          if (const int c = recv[static_cast<std::size_t>(d * (nl + 1))]) add(c, bytes_of(kModelInput) * from[static_cast<std::size_t>(in_dev)]);
      if (busy.empty()) continue;
      std::vector<std::pair<int, double>> terms = {{T, 1.0}};
      for (const auto& [c, ms] : busy) terms.emplace_back(c, -ms);
      lp.at_least(terms, 0.0);
    }
    // A Wi-Fi channel with its own capacity carries every transfer twice (up, then down):
    // the airtime of all of them fits in [0, T].
    if (network.channel_mbps() > 0) {
      const double ms_per_byte = NetworkModel::kChannelHops * 8e-3 / network.channel_mbps();
      std::vector<std::pair<int, double>> terms = {{T, 1.0}};
      for (int d = 0; d < nd; ++d)
        for (int t = -1; t < nl; ++t)
          if (const int c = recv[static_cast<std::size_t>(d * (nl + 1) + t + 1)]) terms.emplace_back(c, -bytes_of(t) * ms_per_byte);
      lp.at_least(terms, 0.0);
    }
  }
  return lp.solve();
  };
  const double v = solve_lp(nl, true);
  out.lp_solved = std::isfinite(v);
  // Floating-point slack: the simplex's optimum is exact only to its tolerances.
  auto slack = [](double ms) { return std::max(0.0, ms * (1 - 1e-7) - 1e-9); };
  out.lp_ms = out.lp_solved ? slack(v) : 0.0;
  out.ms = std::max(out.lp_ms, simple);
  // The tail needs the whole body output: it starts after the body's LP bound and runs on
  // one device, whose result then travels to the output device.
  if (graph.body_end() < nl && out.lp_solved) {
    const double body = solve_lp(graph.body_end(), false);
    double tail = kInf;
    const double result_bytes = n_of(last) * graph.layer(last).out.c * config.elements.activation_bytes();
    for (int d = 0; d < nc; ++d) {
      double ms = d == out_dev ? 0.0 : network.min_transfer_ms(d, out_dev, result_bytes);
      for (int l = graph.body_end(); l < nl; ++l) ms += compute_ms(d, l);
      tail = std::min(tail, ms);
    }
    if (std::isfinite(body) && std::isfinite(tail)) {
      out.lp_ms = std::max(out.lp_ms, slack(body) + tail);
      out.ms = std::max(out.ms, out.lp_ms);
    }
  }
  return out;
}

}  // namespace edgeplan
