// Small valid plans shared by the strategy tests.
#pragma once
#include <string>

// resnet18 at 3x64x64 (69 layers, body 66, anchor of volume 0 is 16x16, of volume 1 2x2).
inline std::string valid_plan_text() {
  return R"({
  "format": "edgeplan.plan/v1",
  "model": {"name": "resnet18", "input": [3, 64, 64]},
  "devices": ["jetson", "pi"],
  "volumes": [
    {"layers": [0, 10], "parts": [{"device": "jetson", "rows": [0, 9]}, {"device": "pi", "rows": [9, 16]}]},
    {"layers": [10, 66], "parts": [{"device": "jetson", "rows": [0, 2], "cols": [0, 1]},
                                    {"device": "pi", "rows": [0, 2], "cols": [1, 2]}]}
  ],
  "tail": {"layers": [66, 69], "device": "jetson"},
  "predicted": {"latency_ms": 12.5}
})";
}
