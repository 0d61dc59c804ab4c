// Gantt chart of a simulated plan: one lane per device, compute / send / receive bars.
#pragma once
#include <string>

#include "edgeplan/costmodel/simulator.h"

namespace edgeplan {

std::string gantt_svg(const std::string& title, const SimResult& r);

}  // namespace edgeplan
