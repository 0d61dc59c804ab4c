// Plans built by simple rules: even row splits and seeded random splits (for verify and tests).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "edgeplan/plan/plan.h"

namespace edgeplan {

// Device ids "d0".."d{n-1}".
std::vector<std::string> numbered_devices(int n);

// One volume per spatial layer (sync after every layer), the classic per-layer split.
std::vector<LayerRange> per_layer_volumes(const Graph& graph);

// Splits each volume's anchor rows as evenly as possible among the devices (devices that
// would get no rows are left out); the tail goes to the first device.
Plan make_even_plan(const Graph& graph, const std::vector<std::string>& devices, const std::vector<LayerRange>& volumes);

struct RandomPlanOptions {
  int max_parts = 5;           // parts per volume drawn from 1..max_parts (capped by the map size)
  int max_volumes = 8;         // volume count drawn from 1..max_volumes (capped by the layer count)
  double tile_probability = 0.25;  // chance a volume is cut as a 2-D tile grid instead of row stripes
};

// A valid plan with random volume boundaries (anywhere, including inside residual and
// inception blocks), random uneven row stripes or tile grids, random device assignment.
Plan make_random_plan(const Graph& graph, std::uint64_t seed, const RandomPlanOptions& options = {});

}  // namespace edgeplan
