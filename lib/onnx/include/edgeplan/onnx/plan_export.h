// A plan as ONNX models another runtime executes: one model per part (device x volume)
// computing exactly that part from exactly the rows it receives (halo included, padding only
// at the true image border), one for the tail, and a manifest (edgeplan.onnx-parts/v1) of
// every part's inputs and outputs, every message between devices, and each device's order.
#pragma once
#include <string>
#include <vector>

#include "edgeplan/model/graph.h"
#include "edgeplan/plan/plan.h"

namespace edgeplan {

constexpr const char* kPartsFormat = "edgeplan.onnx-parts/v1";

struct ExportedFile {
  std::string name;   // file name inside the output folder
  std::string bytes;  // its contents
};

struct PlanExport {
  std::vector<ExportedFile> files;  // the parts' and the tail's models, then manifest.json
};

// `devices` must contain every plan device; the image starts on devices[input_device] and
// the result ends on devices[output_device]. Throws PlanError / OnnxError with one line.
PlanExport export_plan_onnx(const Graph& graph, const ModelWeights& weights, const Plan& plan,
                            const std::vector<std::string>& devices, int input_device, int output_device);

}  // namespace edgeplan
