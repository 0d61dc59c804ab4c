// Graph + weights -> one ONNX model: one node per layer (a few layers take two or three
// nodes), every weight an initializer, names taken from the layers.
#include "edgeplan/onnx/onnx_model.h"
#include "onnx_writer.h"

namespace edgeplan {

std::string export_onnx(const Graph& g, const ModelWeights& w) {
  if (static_cast<int>(w.layers.size()) != g.size())
    throw OnnxError("export: weights for " + std::to_string(w.layers.size()) + " layers, the graph has " + std::to_string(g.size()));
  detail::OnnxWriter out(g.name());
  const Shape& in = g.input_shape();
  out.input("input", {1, in.c, in.h, in.w});
  auto name = [&](int t) { return t == kModelInput ? std::string("input") : t == g.size() - 1 ? "output" : "t" + std::to_string(t); };
  for (int i = 0; i < g.size(); ++i) {
    std::vector<std::string> args;
    for (int t : g.layer(i).inputs) args.push_back(name(t));
    out.full_layer(g, w, i, args, name(i));
  }
  out.output("output", detail::OnnxWriter::output_dims(g, g.size() - 1));
  return out.serialize();
}

}  // namespace edgeplan
