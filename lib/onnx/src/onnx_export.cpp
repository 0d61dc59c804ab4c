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
  std::vector<bool> vector(static_cast<std::size_t>(g.size()), false);  // [1, N] after flatten / fully connected
  for (int i = 0; i < g.size(); ++i) {
    const Layer& l = g.layer(i);
    std::vector<std::string> args;
    for (int t : l.inputs) args.push_back(name(t));
    out.full_layer(g, w, i, args, name(i));
    vector[static_cast<std::size_t>(i)] = l.kind == LayerKind::Flatten || l.kind == LayerKind::Linear ||
                                          (l.inputs[0] != kModelInput && vector[static_cast<std::size_t>(l.inputs[0])]);
  }
  const Shape& o = g.layer(g.size() - 1).out;
  out.output("output", vector.back() ? std::vector<std::int64_t>{1, o.c} : std::vector<std::int64_t>{1, o.c, o.h, o.w});
  return out.serialize();
}

}  // namespace edgeplan
