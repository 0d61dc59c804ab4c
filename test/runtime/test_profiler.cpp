// The profiler on a tiny model: a curve per signature, sane spreads, provenance, round trip.
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "edgeplan/runtime/layer_profiler.h"

using namespace edgeplan;

namespace {
Graph tiny() {
  Graph g("tiny", Shape{3, 24, 20});
  int x = g.relu("r0", g.conv("c0", kModelInput, 8, 3, 1, 1));
  x = g.relu("r1", g.conv("c1", x, 8, 3, 1, 1));
  x = g.max_pool("p", x, 2, 2);
  x = g.linear("fc", g.flatten("f", g.global_avg_pool("gap", x)), 5);
  return g;
}
}  // namespace

TEST_CASE("profiling a tiny model gives one measured curve per distinct layer signature", "[profiler]") {
  const Graph g = tiny();
  ProfilerOptions o;
  o.quick = true;
  int calls = 0;
  o.progress = [&](int done, int total, double work, double total_work, const std::string&) {
    ++calls;
    CHECK(done <= total);
    CHECK(work <= total_work * (1 + 1e-9));
  };
  const DeviceProfile p = profile_layers({g, g}, o);
  std::set<std::string> sigs;
  for (int l = 0; l < g.size(); ++l) sigs.insert(layer_signature(g, l));
  CHECK(p.curves.size() == sigs.size());  // the second copy of the model adds nothing
  CHECK(calls == static_cast<int>(sigs.size()));
  for (const auto& [sig, curve] : p.curves) {
    INFO(sig);
    CHECK(curve.rows().back() >= 1);
    for (std::size_t i = 0; i < curve.rows().size(); ++i) {
      CHECK(p.p10.at(sig).ms()[i] <= curve.ms()[i]);
      CHECK(curve.ms()[i] <= p.p90.at(sig).ms()[i]);
      CHECK(curve.ms()[i] > 0);
    }
  }
  // Spatial layers are swept over rows up to their height; the tail runs whole.
  CHECK(p.curves.at(layer_signature(g, 0)).rows().back() == 24);
  CHECK(p.curves.at(layer_signature(g, 0)).rows().front() == 1);
  CHECK(p.curves.at(layer_signature(g, g.size() - 1)).rows().size() == 1);
  CHECK(p.provenance_type == "measured");
  const auto prov = nlohmann::json::parse(p.provenance_json);
  CHECK(prov["threads"] == 1);
  CHECK(prov.contains("libraries"));
  CHECK(prov.contains("blas"));
  CHECK(prov.contains("cpu"));
  // The written profile loads back with the same curves.
  const DeviceProfile back = parse_profile(profile_to_json(p));
  CHECK(back.curves.size() == p.curves.size());
  CHECK(back.latency_ms(g, 0, 12) == Approx(p.latency_ms(g, 0, 12)));
  bool fallback = true;
  p.latency_ms(g, 0, 5, &fallback);
  CHECK_FALSE(fallback);
  CHECK(p.fallback.peak_gmacs > 0);
}

TEST_CASE("checking a profile times the monolithic run", "[profiler]") {
  const Graph g = tiny();
  ProfilerOptions o;
  o.quick = true;
  const DeviceProfile p = profile_layers({g}, o);
  const ProfileCheck c = check_profile(p, g, 1, 3);
  CHECK(c.predicted_ms > 0);
  CHECK(c.measured_p10_ms <= c.measured_p50_ms);
  CHECK(c.measured_p50_ms <= c.measured_p90_ms);
  CHECK(c.fallback_layers == 0);
  CHECK(c.repetitions == 3);
}

TEST_CASE("profiler devices are checked before any work", "[profiler]") {
  CHECK_NOTHROW(check_profiler_device("cpu"));
  CHECK_THROWS_WITH(check_profiler_device("tpu"), Catch::Contains("unknown device 'tpu'"));
  CHECK_THROWS_AS(check_profiler_device("cuda:x"), Error);
}
