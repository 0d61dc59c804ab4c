// Device profiles (edgeplan.profile/v1): latency curves per layer signature plus a fallback model.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "edgeplan/costmodel/latency_curve.h"
#include "edgeplan/model/element_type.h"
#include "edgeplan/model/error.h"
#include "edgeplan/model/graph.h"

namespace edgeplan {

// A profile or scenario file is malformed or inconsistent.
class ScenarioError : public Error {
 public:
  using Error::Error;
};

inline constexpr const char* kProfileFormat = "edgeplan.profile/v1";

// What a layer signature identifies: kind, window, groups, input and output shapes. Two
// layers with the same signature cost the same on a device, in any model.
std::string layer_signature(const Graph& graph, int layer);

// Cost classes the fallback model distinguishes.
enum class CostClass { Conv, Depthwise, Linear, Pool, Eltwise, Count };
const char* to_string(CostClass c);
CostClass cost_class(const Layer& layer);

// Analytic latency for layers without a measured curve (and for modeled devices):
//   ms = overhead + work / (peak * kind_efficiency * eff(work)) + bytes / memory_bandwidth
//   eff(work) = min(1, (work / saturation_work) ^ beta)
// Small slices run below peak (GPU under-occupancy, CPU loop overheads): latency is
// concave in rows. With `wave_outputs` > 0 the number of output elements is rounded up to
// whole waves (GPU thread-block waves), giving steps.
// Work (multiply-accumulate equivalents) and bytes moved by `rows` output rows of a layer,
// as the fallback model counts them.
struct LayerWork {
  double work = 0;
  double bytes = 0;
  double out_elements = 0;
};
LayerWork fallback_work(const Graph& graph, int layer, double rows, double element_bytes = 4);

struct FallbackModel {
  double peak_gmacs = 1.0;           // peak multiply-accumulates per second, 1e9
  double memory_bandwidth_gbs = 1.0;  // sustained memory bandwidth, GB/s
  double saturation_mmacs = 1.0;     // work (1e6 MACs) at which efficiency reaches the kind's
  double beta = 0.5;                 // exponent of the under-occupancy curve
  std::int64_t wave_outputs = 0;     // output elements per wave (0: no wave quantization)
  double element_bytes = 4;          // of activations and weights: the profile's precision
  struct Kind {
    double overhead_ms = 0.0;  // fixed cost per layer launch
    double efficiency = 1.0;   // fraction of peak this kind reaches at saturation
  };
  Kind kinds[static_cast<int>(CostClass::Count)];

  double latency_ms(const Graph& graph, int layer, double rows) const;
};

// What running a part costs beyond its layers' curves (the executor's own work: assembling
// received rows, per-layer bookkeeping, copying outputs out), measured by
// `edgeplan profile --executor` on the executor that replays plans. Absent: zero.
struct ExecutorOverhead {
  double per_part_ms = 0;   // each part or tail a device runs
  double per_layer_ms = 0;  // each layer a part computes
  double ms_per_mb = 0;     // per MB of received inputs and owned outputs
  std::string source;       // how it was measured
  bool present = false;

  double ms(int layers, double bytes) const { return per_part_ms + per_layer_ms * layers + ms_per_mb * bytes / 1e6; }
};

struct DeviceProfile {
  std::string name;
  std::string kind;                   // cpu, gpu or npu
  std::int64_t memory_bytes = 0;
  ElementType precision = ElementType::F32;  // the activations and weights its latencies were measured / modeled with
  std::string provenance_type;        // "measured" or "modeled"
  std::string provenance_json;        // the provenance object, verbatim
  FallbackModel fallback;
  std::map<std::string, LatencyCurve> curves;  // p50 curve per layer signature
  std::map<std::string, LatencyCurve> p10, p90;  // spread, where measured
  ExecutorOverhead executor;
  // Measured under a CPU quota (provenance "cpu_quota", cores): an emulated slower device;
  // replay runs it under the same quota. 0: none.
  double cpu_quota = 0;
  // Every latency times this: a scenario's device shared with other work ("slowdown", a
  // load event of `replan`). Not part of the profile file.
  double time_scale = 1.0;

  // Latency of `rows` output rows (fractional for tiles: rows * cols / width) of a layer;
  // sets *fallback when no curve exists for its signature.
  double latency_ms(const Graph& graph, int layer, double rows, bool* fallback = nullptr) const;
};

// Parses and validates a profile; errors are one line (ScenarioError).
DeviceProfile parse_profile(const std::string& text);
DeviceProfile load_profile_file(const std::string& path);
std::string profile_to_json(const DeviceProfile& profile);

}  // namespace edgeplan
