// Small helpers shared by the CLI's subcommands.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "edgeplan/model/shape.h"

namespace edgeplan {
struct Plan;
struct Scenario;
}  // namespace edgeplan

namespace edgeplan::cli {

inline std::optional<Shape> optional_shape(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return parse_shape(text);
}

// "a,b,,c" -> {"a", "b", "c"} (empty items dropped).
std::vector<std::string> split_commas(const std::string& text);

// Throws Error (one line naming `what`) unless the plan is for the scenario's model and
// input, valid for that graph, and lists only the scenario's devices.
void check_plan_for(const Plan& plan, const Scenario& scenario, const std::string& what);

// The running edgeplan binary (what replay ranks run); throws Error if it cannot be found.
std::string self_exe();

// One line naming a scenario: "default: vgg16 3x224x224 on 4 devices and 1 node that does
// not compute, fp16 activations, uint8 input, wifi_star, ..." (plan and simulate print it).
std::string scenario_summary(const Scenario& s);

// The per-device tbf rates that network emulation shapes a scenario's links to (its
// calibration's link rates if calibrated), for the scenario devices listed; throws Error
// (one line, starting with `what`) for networks it cannot reproduce: matrix, tiered,
// traced, or a shared Wi-Fi channel.
std::vector<double> emulated_rates(const Scenario& s, const std::vector<int>& scenario_index, const std::string& what);

// Loads a scenario; a non-empty `model` (zoo name or .onnx file) replaces the scenario's
// model, at `input` (CxHxW) if given.
Scenario load_scenario_with_model(const std::string& path, const std::string& model, const std::string& input);

// Writes text to `path` atomically (temporary file + rename); throws edgeplan::Error.
void write_file_atomic(const std::string& path, const std::string& text);

// Provenance of planning runs (machine, CPU, threads, libraries, date) as a JSON object, for
// bench results and replan reports.
std::string planning_provenance(const std::vector<std::string>& planners);

}  // namespace edgeplan::cli
