// Atomic file output for the CLI.
#include "cli_util.h"

#include <algorithm>

#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/jsonio/atomic_file.h"
#include "edgeplan/model/error.h"
#include "edgeplan/plan/plan.h"

namespace edgeplan::cli {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    if (comma > pos) out.push_back(text.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

void write_file_atomic(const std::string& path, const std::string& text) { jsonio::write_file_atomic<Error>(path, text); }

void check_plan_for(const Plan& plan, const Scenario& s, const std::string& what) {
  if (plan.model != s.graph.name() || plan.input != s.graph.input_shape())
    throw Error(what + ": plan is for " + plan.model + " " + to_string(plan.input) + " but the scenario runs " +
                s.graph.name() + " " + to_string(s.graph.input_shape()));
  validate_plan(plan, s.graph);  // parts and tail name only the plan's own devices
  const std::vector<std::string> ids = s.device_ids();
  for (const std::string& d : plan.devices)  // the simulator's rule, checked before planning starts
    if (std::find(ids.begin(), ids.end(), d) == ids.end())
      throw Error(what + ": plan device '" + d + "' is not a device of the scenario");
}

}  // namespace edgeplan::cli
