// A scenario (edgeplan.scenario/v1): a model, devices with profiles, where the image starts
// and the result must end, and the network between them.
#pragma once
#include <string>
#include <vector>

#include "edgeplan/costmodel/device_profile.h"
#include "edgeplan/costmodel/network_model.h"
#include "edgeplan/model/element_type.h"
#include "edgeplan/model/graph.h"

namespace edgeplan {

inline constexpr const char* kScenarioFormat = "edgeplan.scenario/v1";

struct ScenarioDevice {
  std::string id;
  bool computes = true;      // false: a node that only sends the image or receives the result (a camera, a requester)
  std::string profile_path;  // as written in the scenario (relative to the scenario file); empty if it does not compute
  DeviceProfile profile;
};

struct Scenario {
  std::string name;
  Graph graph;
  // Devices that compute come first (in the file's order), then the nodes that do not:
  // planners use devices [0, compute_devices) only.
  std::vector<ScenarioDevice> devices;
  int compute_devices = 0;
  ElementSizes elements;  // activation type and image encoding ("precision")
  int input_device = 0;   // where the input image starts
  int output_device = 0;  // where the result must end
  NetworkModel network;
  std::string network_summary;  // one line, for reports
  // A calibrated scenario (calibrate-network): the tbf rate per device that its measured
  // rates_mbps were achieved through; replay shapes links to these. Empty otherwise.
  std::vector<double> link_rates_mbps;

  int device_index(const std::string& id) const;  // -1 if unknown
  bool computes(int device) const { return device < compute_devices; }
  std::vector<std::string> device_ids() const;
};

// Parses a scenario; profile paths are resolved against `base_dir`. Errors are one line
// (ScenarioError) naming the field.
Scenario parse_scenario(const std::string& text, const std::string& base_dir);
Scenario load_scenario_file(const std::string& path);

}  // namespace edgeplan
