// Topologies as routes over serial resources, and transfer timing under (traced) rates.
#include "edgeplan/costmodel/network_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace edgeplan {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_rates(const std::vector<double>& rates) {
  for (double r : rates)
    if (!(r > 0) || !std::isfinite(r)) throw std::invalid_argument("link rates must be positive and finite");
}

void add(Route& r, int resource) { r.resources[static_cast<std::size_t>(r.n_resources++)] = resource; }
void add_rate(Route& r, int source) { r.rate_sources[static_cast<std::size_t>(r.n_rates++)] = source; }

}  // namespace

const char* to_string(Topology t) {
  switch (t) {
    case Topology::WifiStar: return "wifi_star";
    case Topology::Switched: return "switched";
    case Topology::Matrix: return "matrix";
    case Topology::Tiered: return "tiered";
  }
  return "unknown";
}

NetworkModel NetworkModel::wifi_star(std::vector<double> rates, bool shared, double latency_ms, double overhead_ms) {
  check_rates(rates);
  NetworkModel m;
  m.topology_ = Topology::WifiStar;
  m.n_ = static_cast<int>(rates.size());
  m.overhead_ms_ = overhead_ms;
  m.rates_ = std::move(rates);
  m.traces_.resize(m.rates_.size());
  m.n_resources_ = shared ? 1 : m.n_;
  m.routes_.resize(static_cast<std::size_t>(m.n_ * m.n_));
  for (int a = 0; a < m.n_; ++a)
    for (int b = 0; b < m.n_; ++b) {
      Route& r = m.routes_[static_cast<std::size_t>(a * m.n_ + b)];
      r.latency_ms = latency_ms;
      if (shared) {
        add(r, 0);
        r.two_hops = true;
      } else {
        add(r, a);
        add(r, b);
      }
      add_rate(r, a);
      add_rate(r, b);
    }
  return m;
}

NetworkModel NetworkModel::wifi_channel(std::vector<double> rates, double channel_mbps, double latency_ms, double overhead_ms) {
  if (!(channel_mbps > 0) || !std::isfinite(channel_mbps)) throw std::invalid_argument("the channel's capacity must be positive and finite");
  NetworkModel m = wifi_star(std::move(rates), false, latency_ms, overhead_ms);
  m.channel_mbps_ = channel_mbps;
  for (Route& r : m.routes_) r.on_channel = true;
  return m;
}

NetworkModel NetworkModel::switched(std::vector<double> rates, double latency_ms, double overhead_ms) {
  check_rates(rates);
  NetworkModel m;
  m.topology_ = Topology::Switched;
  m.n_ = static_cast<int>(rates.size());
  m.overhead_ms_ = overhead_ms;
  m.rates_ = std::move(rates);
  m.traces_.resize(m.rates_.size());
  m.n_resources_ = 2 * m.n_;  // uplinks, then downlinks
  m.routes_.resize(static_cast<std::size_t>(m.n_ * m.n_));
  for (int a = 0; a < m.n_; ++a)
    for (int b = 0; b < m.n_; ++b) {
      Route& r = m.routes_[static_cast<std::size_t>(a * m.n_ + b)];
      r.latency_ms = latency_ms;
      add(r, a);
      add(r, m.n_ + b);
      add_rate(r, a);
      add_rate(r, b);
    }
  return m;
}

NetworkModel NetworkModel::matrix(std::vector<std::vector<double>> mbps, double latency_ms, double overhead_ms) {
  NetworkModel m;
  m.topology_ = Topology::Matrix;
  m.n_ = static_cast<int>(mbps.size());
  m.overhead_ms_ = overhead_ms;
  m.n_resources_ = 2 * m.n_;
  m.routes_.resize(static_cast<std::size_t>(m.n_ * m.n_));
  for (int a = 0; a < m.n_; ++a) {
    if (static_cast<int>(mbps[static_cast<std::size_t>(a)].size()) != m.n_)
      throw std::invalid_argument("throughput matrix must be square");
    for (int b = 0; b < m.n_; ++b) {
      const double rate = a == b ? 1.0 : mbps[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)];
      if (!(rate > 0) || !std::isfinite(rate)) throw std::invalid_argument("link rates must be positive and finite");
      m.rates_.push_back(rate);
      Route& r = m.routes_[static_cast<std::size_t>(a * m.n_ + b)];
      r.latency_ms = latency_ms;
      add(r, a);
      add(r, m.n_ + b);
      add_rate(r, a * m.n_ + b);
    }
  }
  m.traces_.resize(m.rates_.size());
  return m;
}

