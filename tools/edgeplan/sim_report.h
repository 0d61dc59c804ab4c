// Formatting of simulation results (text table and JSON) for `simulate` and `plan`.
#pragma once
#include <string>

#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/costmodel/simulator.h"

namespace edgeplan::cli {

std::string sim_report_text(const Scenario& s, const Plan& plan, const SimResult& r);
std::string sim_report_json(const Scenario& s, const Plan& plan, const SimResult& r);

}  // namespace edgeplan::cli
