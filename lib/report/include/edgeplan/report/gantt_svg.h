// Gantt chart of a simulated plan: one lane per device, compute / send / receive bars.
#pragma once
#include <string>

#include "edgeplan/costmodel/simulator.h"

namespace edgeplan {

std::string gantt_svg(const std::string& title, const SimResult& r);
// Predicted above measured on one time axis (the longer of the two), lanes in the same order.
std::string gantt_compare_svg(const std::string& title, const SimResult& predicted, const SimResult& measured);

}  // namespace edgeplan