NetworkModel NetworkModel::tiered(std::vector<int> tier, std::vector<double> rates, std::vector<double> tier_latency,
                                  std::vector<Backbone> backbone, double overhead_ms) {
  check_rates(rates);
  if (tier.size() != rates.size()) throw std::invalid_argument("every device needs a tier and a rate");
  if (backbone.size() + 1 != tier_latency.size()) throw std::invalid_argument("tiers need one backbone link between neighbours");
  if (tier_latency.size() + 2 > static_cast<std::size_t>(Route::kMax)) throw std::invalid_argument("too many tiers");
  for (const Backbone& b : backbone)
    if (!(b.rate_mbps > 0) || !std::isfinite(b.rate_mbps)) throw std::invalid_argument("backbone rates must be positive");
  NetworkModel m;
  m.topology_ = Topology::Tiered;
  m.n_ = static_cast<int>(rates.size());
  m.overhead_ms_ = overhead_ms;
  m.rates_ = std::move(rates);
  for (const Backbone& b : backbone) m.rates_.push_back(b.rate_mbps);
  m.traces_.resize(m.rates_.size());
  m.n_resources_ = 2 * m.n_ + static_cast<int>(backbone.size());
  m.backbone_count_ = static_cast<int>(backbone.size());
  m.tier_ = tier;
  m.tier_latency_ = tier_latency;
  m.routes_.resize(static_cast<std::size_t>(m.n_ * m.n_));
  for (int a = 0; a < m.n_; ++a)
    for (int b = 0; b < m.n_; ++b) {
      Route& r = m.routes_[static_cast<std::size_t>(a * m.n_ + b)];
      const int ta = tier[static_cast<std::size_t>(a)], tb = tier[static_cast<std::size_t>(b)];
      if (ta < 0 || tb < 0 || ta >= static_cast<int>(tier_latency.size()) || tb >= static_cast<int>(tier_latency.size()))
        throw std::invalid_argument("device tier out of range");
      add(r, a);
      add(r, m.n_ + b);
      add_rate(r, a);
      add_rate(r, b);
      r.latency_ms = tier_latency[static_cast<std::size_t>(ta)] + (ta == tb ? 0.0 : tier_latency[static_cast<std::size_t>(tb)]);
      for (int k = std::min(ta, tb); k < std::max(ta, tb); ++k) {
        add(r, 2 * m.n_ + k);
        add_rate(r, m.n_ + k);
        r.latency_ms += backbone[static_cast<std::size_t>(k)].latency_ms;
      }
    }
  return m;
}

void NetworkModel::set_trace(int source, RateTrace trace) {
  if (source < 0 || source >= rate_source_count()) throw std::invalid_argument("trace for an unknown link");
  if (trace.t_ms.empty() || trace.t_ms.size() != trace.mbps.size())
    throw std::invalid_argument("a trace needs as many rates as times");
  for (std::size_t i = 0; i < trace.t_ms.size(); ++i) {
    if (!std::isfinite(trace.t_ms[i]) || trace.t_ms[i] < 0 || (i > 0 && !(trace.t_ms[i] > trace.t_ms[i - 1])))
      throw std::invalid_argument("trace times must be non-negative and strictly increasing");
    if (!std::isfinite(trace.mbps[i]) || trace.mbps[i] < 0) throw std::invalid_argument("trace rates must be >= 0");
  }
  traces_[static_cast<std::size_t>(source)] = std::move(trace);
  any_trace_ = true;
}

double NetworkModel::rate_at(int source, double t) const {
  const RateTrace& tr = traces_[static_cast<std::size_t>(source)];
  if (tr.empty()) return rates_[static_cast<std::size_t>(source)];
  const auto it = std::upper_bound(tr.t_ms.begin(), tr.t_ms.end(), t);
  const std::size_t i = it == tr.t_ms.begin() ? 0 : static_cast<std::size_t>(it - tr.t_ms.begin()) - 1;
  return tr.mbps[i];
}

double NetworkModel::effective_rate(const Route& r, double t) const {
  if (r.two_hops) {
    double inv = 0;
    for (int i = 0; i < r.n_rates; ++i) {
      const double x = rate_at(r.rate_sources[static_cast<std::size_t>(i)], t);
      if (x <= 0) return 0;
      inv += 1.0 / x;
    }
    return 1.0 / inv;
  }
  double rate = r.on_channel ? channel_mbps_ / kChannelHops : kInf;
  for (int i = 0; i < r.n_rates; ++i) rate = std::min(rate, rate_at(r.rate_sources[static_cast<std::size_t>(i)], t));
  return rate;
}

