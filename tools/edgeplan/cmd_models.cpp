// `edgeplan models`: the zoo as a table or JSON.
#include <cstdio>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "edgeplan/model/zoo.h"
#include "edgeplan/onnx/onnx_model.h"

namespace edgeplan::cli {

namespace {
void print_layers(const Graph& g) {
  std::printf("%s %s: %d layers (%d spatial)%s\n", g.name().c_str(), to_string(g.input_shape()).c_str(), g.size(), g.body_end(),
              g.origin().empty() ? "" : (", from " + g.origin().onnx_path + " (SHA-256 " + g.origin().sha256 + ")").c_str());
  std::printf("%5s  %-32s %-17s %-13s %12s\n", "index", "name", "kind", "output", "MMACs");
  for (int i = 0; i < g.size(); ++i) {
    const Layer& l = g.layer(i);
    std::printf("%5d  %-32s %-17s %-13s %12.3f\n", i, l.name.c_str(), to_string(l.kind), to_string(l.out).c_str(),
                static_cast<double>(g.macs(i)) / 1e6);
  }
}

int cmd_models(bool as_json, const std::string& input, const std::string& model, bool layers) {
  std::vector<Graph> graphs;  // build all first so an error prints nothing else
  if (!model.empty()) graphs.push_back(load_model(model, optional_shape(input)));
  else
    for (const std::string& name : zoo_model_names()) graphs.push_back(build_model(name, optional_shape(input)));
  if (layers) {
    if (as_json) throw Error("--layers prints a table; it does not combine with --json");
    for (const Graph& g : graphs) print_layers(g);
    return 0;
  }
  nlohmann::json list = nlohmann::json::array();
  if (!as_json)
    std::printf("%-14s %-11s %7s %7s %10s %12s\n", "model", "input", "layers", "spatial", "GMACs", "params (M)");
  for (const Graph& g : graphs) {
    const std::string& name = g.name();
    const Shape& in = g.input_shape();
    if (as_json) {
      list.push_back({{"name", name},
                      {"input", {in.c, in.h, in.w}},
                      {"layers", g.size()},
                      {"spatial_layers", g.body_end()},
                      {"macs", g.total_macs()},
                      {"params", g.total_params()},
                      {"output", {g.layer(g.size() - 1).out.c, g.layer(g.size() - 1).out.h, g.layer(g.size() - 1).out.w}}});
    } else {
      std::printf("%-14s %-11s %7d %7d %10.3f %12.3f\n", name.c_str(), to_string(in).c_str(), g.size(), g.body_end(),
                  static_cast<double>(g.total_macs()) / 1e9, static_cast<double>(g.total_params()) / 1e6);
    }
  }
  if (as_json) std::cout << list.dump(2) << "\n";
  return 0;
}

}  // namespace

Runner add_models(CLI::App& app) {
  struct Args {
    bool json = false;
    std::string input, model;
    bool layers = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("models", "List the model zoo (or one model, e.g. an ONNX file) with MACs, parameters and layers");
  cmd->add_flag("--json", a->json, "Print JSON instead of a table");
  cmd->add_option("--input", a->input, "Override the input size, CxHxW (e.g. 3x128x128)");
  cmd->add_option("--model", a->model, "Show only this model: a zoo name or an .onnx file");
  cmd->add_flag("--layers", a->layers, "List every layer: index, name, kind, output shape, MACs");
  return [a] { return cmd_models(a->json, a->input, a->model, a->layers); };
}

}  // namespace edgeplan::cli
