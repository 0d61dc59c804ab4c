// Graph + weights -> ONNX: one node per layer (a few layers take two or three nodes), every
// weight an initializer, names taken from the layers.
#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>

#include "edgeplan/onnx/onnx_model.h"

namespace edgeplan {

namespace {

class Exporter {
 public:
  Exporter(const Graph& g, const ModelWeights& w) : g_(g), w_(w) {}

  std::string run() {
    if (static_cast<int>(w_.layers.size()) != g_.size())
      throw OnnxError("export: weights for " + std::to_string(w_.layers.size()) + " layers, the graph has " + std::to_string(g_.size()));
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.set_producer_name("edgeplan");
    m.set_producer_version("0.1.0");
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(kOnnxExportOpset);
    graph_ = m.mutable_graph();
    graph_->set_name(g_.name());
    const Shape& in = g_.input_shape();
    value_info(graph_->add_input(), "input", {1, in.c, in.h, in.w});
    for (int i = 0; i < g_.size(); ++i) layer(i);
    const Shape& o = g_.layer(g_.size() - 1).out;
    value_info(graph_->add_output(), "output", rank2_.count(g_.size() - 1) ? std::vector<std::int64_t>{1, o.c}
                                                                          : std::vector<std::int64_t>{1, o.c, o.h, o.w});
    // The last node writes the graph output.
    auto* last = graph_->mutable_node(graph_->node_size() - 1);
    last->set_output(0, "output");
    std::string bytes;
    if (!m.SerializeToString(&bytes)) throw OnnxError("export: the model does not serialize (over 2 GB?)");
    return bytes;
  }

 private:
  static void value_info(onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }

  std::string tensor_name(int t) const { return t == kModelInput ? "input" : "t" + std::to_string(t); }