double NetworkModel::next_change(const Route& r, double t) const {
  double next = kInf;
  for (int i = 0; i < r.n_rates; ++i) {
    const RateTrace& tr = traces_[static_cast<std::size_t>(r.rate_sources[static_cast<std::size_t>(i)])];
    const auto it = std::upper_bound(tr.t_ms.begin(), tr.t_ms.end(), t);
    if (it != tr.t_ms.end()) next = std::min(next, *it);
  }
  return next;
}

double NetworkModel::transfer_end(const Route& r, double start, double bytes) const {
  double t = start + overhead_ms_;
  double mbit = bytes * 8e-6;
  if (mbit <= 0) return t;
  if (!any_trace_) return t + mbit / effective_rate(r, t) * 1e3;
  // Integrate the piecewise-constant rate; each step passes one trace breakpoint.
  for (;;) {
    const double rate = effective_rate(r, t);
    const double next = next_change(r, t);
    if (rate > 0) {
      const double done = t + mbit / rate * 1e3;
      if (done <= next) return done;
    }
    if (next == kInf) return kInf;
    mbit -= rate * (next - t) * 1e-3;
    t = next;
  }
}

void ChannelLoad::reset() {
  t_ms_.assign(1, 0.0);
  used_.assign(1, 0.0);
}

std::size_t ChannelLoad::split(double t) {
  const auto it = std::lower_bound(t_ms_.begin(), t_ms_.end(), t);
  const auto i = static_cast<std::size_t>(it - t_ms_.begin());
  if (it != t_ms_.end() && *it == t) return i;
  // t > t_ms_[0] (transfers start at or after the oldest breakpoint kept): the new
  // breakpoint continues the use of the segment it splits.
  t_ms_.insert(it, t);
  used_.insert(used_.begin() + static_cast<std::ptrdiff_t>(i), i > 0 ? used_[i - 1] : 0.0);
  return i;
}

void ChannelLoad::add(double from, double to, double mbps) {
  const std::size_t i = split(from);
  const std::size_t j = split(to);
  for (std::size_t k = i; k < j; ++k) used_[k] += mbps;
}

double ChannelLoad::commit(const NetworkModel& net, const Route& r, double now, double start, double bytes) {
  // The profile before `now` no longer matters: keep the breakpoint that covers `now`.
  const auto first = std::upper_bound(t_ms_.begin(), t_ms_.end(), now);
  if (first - t_ms_.begin() > 1) {
    const auto drop = (first - t_ms_.begin()) - 1;
    t_ms_.erase(t_ms_.begin(), t_ms_.begin() + drop);
    used_.erase(used_.begin(), used_.begin() + drop);
  }
  double t = start + net.overhead_ms_;
  double mbit = bytes * 8e-6;
  if (mbit <= 0) return t;
  const double cap = net.channel_mbps_;
  segments_.clear();
  for (;;) {
    const auto at = std::upper_bound(t_ms_.begin(), t_ms_.end(), t) - t_ms_.begin() - 1;
    const auto i = static_cast<std::size_t>(std::max<std::ptrdiff_t>(at, 0));
    const double next = std::min(i + 1 < t_ms_.size() ? t_ms_[i + 1] : kInf, net.next_change(r, t));
    double left = (cap - used_[i]) / NetworkModel::kChannelHops;
    if (left < cap * 1e-12) left = 0;  // full (up to rounding)
    const double rate = std::min(net.effective_rate(r, t), left);
    if (rate > 0) {
      const double done = t + mbit / rate * 1e3;
      if (done <= next) {
        segments_.push_back({t, done, rate});
        t = done;
        break;
      }
      segments_.push_back({t, next, rate});
      mbit -= rate * (next - t) * 1e-3;
    }
    if (next == kInf) return kInf;  // a device's rate dropped to 0 for good
    t = next;
  }
  for (const Segment& s : segments_) add(s.from, s.to, s.mbps * NetworkModel::kChannelHops);
  return t;
}

double NetworkModel::min_transfer_ms(int src, int dst, double bytes) const {
  if (src == dst) return 0;
  const Route& r = route(src, dst);
  return transfer_end(r, 0, bytes) + r.latency_ms;
}

}  // namespace edgeplan
