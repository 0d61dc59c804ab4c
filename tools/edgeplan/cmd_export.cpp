// `edgeplan export`: a model (zoo or ONNX) with its weights as an ONNX file, and
// `edgeplan infer`: one monolithic CPU run of a model, its image and output as raw float32.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/costmodel/scenario.h"
#include "edgeplan/onnx/onnx_model.h"
#include "edgeplan/onnx/plan_export.h"
#include "edgeplan/runtime/cpu_executor.h"

namespace edgeplan::cli {

namespace {

std::string floats_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::vector<float> read_floats(const std::string& path, std::int64_t expected) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("--image: cannot read '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  const std::string b = ss.str();
  if (static_cast<std::int64_t>(b.size()) != expected * 4)
    throw Error("--image: '" + path + "' holds " + std::to_string(b.size()) + " bytes; the model's input needs " +
                std::to_string(expected) + " float32 values (" + std::to_string(expected * 4) + " bytes)");
  std::vector<float> v(static_cast<std::size_t>(expected));
  std::copy(b.begin(), b.end(), reinterpret_cast<char*>(v.data()));
  return v;
}

// Writes the files into `dir` all or nothing: a sibling temporary folder, renamed into place.
void write_folder(const std::string& dir, const std::vector<ExportedFile>& files) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw Error("-o: '" + dir + "' exists and is not an empty folder");
  fs::path target = fs::absolute(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "parts/" names the folder "parts"
  const fs::path tmp = target.parent_path() / (target.filename().string() + ".tmp-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp, ec)) throw Error("-o: cannot create a folder beside '" + dir + "': " + ec.message());
  try {
    for (const ExportedFile& f : files) {
      std::ofstream out(tmp / f.name, std::ios::binary);
      out << f.bytes;
      if (!out) throw Error("-o: cannot write " + (tmp / f.name).string());
    }
    fs::remove(target, ec);  // an empty folder, if any
    fs::rename(tmp, target);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace

Runner add_export(CLI::App& app) {
  struct Args {
    std::string model, input, plan, scenario, format = "onnx", output;
    std::uint64_t weight_seed = 1;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("export", "Write a model with its weights as one ONNX file, or a plan as one ONNX model per part plus a manifest");
  CLI::Option* model = cmd->add_option("--model", a->model, "Zoo model name or .onnx file");
  cmd->add_option("--input", a->input, "Input size CxHxW (default: the model's)");
  CLI::Option* plan = cmd->add_option("--plan", a->plan, "A plan: one ONNX model per part and the tail, plus manifest.json, into the folder -o");
  cmd->add_option("--scenario", a->scenario, "With --plan: where the image starts and the result ends (default: the plan's first device)");
  cmd->add_option("--format", a->format, "Output format: onnx (the only one)");
  cmd->add_option("--weight-seed", a->weight_seed, "Seed of a zoo model's pseudo-random weights (as verify and infer use)");
  cmd->add_option("-o,--output", a->output, "ONNX file to write (with --plan: a new or empty folder)")->required();
  model->excludes(plan);
  return [a] {
    if (a->format != "onnx") throw Error("--format: '" + a->format + "' is unknown (onnx is the only format)");
    if (a->plan.empty()) {
      if (a->model.empty()) throw Error("export needs --model M or --plan P.json");
      const Graph g = load_model(a->model, optional_shape(a->input));
      const std::string bytes = export_onnx(g, model_weights(g, a->weight_seed));
      write_file_atomic(a->output, bytes);
      std::printf("wrote %s: %s %s, %d layers, %.1f MB (opset %d)\n", a->output.c_str(), g.name().c_str(),
                  to_string(g.input_shape()).c_str(), g.size(), static_cast<double>(bytes.size()) / 1e6, kOnnxExportOpset);
      return 0;
    }
    if (!a->input.empty()) throw Error("--input: a plan fixes its model's input");
    const Plan p = load_plan_file(a->plan);
    const Graph g = plan_graph(p);
    std::vector<std::string> devices = p.devices;
    int input_device = 0, output_device = 0;
    if (!a->scenario.empty()) {
      const Scenario s = load_scenario_with_model(a->scenario, p.model_onnx.empty() ? "" : p.model_onnx, "");
      check_plan_for(p, s, a->plan);
      devices = s.device_ids();
      input_device = s.input_device;
      output_device = s.output_device;
    }
    const PlanExport out = export_plan_onnx(g, model_weights(g, a->weight_seed), p, devices, input_device, output_device);
    write_folder(a->output, out.files);
    std::size_t bytes = 0;
    for (const ExportedFile& f : out.files) bytes += f.bytes.size();
    std::printf("wrote %s: %zu ONNX models (parts and tail) and manifest.json for %s %s, %.1f MB (opset %d)\n", a->output.c_str(),
                out.files.size() - 1, g.name().c_str(), to_string(g.input_shape()).c_str(), static_cast<double>(bytes) / 1e6,
                kOnnxExportOpset);
    return 0;
  };
}

Runner add_infer(CLI::App& app) {
  struct Args {
    std::string model, input, image, save_image, output;
    std::uint64_t weight_seed = 1, input_seed = 7;
    int threads = 0;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("infer", "Run a model whole on the CPU reference executor; write its output as raw float32");
  cmd->add_option("--model", a->model, "Zoo model name or .onnx file")->required();
  cmd->add_option("--input", a->input, "Input size CxHxW (default: the model's)");
  CLI::Option* image = cmd->add_option("--image", a->image, "Raw little-endian float32 image, C*H*W values (default: seeded, as verify uses)");
  cmd->add_option("--input-seed", a->input_seed, "Seed of the pseudo-random image")->excludes(image);
  cmd->add_option("--weight-seed", a->weight_seed, "Seed of a zoo model's pseudo-random weights");
  cmd->add_option("--save-image", a->save_image, "Also write the image the run used (raw float32)");
  cmd->add_option("--threads", a->threads, "libtorch intra-op threads (0: libtorch default)")->check(CLI::Range(0, 1024));
  cmd->add_option("-o,--output", a->output, "Write the output (raw little-endian float32, C*H*W values)")->required();
  return [a] {
    const Graph g = load_model(a->model, optional_shape(a->input));
    ExecutorOptions o;
    o.weight_seed = a->weight_seed;
    o.input_seed = a->input_seed;
    o.threads = a->threads;
    if (!a->image.empty()) o.input = read_floats(a->image, g.input_shape().elements());
    const CpuExecutor exec(g, o);
    const std::vector<float> out = exec.run_monolithic();
    if (!a->save_image.empty()) write_file_atomic(a->save_image, floats_bytes(model_input_values(g, o)));
    write_file_atomic(a->output, floats_bytes(out));
    float lo = out.empty() ? 0 : out[0], hi = lo;
    for (float v : out) lo = std::min(lo, v), hi = std::max(hi, v);
    const Shape& s = g.layer(g.size() - 1).out;
    std::printf("%s %s -> output %s (%zu float32 values, min %.6g, max %.6g) written to %s\n", g.name().c_str(),
                to_string(g.input_shape()).c_str(), to_string(s).c_str(), out.size(), lo, hi, a->output.c_str());
    return 0;
  };
}

}  // namespace edgeplan::cli