  std::string init_float(const std::string& name, const std::vector<float>& v, const std::vector<std::int64_t>& dims) {
    auto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    return name;
  }
  std::string init_int(const std::string& name, const std::vector<std::int64_t>& v) {
    auto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(v.size()));
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::int64_t)));
    return name;
  }

  onnx::NodeProto* node(const std::string& op, const std::string& name, std::vector<std::string> inputs, const std::string& output) {
    auto* n = graph_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
  }
  static void ints(onnx::NodeProto* n, const char* name, const std::vector<std::int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void integer(onnx::NodeProto* n, const char* name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void real(onnx::NodeProto* n, const char* name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void text(onnx::NodeProto* n, const char* name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void window(onnx::NodeProto* n, const Layer& l) {
    ints(n, "kernel_shape", {l.win_h.kernel, l.win_w.kernel});
    ints(n, "strides", {l.win_h.stride, l.win_w.stride});
    ints(n, "pads", {l.win_h.pad, l.win_w.pad, l.win_h.end_pad(), l.win_w.end_pad()});
  }

  void layer(int i) {
    const Layer& l = g_.layer(i);
    const LayerParams& p = w_.layers[static_cast<std::size_t>(i)];
    const std::string out = tensor_name(i), name = l.name, pre = "l" + std::to_string(i) + ".";
    std::vector<std::string> in;
    for (int t : l.inputs) in.push_back(tensor_name(t));
    const Shape& s = g_.tensor_shape(l.inputs[0]);
    if (rank2_.count(l.inputs[0])) rank2_[i] = true;  // element-wise work on a vector stays a vector
    switch (l.kind) {
      case LayerKind::Conv: {
        std::vector<std::string> args = {in[0], init_float(pre + "weight", p.weight, {l.out_channels, s.c / l.groups, l.win_h.kernel, l.win_w.kernel})};
        if (l.bias) args.push_back(init_float(pre + "bias", p.bias, {l.out_channels}));
        auto* n = node("Conv", name, args, out);
        window(n, l);
        ints(n, "dilations", {l.win_h.dilation, l.win_w.dilation});
        integer(n, "group", l.groups);
        return;
      }
      case LayerKind::BatchNorm: {
        auto* n = node("BatchNormalization", name,
                       {in[0], init_float(pre + "scale", p.gamma, {s.c}), init_float(pre + "shift", p.beta, {s.c}),
                        init_float(pre + "mean", p.mean, {s.c}), init_float(pre + "var", p.var, {s.c})},
                       out);
        real(n, "epsilon", l.eps);
        return;
      }
      case LayerKind::ReLU: node("Relu", name, in, out); return;
      case LayerKind::Sigmoid: node("Sigmoid", name, in, out); return;
      case LayerKind::HardSwish: node("HardSwish", name, in, out); return;
      case LayerKind::LeakyReLU: real(node("LeakyRelu", name, in, out), "alpha", l.alpha); return;
      case LayerKind::HardSigmoid: {
        auto* n = node("HardSigmoid", name, in, out);
        real(n, "alpha", l.alpha);
        real(n, "beta", l.beta);
        return;
      }
      case LayerKind::ReLU6:
      case LayerKind::Clip: {
        const float lo = l.kind == LayerKind::ReLU6 ? 0.0f : l.alpha, hi = l.kind == LayerKind::ReLU6 ? 6.0f : l.beta;
        node("Clip", name, {in[0], init_float(pre + "min", {lo}, {}), init_float(pre + "max", {hi}, {})}, out);
        return;
      }
      case LayerKind::MaxPool:
      case LayerKind::AvgPool: {
        auto* n = node(l.kind == LayerKind::MaxPool ? "MaxPool" : "AveragePool", name, in, out);
        window(n, l);
        integer(n, "ceil_mode", l.ceil_mode ? 1 : 0);
        if (l.kind == LayerKind::AvgPool) integer(n, "count_include_pad", l.count_include_pad ? 1 : 0);
        return;
      }
      case LayerKind::Add: node(l.inputs.size() == 2 ? "Add" : "Sum", name, in, out); return;
      case LayerKind::Mul: {
        std::string acc = in[0];
        for (std::size_t k = 1; k < in.size(); ++k) {
          const std::string o = k + 1 == in.size() ? out : pre + "mul" + std::to_string(k);
          node("Mul", k + 1 == in.size() ? name : name + "." + std::to_string(k), {acc, in[k]}, o);
          acc = o;
        }
        return;
      }
      case LayerKind::Concat: integer(node("Concat", name, in, out), "axis", 1); return;
      case LayerKind::Upsample: {
        auto* n = node("Resize", name,
                       {in[0], "", init_float(pre + "scales", {1.0f, 1.0f, static_cast<float>(l.win_h.stride), static_cast<float>(l.win_w.stride)}, {4})},
                       out);
        text(n, "mode", "nearest");
        text(n, "coordinate_transformation_mode", "asymmetric");
        text(n, "nearest_mode", "floor");
        return;
      }
      case LayerKind::Reorg: {
        // PyTorch's pixel_unshuffle: channel c*f*f + i*f + j takes cell (i, j) of each block.
        const std::int64_t f = l.win_h.stride;
        node("Reshape", name + ".split", {in[0], init_int(pre + "shape6", {1, s.c, s.h / f, f, s.w / f, f})}, pre + "r6");
        ints(node("Transpose", name + ".move", {pre + "r6"}, pre + "t6"), "perm", {0, 1, 3, 5, 2, 4});
        node("Reshape", name, {pre + "t6", init_int(pre + "shape4", {1, s.c * f * f, s.h / f, s.w / f})}, out);
        return;
      }
      case LayerKind::GlobalAvgPool: node("GlobalAveragePool", name, in, out); return;
      case LayerKind::AdaptiveAvgPool: {
        // Even bins are an average pooling with kernel = stride = extent / bins.
        if (s.h % l.out_h || s.w % l.out_w)
          throw OnnxError("export: layer '" + l.name + "' pools " + std::to_string(s.h) + "x" + std::to_string(s.w) + " into " +
                          std::to_string(l.out_h) + "x" + std::to_string(l.out_w) + " uneven bins, which ONNX cannot express; choose an input size whose map divides evenly");
        auto* n = node("AveragePool", name, in, out);
        ints(n, "kernel_shape", {s.h / l.out_h, s.w / l.out_w});
        ints(n, "strides", {s.h / l.out_h, s.w / l.out_w});
        return;
      }
      case LayerKind::Flatten:
        integer(node("Flatten", name, in, out), "axis", 1);
        rank2_[i] = true;
        return;
      case LayerKind::Linear: {
        std::vector<std::string> args = {in[0], init_float(pre + "weight", p.weight, {l.out_channels, s.c})};
        if (l.bias) args.push_back(init_float(pre + "bias", p.bias, {l.out_channels}));
        integer(node("Gemm", name, args, out), "transB", 1);
        rank2_[i] = true;
        return;
      }
    }
  }

  const Graph& g_;
  const ModelWeights& w_;
  onnx::GraphProto* graph_ = nullptr;
  std::map<int, bool> rank2_;
};

}  // namespace

std::string export_onnx(const Graph& graph, const ModelWeights& weights) { return Exporter(graph, weights).run(); }

}  // namespace edgeplan
