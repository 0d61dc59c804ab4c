// Changes to a scenario at run time (for `replan`): a link's rate, a device slowed by other
// work or gone; and a traced scenario frozen at one instant. Applied to the scenario's JSON,
// so the changed scenario is checked exactly as a file would be.
#pragma once
#include <string>
#include <vector>

namespace edgeplan {

struct ScenarioEvent {
  enum class Kind { Bandwidth, Slow, Gone };
  Kind kind = Kind::Bandwidth;
  // Bandwidth: a device id (its access rate) or "<tier>-<tier>" (the backbone link between
  // two neighbouring tiers of a tiered network); Slow, Gone: a device id.
  std::string target;
  double value = 0;  // Mbit/s (Bandwidth) or the factor compute times are multiplied by (Slow)
  std::string text;  // as written
};

// "bandwidth:<target>=<Mbit/s>", "slow:<device>=<factor>", "gone:<device>". Throws
// ScenarioError (one line) on anything else.
ScenarioEvent parse_event(const std::string& text);

// The scenario text with the events applied in order (a changed rate replaces the link's
// trace, if any; slowdowns multiply). Throws ScenarioError (one line) for unknown devices or
// tiers, removing the input or output device, or a network the event does not fit.
std::string apply_events(const std::string& scenario_text, const std::vector<ScenarioEvent>& events);

// A traced scenario's change times (ms, increasing, starting with 0), and the scenario at
// time t with every trace replaced by its rate at t (constant rates).
std::vector<double> trace_times(const std::string& scenario_text);
std::string scenario_at(const std::string& scenario_text, double t_ms);

}  // namespace edgeplan
