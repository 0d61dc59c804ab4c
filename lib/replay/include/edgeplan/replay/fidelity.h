// The fidelity table over many replay reports: predicted vs measured per replay, the error
// distribution, and how often the simulator's order of planners holds when measured.
#pragma once
#include <string>
#include <vector>

namespace edgeplan {

struct FidelityRow {
  std::string scenario;  // group: replays of the same scenario are ranked against each other
  std::string network;   // the scenario's network, one line
  std::string model;
  std::string planner;   // the plan file's name without .json
  int ranks = 0;
  double predicted_ms = 0, measured_ms = 0, p10_ms = 0, p90_ms = 0;
  double error() const { return (predicted_ms - measured_ms) / measured_ms; }
};

struct FidelitySummary {
  std::vector<FidelityRow> rows;
  double median_abs_error = 0, p90_abs_error = 0, worst_abs_error = 0;
  std::string worst;              // which replay
  int groups = 0;                 // scenarios with two or more planners
  int fastest_agrees = 0;         // groups whose measured fastest planner was predicted fastest (within 1%)
  int pairs = 0, pairs_agree = 0; // planner pairs (within a group) ordered the same way
  int pairs_tied = 0;             // pairs predicted within 1% of each other (not ordered)
};

// Reads edgeplan.replay/v1 reports; throws ReplayError (one line naming the file).
FidelityRow read_fidelity_row(const std::string& report_path);
FidelitySummary summarize_fidelity(std::vector<FidelityRow> rows);
std::string fidelity_markdown(const FidelitySummary& s);

}  // namespace edgeplan
