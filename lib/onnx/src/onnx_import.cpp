// ONNX -> Graph + weights. Each node becomes one layer, is folded into one (Pad into Conv,
// a bias Add into MatMul, Shape arithmetic into constants), or is refused with one line.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <type_traits>

#include "edgeplan/onnx/onnx_model.h"

namespace edgeplan {

namespace {

using E = OnnxError;

// Upper bound on the elements of one constant tensor (about 1 GB of floats).
constexpr std::int64_t kMaxElements = std::int64_t{1} << 28;

std::string dims_text(const std::vector<std::int64_t>& d) {
  std::string s = "[";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}

// A constant (initializer, Constant node, or folded shape arithmetic).
struct Const {
  std::vector<std::int64_t> dims;
  std::vector<float> f;         // float data (FLOAT / DOUBLE / FLOAT16 are not mixed: see decode)
  std::vector<std::int64_t> i;  // integer data (INT64 / INT32)
  bool is_int = false;
  std::int64_t count() const { return is_int ? static_cast<std::int64_t>(i.size()) : static_cast<std::int64_t>(f.size()); }
};

// What a value name stands for while the nodes are read.
struct Value {
  enum class Kind { Map, Const, PendingPad, PendingMatMul, Unshuffle6D, Unshuffle6DT, Shuffle5D, Shuffle5DT } kind = Kind::Map;
  int tensor = kModelInput;  // Map and the pending kinds: the feature map they derive from
  int rank = 4;              // Map: the ONNX rank (4, or 2 after flattening)
  std::shared_ptr<Const> c;  // Const; PendingMatMul: the weight [in, out]
  int pads[4] = {0, 0, 0, 0};  // PendingPad: h begin, w begin, h end, w end
  int factor = 0;            // Unshuffle: the block size; Shuffle: the groups
  std::string name;          // PendingMatMul: the node's name
};

class Importer {
 public:
  Importer(const onnx::ModelProto& m, const std::string& name, std::optional<Shape> input)
      : model_(m), graph_proto_(m.graph()), graph_(name, input_shape(m.graph(), input)) {}

  Graph run() {
    check_opset();
    for (const auto& t : graph_proto_.initializer()) {
      Value v;
      v.kind = Value::Kind::Const;
      v.c = std::make_shared<Const>(decode(t, "initializer '" + t.name() + "'"));
      values_[t.name()] = v;
    }
    values_[input_name_] = Value{};
    for (const auto& n : graph_proto_.node()) {
      for (const auto& in : n.input())
        if (!in.empty()) ++uses_[in];
    }
    for (const auto& n : graph_proto_.node()) node(n);
    if (graph_proto_.output_size() != 1)
      throw E("the model has " + std::to_string(graph_proto_.output_size()) + " outputs; edgeplan plans models with one");
    const std::string& out = graph_proto_.output(0).name();
    const int t = map_tensor(out, "the graph output");
    if (t != graph_.size() - 1)
      throw E("the graph output '" + out + "' is not the last layer computed: layers after it are unused");
    check_output_shape(graph_proto_.output(0));
    mark_squeezes();
    check_tail();
    auto w = std::make_shared<ModelWeights>();
    w->layers = std::move(params_);
    graph_.set_weights(std::move(w));
    return std::move(graph_);
  }

 private:
  // ---- model-level checks ----
  void check_opset() const {
    int version = -1;
    for (const auto& o : model_.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") version = static_cast<int>(o.version());
    if (version < 0) throw E("the model imports no default ONNX operator set");
    if (version < kOnnxMinOpset || version > kOnnxMaxOpset)
      throw E("opset " + std::to_string(version) + " is not supported (edgeplan reads opsets " + std::to_string(kOnnxMinOpset) +
              "-" + std::to_string(kOnnxMaxOpset) + "; convert the model with onnx.version_converter)");
  }

  Shape input_shape(const onnx::GraphProto& g, std::optional<Shape> input) {
    std::vector<const onnx::ValueInfoProto*> inputs;
    for (const auto& in : g.input()) {
      bool init = false;
      for (const auto& t : g.initializer())
        if (t.name() == in.name()) init = true;
      if (!init) inputs.push_back(&in);
    }
    if (inputs.size() != 1)
      throw E("the model has " + std::to_string(inputs.size()) + " inputs that are not weights; edgeplan needs exactly one image input");
    const auto& vi = *inputs[0];
    input_name_ = vi.name();
    if (!vi.type().has_tensor_type()) throw E("input '" + vi.name() + "' is not a tensor");
    const auto& tt = vi.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT) throw E("input '" + vi.name() + "' is not float32");
    if (tt.shape().dim_size() != 4) throw E("input '" + vi.name() + "' must be 4-D [N, C, H, W]");
    int dims[4];
    for (int d = 0; d < 4; ++d) {
      const auto& dim = tt.shape().dim(d);
      if (dim.has_dim_value() && (dim.dim_value() <= 0 || dim.dim_value() > (1 << 16)))
        throw E("input '" + vi.name() + "' has dimension " + std::to_string(dim.dim_value()) + " (edgeplan takes 1 to 65536)");
      dims[d] = dim.has_dim_value() ? static_cast<int>(dim.dim_value()) : 0;
    }
    if (dims[0] > 1) throw E("input '" + vi.name() + "' has batch " + std::to_string(dims[0]) + "; edgeplan plans batch 1");
    if (dims[1] == 0) throw E("input '" + vi.name() + "' has a symbolic channel count");
    if (input) {
      if (input->c != dims[1] || (dims[2] && input->h != dims[2]) || (dims[3] && input->w != dims[3]))
        throw E("the model fixes its input at " + std::to_string(dims[1]) + "x" + (dims[2] ? std::to_string(dims[2]) : "H") + "x" +
                (dims[3] ? std::to_string(dims[3]) : "W") + "; --input " + to_string(*input) + " does not fit");
      return *input;
    }
    if (!dims[2] || !dims[3])
      throw E("input '" + vi.name() + "' has a symbolic height or width; give the input size (--input CxHxW)");
    return Shape{dims[1], dims[2], dims[3]};
  }

  void check_output_shape(const onnx::ValueInfoProto& vi) const {
    if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return;
    const auto& sh = vi.type().tensor_type().shape();
    const Shape& o = graph_.layer(graph_.size() - 1).out;
    std::vector<std::int64_t> want = out_dims(graph_.size() - 1);
    if (sh.dim_size() != static_cast<int>(want.size())) return;  // rank is checked by the rank tracking below
    for (int d = 1; d < sh.dim_size(); ++d)
      if (sh.dim(d).has_dim_value() && sh.dim(d).dim_value() != want[static_cast<std::size_t>(d)])
        throw E("the file declares output '" + vi.name() + "' with another shape than the layers compute (" + to_string(o) + ")");
  }

  // Squeeze-and-excitation: a global pooling whose vector, through 1x1 layers, scales a map
  // again is a spatial barrier, not the start of the classifier. It becomes the same mean as
  // an average pooling whose window is the whole map, so the body goes on past it and the
  // halo math says what it is: any row after it needs every row of the pooled map.
  void mark_squeezes() {
    std::vector<bool> squeeze(static_cast<std::size_t>(graph_.size()), false);
    bool any = false;
    for (int i = 0; i < graph_.size(); ++i) {
      const Layer& l = graph_.layer(i);
      if (l.kind != LayerKind::Mul) continue;
      for (int t : l.inputs) {
        const Shape& s = graph_.tensor_shape(t);
        if (s.h != 1 || s.w != 1 || (l.out.h == 1 && l.out.w == 1)) continue;
        // Walk back through the vector's 1x1 producers to the poolings that made it.
        std::vector<int> todo = {t};
        std::vector<bool> seen(static_cast<std::size_t>(graph_.size()), false);
        while (!todo.empty()) {
          const int v = todo.back();
          todo.pop_back();
          if (v == kModelInput || seen[static_cast<std::size_t>(v)]) continue;
          seen[static_cast<std::size_t>(v)] = true;
          const Layer& p = graph_.layer(v);
          if (p.kind == LayerKind::GlobalAvgPool) {
            squeeze[static_cast<std::size_t>(v)] = any = true;
            continue;
          }
          if (!p.is_spatial())
            throw E("layer '" + p.name + "' (" + to_string(p.kind) + ") computes the per-channel vector that '" + l.name +
                    "' scales a map by: squeeze-and-excitation is supported with 1x1 convolutions (as torchvision exports it), not through " +
                    to_string(p.kind));
          for (int u : p.inputs)
            if (graph_.tensor_shape(u).h == 1 && graph_.tensor_shape(u).w == 1) todo.push_back(u);
        }
      }
    }
    if (!any) return;
    Graph g(graph_.name(), graph_.input_shape());
    for (int i = 0; i < graph_.size(); ++i) {
      Layer l = graph_.layer(i);
      if (squeeze[static_cast<std::size_t>(i)]) {
        const Shape& in = graph_.tensor_shape(l.inputs[0]);
        l.kind = LayerKind::AvgPool;
        l.win_h = Window{in.h, in.h, 0, 1, -1};
        l.win_w = Window{in.w, in.w, 0, 1, -1};
      }
      g.add(std::move(l));
    }
    graph_ = std::move(g);
  }

  // No spatial layer may follow the first non-spatial one: the tail runs whole on one device.
  void check_tail() const {
    const int end = graph_.body_end();
    for (int i = end; i < graph_.size(); ++i)
      if (graph_.layer(i).is_spatial() && !graph_.layer(i).is_pointwise() && graph_.layer(i).kind != LayerKind::Add &&
          graph_.layer(i).kind != LayerKind::Mul)
        throw E("layer '" + graph_.layer(i).name + "' (" + to_string(graph_.layer(i).kind) + ") follows the global pooling of '" +
                graph_.layer(end).name + "': spatial layers after the classifier head are not supported");
  }

  std::vector<std::int64_t> out_dims(int tensor) const {
    const Shape& s = graph_.tensor_shape(tensor);
    if (rank_.count(tensor) && rank_.at(tensor) == 2) return {1, s.c};
    return {1, s.c, s.h, s.w};
  }

  // ---- constants ----
  static Const decode(const onnx::TensorProto& t, const std::string& what) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
      throw E(what + " keeps its data in an external file, which edgeplan does not read");
    Const c;
    std::int64_t n = 1;
    for (auto d : t.dims()) {
      if (d < 0) throw E(what + " has a negative dimension");
      c.dims.push_back(d);
      if (d > 0 && n > kMaxElements / d) throw E(what + " is too large");
      n *= d;
    }
    const std::string& raw = t.raw_data();
    auto need_raw = [&](std::size_t elem) {
      if (raw.size() != static_cast<std::size_t>(n) * elem)
        throw E(what + " holds " + std::to_string(raw.size()) + " bytes of data, its shape " + dims_text(c.dims) + " needs " +
                std::to_string(static_cast<std::size_t>(n) * elem));
    };
    auto need_count = [&](int have) {
      if (have != n) throw E(what + " holds " + std::to_string(have) + " values, its shape " + dims_text(c.dims) + " needs " + std::to_string(n));
    };
    // Raw little-endian bytes of type Raw, or the typed repeated field, into `out`.
    auto fill = [&](auto raw_type, const auto& typed, auto& out) {
      using Raw = decltype(raw_type);
      using Out = typename std::remove_reference_t<decltype(out)>::value_type;
      if (t.has_raw_data()) {
        need_raw(sizeof(Raw));
        if constexpr (std::is_same_v<Raw, Out>) {
          out.resize(static_cast<std::size_t>(n));
          if (n) std::memcpy(out.data(), raw.data(), raw.size());
        } else {
          std::vector<Raw> d(static_cast<std::size_t>(n));
          if (n) std::memcpy(d.data(), raw.data(), raw.size());
          out.assign(d.begin(), d.end());
        }
      } else {
        need_count(typed.size());
        out.assign(typed.begin(), typed.end());
      }
    };
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT: fill(float{}, t.float_data(), c.f); break;
      case onnx::TensorProto::DOUBLE: fill(double{}, t.double_data(), c.f); break;
      case onnx::TensorProto::INT64:
        c.is_int = true;
        fill(std::int64_t{}, t.int64_data(), c.i);
        break;
      case onnx::TensorProto::INT32:
        c.is_int = true;
        fill(std::int32_t{}, t.int32_data(), c.i);
        break;
      default:
        throw E(what + " has element type " + std::to_string(t.data_type()) + "; edgeplan reads float32, float64, int32 and int64 constants");
    }
    return c;
  }

  // ---- attributes ----
  static const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  std::int64_t attr_int(const onnx::NodeProto& n, const char* name, std::int64_t def) const {
    const auto* a = attr(n, name);
    return a ? a->i() : def;
  }
  float attr_float(const onnx::NodeProto& n, const char* name, float def) const {
    const auto* a = attr(n, name);
    return a ? a->f() : def;
  }
  std::string attr_string(const onnx::NodeProto& n, const char* name, const std::string& def) const {
    const auto* a = attr(n, name);
    return a ? a->s() : def;
  }
  std::vector<std::int64_t> attr_ints(const onnx::NodeProto& n, const char* name) const {
    const auto* a = attr(n, name);
    if (!a) return {};
    return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
  }

  // ---- values ----
  std::string where(const onnx::NodeProto& n) const {
    return "node '" + (n.name().empty() ? (n.output_size() ? n.output(0) : std::string("?")) : n.name()) + "' (" + n.op_type() + ")";
  }
  Value& value(const std::string& name, const std::string& what) {
    auto it = values_.find(name);
    if (it == values_.end()) throw E(what + " reads '" + name + "', which no earlier node produces");
    return it->second;
  }
  Value& input(const onnx::NodeProto& n, int k) {
    if (k >= n.input_size() || n.input(k).empty()) throw E(where(n) + " lacks input " + std::to_string(k + 1));
    return value(n.input(k), where(n));
  }
  bool has_input(const onnx::NodeProto& n, int k) const { return k < n.input_size() && !n.input(k).empty(); }
  const Const& const_input(const onnx::NodeProto& n, int k, const char* what) {
    Value& v = input(n, k);
    if (v.kind != Value::Kind::Const) throw E(where(n) + ": its " + what + " must be a constant (an initializer)");
    return *v.c;
  }
  // A constant's floats for a layer's parameters: moved out when this node is its only reader
  // (the usual case; it saves a copy of every weight), copied otherwise.
  std::vector<float> take_floats(const onnx::NodeProto& n, int k) {
    Value& v = input(n, k);
    if (uses_[n.input(k)] == 1 && v.c.use_count() == 1) return std::move(v.c->f);
    return v.c->f;
  }

  // The feature map a value stands for, materializing a pending MatMul; refuses the rest.
  int map_of(Value& v, const std::string& what) {
    switch (v.kind) {
      case Value::Kind::Map: return v.tensor;
      case Value::Kind::PendingMatMul: {
        v.tensor = add_linear(v.name, v.tensor, *v.c, nullptr);
        v.kind = Value::Kind::Map;
        v.rank = 2;
        return v.tensor;
      }
      case Value::Kind::Const: throw E(what + ": element-wise work on constants is not supported (only weights may be constant)");
      case Value::Kind::PendingPad: throw E(what + ": a Pad is supported only as the zero padding of a following Conv");
      default: throw E(what + ": a Reshape/Transpose other than pixel-unshuffle (space-to-depth) or channel shuffle is not supported");
    }
  }
  int map_tensor(const std::string& name, const std::string& what) { return map_of(value(name, what), what); }
  int map_input(const onnx::NodeProto& n, int k) { return map_of(input(n, k), where(n)); }

  void set_map(const onnx::NodeProto& n, int tensor, int rank = 4) {
    Value v;
    v.tensor = tensor;
    v.rank = rank;
    rank_[tensor] = rank;
    set(n, v);
  }
  void set(const onnx::NodeProto& n, const Value& v, int k = 0) {
    if (n.output_size() <= k || n.output(k).empty()) throw E(where(n) + " has no output " + std::to_string(k + 1));
    if (values_.count(n.output(k))) throw E(where(n) + " writes '" + n.output(k) + "', which another node already produced");
    values_[n.output(k)] = v;
  }
  void set_const(const onnx::NodeProto& n, Const c) {
    Value v;
    v.kind = Value::Kind::Const;
    v.c = std::make_shared<Const>(std::move(c));
    set(n, v);
  }

  std::string layer_name(const onnx::NodeProto& n) const { return n.name().empty() ? n.output(0) : n.name(); }

  int add_layer(Layer l, LayerParams p = {}) {
    int t;
    try {
      t = graph_.add(std::move(l));
    } catch (const ModelError& e) {
      throw E(e.what());
    }
    params_.push_back(std::move(p));
    return t;
  }

  int add_linear(const std::string& name, int in, const Const& w_in_out, const Const* bias) {
    const Shape& s = graph_.tensor_shape(in);
    if (w_in_out.dims.size() != 2 || w_in_out.is_int || w_in_out.dims[0] != s.elements())
      throw E("node '" + name + "' (MatMul): its weight must be a float [" + std::to_string(s.elements()) + ", N] constant, got " +
              dims_text(w_in_out.dims));
    const auto in_f = static_cast<std::size_t>(w_in_out.dims[0]), out_f = static_cast<std::size_t>(w_in_out.dims[1]);
    LayerParams p;
    p.weight.resize(in_f * out_f);
    for (std::size_t i = 0; i < in_f; ++i)
      for (std::size_t o = 0; o < out_f; ++o) p.weight[o * in_f + i] = w_in_out.f[i * out_f + o];
    if (bias) p.bias = bias->f;
    Layer l;
    l.name = name;
    l.kind = LayerKind::Linear;
    l.inputs = {in};
    l.out_channels = static_cast<int>(out_f);
    l.bias = bias != nullptr;
    return add_layer(std::move(l), std::move(p));
  }

  // ---- windows ----
  // kernel, strides, pads (with auto_pad) and dilations of a Conv / pool along both axes.
  void windows(const onnx::NodeProto& n, int in_h, int in_w, std::vector<std::int64_t> kernel, Layer& l) const {
    if (kernel.size() != 2) throw E(where(n) + ": only 2-D windows are supported (kernel_shape " + dims_text(kernel) + ")");
    std::vector<std::int64_t> strides = attr_ints(n, "strides"), dil = attr_ints(n, "dilations"), pads = attr_ints(n, "pads");
    if (strides.empty()) strides = {1, 1};
    if (dil.empty()) dil = {1, 1};
    if (pads.empty()) pads = {0, 0, 0, 0};
    if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) throw E(where(n) + ": strides, dilations or pads do not fit a 2-D window");
    for (auto v : {kernel[0], kernel[1], strides[0], strides[1], dil[0], dil[1]})
      if (v <= 0 || v > (1 << 16)) throw E(where(n) + ": kernel, strides and dilations must be positive");
    for (auto v : pads)
      if (v < 0 || v > (1 << 16)) throw E(where(n) + ": pads must be non-negative");
    const std::string ap = attr_string(n, "auto_pad", "NOTSET");
    const int extent[2] = {in_h, in_w};
    if (ap == "VALID") {
      pads = {0, 0, 0, 0};
    } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
      for (int a = 0; a < 2; ++a) {
        const std::int64_t out = (extent[a] + strides[static_cast<std::size_t>(a)] - 1) / strides[static_cast<std::size_t>(a)];
        const std::int64_t span = dil[static_cast<std::size_t>(a)] * (kernel[static_cast<std::size_t>(a)] - 1) + 1;
        const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * strides[static_cast<std::size_t>(a)] + span - extent[a]);
        const std::int64_t small = total / 2, large = total - small;
        pads[static_cast<std::size_t>(a)] = ap == "SAME_UPPER" ? small : large;
        pads[static_cast<std::size_t>(a + 2)] = ap == "SAME_UPPER" ? large : small;
      }
    } else if (ap != "NOTSET") {
      throw E(where(n) + ": auto_pad '" + ap + "' is unknown");
    }
    l.win_h = Window{static_cast<int>(kernel[0]), static_cast<int>(strides[0]), static_cast<int>(pads[0]), static_cast<int>(dil[0]),
                     static_cast<int>(pads[2])};
    l.win_w = Window{static_cast<int>(kernel[1]), static_cast<int>(strides[1]), static_cast<int>(pads[1]), static_cast<int>(dil[1]),
                     static_cast<int>(pads[3])};
  }

  // ---- operators ----
  void node(const onnx::NodeProto& n) {
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      throw E(where(n) + " is from operator domain '" + n.domain() + "'; edgeplan supports only the default domain");
    if (n.output_size() < 1 || n.output(0).empty()) throw E(where(n) + " has no output");
    const std::string& op = n.op_type();
    if (op == "Conv") return conv(n);
    if (op == "ConvTranspose") return conv_transpose(n);
    if (op == "BatchNormalization") return batch_norm(n);
    if (op == "Relu") return unary(n, LayerKind::ReLU);
    if (op == "Sigmoid") return unary(n, LayerKind::Sigmoid);
    if (op == "HardSwish") return unary(n, LayerKind::HardSwish);
    if (op == "LeakyRelu") return unary(n, LayerKind::LeakyReLU, attr_float(n, "alpha", 0.01f));
    if (op == "HardSigmoid") return unary(n, LayerKind::HardSigmoid, attr_float(n, "alpha", 0.2f), attr_float(n, "beta", 0.5f));
    if (op == "Clip") return clip(n);
    if (op == "Add" || op == "Sum" || op == "Mul" || op == "Sub" || op == "Div") return elementwise(n);
    if (op == "MaxPool" || op == "AveragePool") return pool(n);
    if (op == "GlobalAveragePool") return global_pool(n, 4);
    if (op == "ReduceMean") return reduce_mean(n);
    if (op == "Concat") return concat(n);
    if (op == "Flatten") return flatten(n);
    if (op == "Reshape") return reshape(n);
    if (op == "Transpose") return transpose(n);
    if (op == "Gemm") return gemm(n);
    if (op == "MatMul") return matmul(n);
    if (op == "Dropout" || op == "Identity") return alias(n);
    if (op == "Constant") return constant(n);
    if (op == "Pad") return pad(n);
    if (op == "Resize") return resize(n);
    if (op == "Split") return split(n);
    if (op == "Slice") return slice(n);
    if (op == "Shape" || op == "Gather" || op == "Unsqueeze" || op == "Cast") return shape_arith(n);
    std::string list;
    for (const auto& s : onnx_supported_ops()) list += (list.empty() ? "" : ", ") + s;
    throw E(where(n) + ": operator " + op + " is not supported (supported: " + list + ")");
  }

  void conv(const onnx::NodeProto& n) {
    Value& xv = input(n, 0);
    int pre[4] = {0, 0, 0, 0};
    int x;
    if (xv.kind == Value::Kind::PendingPad) {
      std::copy(xv.pads, xv.pads + 4, pre);
      x = xv.tensor;
    } else {
      x = map_of(xv, where(n));
    }
    const Const& w = const_input(n, 1, "weight");
    if (w.is_int || w.dims.size() != 4) throw E(where(n) + ": its weight must be a float 4-D constant, got " + dims_text(w.dims));
    const Shape& s = graph_.tensor_shape(x);
    Layer l;
    l.name = layer_name(n);
    l.kind = LayerKind::Conv;
    l.inputs = {x};
    std::vector<std::int64_t> kernel = attr_ints(n, "kernel_shape");
    if (kernel.empty()) kernel = {w.dims[2], w.dims[3]};
    if (kernel.size() != 2 || kernel[0] != w.dims[2] || kernel[1] != w.dims[3]) throw E(where(n) + ": kernel_shape disagrees with the weight's shape");
    windows(n, s.h + pre[0] + pre[2], s.w + pre[1] + pre[3], kernel, l);
    l.win_h.pad += pre[0];
    l.win_h.pad_end = l.win_h.end_pad() + pre[2];
    l.win_w.pad += pre[1];
    l.win_w.pad_end = l.win_w.end_pad() + pre[3];
    const std::int64_t groups = attr_int(n, "group", 1);
    if (groups <= 0 || groups > s.c) throw E(where(n) + ": group " + std::to_string(groups) + " does not fit " + std::to_string(s.c) + " channels");
    l.groups = static_cast<int>(groups);
    l.out_channels = static_cast<int>(w.dims[0]);
    if (w.dims[1] * groups != s.c)
      throw E(where(n) + ": weight " + dims_text(w.dims) + " with group " + std::to_string(groups) + " does not fit " + std::to_string(s.c) +
              " input channels");
    LayerParams p;
    p.weight = take_floats(n, 1);
    if (has_input(n, 2)) {
      const Const& b = const_input(n, 2, "bias");
      if (b.is_int || b.count() != w.dims[0]) throw E(where(n) + ": its bias must hold " + std::to_string(w.dims[0]) + " floats");
      p.bias = take_floats(n, 2);
      l.bias = true;
    }
    set_map(n, add_layer(std::move(l), std::move(p)));
  }

  // ConvTranspose as PyTorch exports it: explicit pads (cropping) and output_padding.
  void conv_transpose(const onnx::NodeProto& n) {
    const int x = map_input(n, 0);
    const Const& w = const_input(n, 1, "weight");
    if (w.is_int || w.dims.size() != 4) throw E(where(n) + ": its weight must be a float 4-D constant, got " + dims_text(w.dims));
    const Shape& s = graph_.tensor_shape(x);
    if (!attr_ints(n, "output_shape").empty())
      throw E(where(n) + ": ConvTranspose with output_shape is not supported (give pads and output_padding, as PyTorch exports)");
    const std::string ap = attr_string(n, "auto_pad", "NOTSET");
    if (ap != "NOTSET" && ap != "VALID") throw E(where(n) + ": ConvTranspose with auto_pad " + ap + " is not supported (give pads)");
    const std::int64_t groups = attr_int(n, "group", 1);
    if (groups <= 0 || w.dims[0] != s.c || s.c % groups != 0)
      throw E(where(n) + ": weight " + dims_text(w.dims) + " with group " + std::to_string(groups) + " does not fit " + std::to_string(s.c) +
              " input channels");
    std::vector<std::int64_t> kernel = attr_ints(n, "kernel_shape");
    if (kernel.empty()) kernel = {w.dims[2], w.dims[3]};
    if (kernel.size() != 2 || kernel[0] != w.dims[2] || kernel[1] != w.dims[3]) throw E(where(n) + ": kernel_shape disagrees with the weight's shape");
    std::vector<std::int64_t> strides = attr_ints(n, "strides"), dil = attr_ints(n, "dilations"), pads = attr_ints(n, "pads"),
                              extra = attr_ints(n, "output_padding");
    if (strides.empty()) strides = {1, 1};
    if (dil.empty()) dil = {1, 1};
    if (pads.empty() || ap == "VALID") pads = {0, 0, 0, 0};
    if (extra.empty()) extra = {0, 0};
    if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4 || extra.size() != 2)
      throw E(where(n) + ": strides, dilations, pads or output_padding do not fit a 2-D window");
    for (auto v : {kernel[0], kernel[1], strides[0], strides[1], dil[0], dil[1]})
      if (v <= 0 || v > (1 << 16)) throw E(where(n) + ": kernel, strides and dilations must be positive");
    for (auto v : {pads[0], pads[1], pads[2], pads[3], extra[0], extra[1]})
      if (v < 0 || v > (1 << 16)) throw E(where(n) + ": pads and output_padding must be non-negative");
    Layer l;
    l.name = layer_name(n);
    l.kind = LayerKind::ConvTranspose;
    l.inputs = {x};
    for (int a = 0; a < 2; ++a) {
      Window& wi = a == 0 ? l.win_h : l.win_w;
      const std::size_t k = static_cast<std::size_t>(a);
      wi = Window{static_cast<int>(kernel[k]), static_cast<int>(strides[k]), static_cast<int>(pads[k]), static_cast<int>(dil[k]),
                  static_cast<int>(pads[k + 2])};
      wi.extra = static_cast<int>(extra[k]);
    }
    l.groups = static_cast<int>(groups);
    l.out_channels = static_cast<int>(w.dims[1] * groups);
    LayerParams p;
    p.weight = take_floats(n, 1);
    if (has_input(n, 2)) {
      const Const& b = const_input(n, 2, "bias");
      if (b.is_int || b.count() != l.out_channels) throw E(where(n) + ": its bias must hold " + std::to_string(l.out_channels) + " floats");
      p.bias = take_floats(n, 2);
      l.bias = true;
    }
    set_map(n, add_layer(std::move(l), std::move(p)));
  }

  void batch_norm(const onnx::NodeProto& n) {
    const int x = map_input(n, 0);
    if (attr_int(n, "training_mode", 0) != 0 || n.output_size() > 1)
      throw E(where(n) + ": training-mode batch normalization is not supported (export the model in eval mode)");
    const int c = graph_.tensor_shape(x).c;
    LayerParams p;
    std::vector<float>* dst[4] = {&p.gamma, &p.beta, &p.mean, &p.var};
    const char* names[4] = {"scale", "bias", "mean", "variance"};
    for (int k = 0; k < 4; ++k) {
      const Const& t = const_input(n, k + 1, names[k]);
      if (t.is_int || t.count() != c) throw E(where(n) + ": its " + names[k] + " must hold " + std::to_string(c) + " floats");
      *dst[k] = take_floats(n, k + 1);
    }
    Layer l;
    l.name = layer_name(n);
    l.kind = LayerKind::BatchNorm;
    l.inputs = {x};
    l.eps = attr_float(n, "epsilon", 1e-5f);
    set_map(n, add_layer(std::move(l), std::move(p)), value(n.input(0), where(n)).rank);
  }

  void unary(const onnx::NodeProto& n, LayerKind kind, float alpha = 0.0f, float beta = 0.0f) {
    Value& v = input(n, 0);
    const int x = map_of(v, where(n));
    const int rank = v.rank;
    Layer l;
    l.name = layer_name(n);
    l.kind = kind;
    l.inputs = {x};
    l.alpha = alpha;
    l.beta = beta;
    set_map(n, add_layer(std::move(l)), rank);
  }

  void clip(const onnx::NodeProto& n) {
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    auto scalar = [&](int k, const char* what) {
      const Const& c = const_input(n, k, what);
      if (c.count() != 1) throw E(where(n) + ": its " + std::string(what) + " must be a scalar");
      return c.is_int ? static_cast<float>(c.i[0]) : c.f[0];
    };
    if (has_input(n, 1)) lo = scalar(1, "min");
    if (has_input(n, 2)) hi = scalar(2, "max");
    if (lo == 0.0f && hi == 6.0f) return unary(n, LayerKind::ReLU6);
    if (lo == 0.0f && std::isinf(hi)) return unary(n, LayerKind::ReLU);
    unary(n, LayerKind::Clip, lo, hi);
  }

  void elementwise(const onnx::NodeProto& n) {
    if (n.input_size() == 0 || (n.op_type() != "Sum" && n.input_size() > 2))
      throw E(where(n) + ": " + n.op_type() + " with " + std::to_string(n.input_size()) + " inputs (it takes two)");
    const bool mul = n.op_type() == "Mul";
    if (n.input_size() == 1) return alias(n);
    // MatMul + Add(bias) is a fully connected layer with bias.
    if (n.op_type() == "Add" && n.input_size() == 2) {
      for (int k = 0; k < 2; ++k) {
        Value& a = input(n, k);
        Value& b = input(n, 1 - k);
        if (a.kind == Value::Kind::PendingMatMul && b.kind == Value::Kind::Const && uses_[n.input(k)] == 1) {
          const Const& bias = *b.c;
          if (bias.is_int || bias.count() != a.c->dims[1]) break;
          set_map(n, add_linear(a.name, a.tensor, *a.c, &bias), 2);
          return;
        }
      }
    }
    // A map and a per-channel constant: an affine layer (x * scale + shift).
    if (n.input_size() == 2 && (input(n, 0).kind == Value::Kind::Const) != (input(n, 1).kind == Value::Kind::Const))
      return affine(n);
    if (n.op_type() == "Div") throw E(where(n) + ": Div is supported only for a map divided by a scalar or per-channel constant");
    std::vector<int> ins;
    int rank = 4;
    for (int k = 0; k < n.input_size(); ++k) {
      Value& v = input(n, k);
      if (v.kind == Value::Kind::Const)
        throw E(where(n) + ": " + n.op_type() + " with a constant operand is not supported (only maps of one shape)");
      ins.push_back(map_of(v, where(n)));
      rank = v.rank;
    }
    const Shape& s0 = graph_.tensor_shape(ins[0]);
    for (int t : ins) {
      const Shape& s = graph_.tensor_shape(t);
      if (s == s0) continue;
      // A map scaled by a per-channel vector that the network computed (squeeze-and-excitation).
      if (mul && rank == 4 && s.c == s0.c && ((s.h == 1 && s.w == 1) || (s0.h == 1 && s0.w == 1))) continue;
      throw E(where(n) + ": " + n.op_type() + " of maps " + to_string(s0) + " and " + to_string(s) +
              " (broadcasting is supported only for Mul by a per-channel vector [1,C,1,1])");
    }
    if (n.op_type() == "Sub") {
      // a - b as a + (-b): negation is exact, so the sum is the same float as the difference.
      if (graph_.tensor_shape(ins[1]) != s0) throw E(where(n) + ": Sub of maps of different shapes is not supported");
      const int c = s0.c;
      Layer neg;
      neg.name = layer_name(n) + ".neg";
      neg.kind = LayerKind::Affine;
      neg.inputs = {ins[1]};
      LayerParams p;
      p.gamma.assign(static_cast<std::size_t>(c), -1.0f);
      p.beta.assign(static_cast<std::size_t>(c), 0.0f);
      ins[1] = add_layer(std::move(neg), std::move(p));
    }
    Layer l;
    l.name = layer_name(n);
    l.kind = mul ? LayerKind::Mul : LayerKind::Add;
    l.inputs = ins;
    set_map(n, add_layer(std::move(l)), rank);
  }

  // Mul / Add / Sub of a map and a constant that is one value per channel ([C,1,1],
  // [1,C,1,1]) or a scalar: exact as x * scale + shift (a negation and adding zero change nothing).
  void affine(const onnx::NodeProto& n) {
    const int k = input(n, 0).kind == Value::Kind::Const ? 0 : 1;  // the constant's position
    Value& mv = input(n, 1 - k);
    const int x = map_of(mv, where(n));
    if (mv.rank != 4) throw E(where(n) + ": " + n.op_type() + " of a vector by a constant is not supported");
    const Const& c = const_input(n, k, "constant operand");
    const int ch = graph_.tensor_shape(x).c;
    std::int64_t ones = 0;
    for (auto d : c.dims) ones += d == 1;
    const bool scalar = c.count() == 1 && ones == static_cast<std::int64_t>(c.dims.size()) && c.dims.size() <= 4;
    const bool per_channel = (c.dims == std::vector<std::int64_t>{ch, 1, 1}) || (c.dims == std::vector<std::int64_t>{1, ch, 1, 1});
    if (!scalar && !per_channel)
      throw E(where(n) + ": " + n.op_type() + " with a constant operand of shape " + dims_text(c.dims) +
              " is not supported (only a scalar or one value per channel, [C,1,1] or [1,C,1,1])");
    std::vector<float> v(static_cast<std::size_t>(ch));
    for (int i = 0; i < ch; ++i) {
      const std::size_t j = scalar ? 0 : static_cast<std::size_t>(i);
      v[static_cast<std::size_t>(i)] = c.is_int ? static_cast<float>(c.i[j]) : c.f[j];
    }
    LayerParams p;
    const std::string& op = n.op_type();
    if (op == "Mul") {
      p.gamma = v;
      p.beta.assign(v.size(), 0.0f);
    } else if (op == "Add" || op == "Sum") {
      p.gamma.assign(v.size(), 1.0f);
      p.beta = v;
    } else if (op == "Div") {  // x / c as x * (1/c): at most one rounding from ONNX's division
      if (k == 0) throw E(where(n) + ": Div of a constant by a map is not supported");
      for (float f : v)
        if (f == 0.0f || !std::isfinite(1.0f / f)) throw E(where(n) + ": Div by zero (or by a denormal constant)");
      for (float f : v) p.gamma.push_back(1.0f / f);
      p.beta.assign(v.size(), 0.0f);
    } else if (k == 1) {  // x - c
      p.gamma.assign(v.size(), 1.0f);
      for (float f : v) p.beta.push_back(-f);
    } else {  // c - x
      p.gamma.assign(v.size(), -1.0f);
      p.beta = v;
    }
    Layer l;
    l.name = layer_name(n);
    l.kind = LayerKind::Affine;
    l.inputs = {x};
    set_map(n, add_layer(std::move(l), std::move(p)));
  }

  void pool(const onnx::NodeProto& n) {
    const bool max = n.op_type() == "MaxPool";
    const int x = map_input(n, 0);
    if (n.output_size() > 1) throw E(where(n) + ": the Indices output of MaxPool is not supported");
    if (attr_int(n, "storage_order", 0) != 0) throw E(where(n) + ": storage_order 1 is not supported");
    for (auto d : attr_ints(n, "dilations"))
      if (d != 1) throw E(where(n) + ": dilated pooling is not supported");
    const Shape& s = graph_.tensor_shape(x);
    Layer l;
    l.name = layer_name(n);
    l.kind = max ? LayerKind::MaxPool : LayerKind::AvgPool;
    l.inputs = {x};
    const std::vector<std::int64_t> kernel = attr_ints(n, "kernel_shape");
    if (kernel.empty()) throw E(where(n) + " has no kernel_shape");
    windows(n, s.h, s.w, kernel, l);
    l.ceil_mode = attr_int(n, "ceil_mode", 0) != 0;
    l.count_include_pad = attr_int(n, "count_include_pad", 0) != 0;
    // An average pooling with even bins straight into Flatten is the classifier head's
    // adaptive pooling (what the zoo and export write for PyTorch's AdaptiveAvgPool2d).
    if (!max && head_pool(n, l, s)) {
      l.kind = LayerKind::AdaptiveAvgPool;
      l.out_h = s.h / l.win_h.kernel;
      l.out_w = s.w / l.win_w.kernel;
      l.win_h = l.win_w = Window{};
      l.ceil_mode = false;
      l.count_include_pad = true;
    }
    set_map(n, add_layer(std::move(l)));
  }

  bool head_pool(const onnx::NodeProto& n, const Layer& l, const Shape& s) const {
    const Window& h = l.win_h;
    const Window& w = l.win_w;
    if (h.kernel != h.stride || w.kernel != w.stride || h.pad || w.pad || h.end_pad() || w.end_pad()) return false;
    if (s.h % h.kernel || s.w % w.kernel) return false;
    int consumers = 0;
    bool flatten = true;
    for (const auto& m : graph_proto_.node())
      for (const auto& in : m.input())
        if (in == n.output(0)) {
          ++consumers;
          flatten = flatten && m.op_type() == "Flatten";
        }
    return consumers == 1 && flatten;
  }

  void global_pool(const onnx::NodeProto& n, int rank) {
    const int x = map_input(n, 0);
    Layer l;
    l.name = layer_name(n);
    l.kind = LayerKind::GlobalAvgPool;
    l.inputs = {x};
    set_map(n, add_layer(std::move(l)), rank);
  }

  void reduce_mean(const onnx::NodeProto& n) {
    std::vector<std::int64_t> axes = attr_ints(n, "axes");
    for (auto& a : axes)
      if (a < 0) a += 4;
    std::sort(axes.begin(), axes.end());
    if (axes != std::vector<std::int64_t>{2, 3}) throw E(where(n) + ": only ReduceMean over height and width (axes 2, 3) is supported");
    global_pool(n, attr_int(n, "keepdims", 1) ? 4 : 2);
  }

  void concat(const onnx::NodeProto& n) {
    bool all_const = true;
    for (int k = 0; k < n.input_size(); ++k) all_const = all_const && input(n, k).kind == Value::Kind::Const;
    if (all_const) return shape_arith(n);
    std::int64_t axis = attr_int(n, "axis", 1);
    if (axis < 0) axis += 4;
    if (axis != 1) throw E(where(n) + ": only concatenation along channels (axis 1) is supported");
    std::vector<int> ins;
    for (int k = 0; k < n.input_size(); ++k) ins.push_back(map_input(n, k));
    if (ins.size() == 1) return alias(n);
    Layer l;
    l.name = layer_name(n);
    l.kind = LayerKind::Concat;
    l.inputs = ins;
    set_map(n, add_layer(std::move(l)));
  }

  void add_flatten(const onnx::NodeProto& n, int x) {
    Layer l;
    l.name = layer_name(n);
    l.kind = LayerKind::Flatten;
    l.inputs = {x};
    set_map(n, add_layer(std::move(l)), 2);
  }

  void flatten(const onnx::NodeProto& n) {
    const int x = map_input(n, 0);
    if (attr_int(n, "axis", 1) != 1) throw E(where(n) + ": only Flatten with axis 1 is supported");
    add_flatten(n, x);
  }

  // The target of a Reshape, resolved against the input's dims (0 copies, -1 infers).
  std::vector<std::int64_t> reshape_target(const onnx::NodeProto& n, const std::vector<std::int64_t>& in) {
    const Const& t = const_input(n, 1, "target shape");
    if (!t.is_int || t.dims.size() != 1) throw E(where(n) + ": its target shape must be a 1-D int64 constant");
    std::int64_t total = 1;
    for (auto d : in) total *= d;
    std::vector<std::int64_t> out = t.i;
    int infer = -1;
    std::int64_t known = 1;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i] == 0 && attr_int(n, "allowzero", 0) == 0) {
        if (i >= in.size()) throw E(where(n) + ": a 0 in the target shape has no input dimension to copy");
        out[i] = in[i];
      }
      if (out[i] == -1) {
        if (infer >= 0) throw E(where(n) + ": two -1 in the target shape");
        infer = static_cast<int>(i);
      } else if (out[i] <= 0) {
        throw E(where(n) + ": target shape " + dims_text(t.i) + " is invalid");
      } else {
        known *= out[i];
        if (known > total) break;
      }
    }
    if (infer >= 0 && known > 0 && total % known == 0) out[static_cast<std::size_t>(infer)] = total / known;
    std::int64_t prod = 1;
    for (auto d : out) {
      if (d <= 0 || prod > total / d) throw E(where(n) + ": cannot reshape " + dims_text(in) + " to " + dims_text(t.i));
      prod *= d;
    }
    if (prod != total) throw E(where(n) + ": cannot reshape " + dims_text(in) + " to " + dims_text(t.i));
    return out;
  }

  void reshape(const onnx::NodeProto& n) {
    Value& v = input(n, 0);
    if (v.kind == Value::Kind::Const) return shape_arith(n);
    if (v.kind == Value::Kind::Shuffle5DT) {
      const Shape& s = graph_.tensor_shape(v.tensor);
      const int g = v.factor;
      const std::vector<std::int64_t> want = {1, s.c, s.h, s.w};
      if (reshape_target(n, {1, s.c / g, g, s.h, s.w}) != want)
        throw E(where(n) + ": a Reshape/Transpose other than pixel-unshuffle (space-to-depth) or channel shuffle is not supported");
      Layer l;
      l.name = layer_name(n);
      l.kind = LayerKind::ChannelShuffle;
      l.inputs = {v.tensor};
      l.groups = g;
      set_map(n, add_layer(std::move(l)));
      return;
    }
    if (v.kind == Value::Kind::Unshuffle6DT) {
      const Shape& s = graph_.tensor_shape(v.tensor);
      const int f = v.factor;
      const std::vector<std::int64_t> want = {1, std::int64_t{s.c} * f * f, s.h / f, s.w / f};
      if (reshape_target(n, {1, s.c, f, f, s.h / f, s.w / f}) != want)
        throw E(where(n) + ": a Reshape/Transpose other than pixel-unshuffle (space-to-depth) is not supported");
      Layer l;
      l.name = layer_name(n);
      l.kind = LayerKind::Reorg;
      l.inputs = {v.tensor};
      l.win_h.stride = l.win_w.stride = f;
      set_map(n, add_layer(std::move(l)));
      return;
    }
    const int x = map_of(v, where(n));
    const Shape& s = graph_.tensor_shape(x);
    const std::vector<std::int64_t> in = out_dims(x);
    const std::vector<std::int64_t> out = reshape_target(n, in);
    if (out == in) return set_map(n, x, v.rank);
    // A vector [1,C] back to [1,C,1,1]: the same C x 1 x 1 tensor, of rank 4 again.
    if (in.size() == 2 && out == std::vector<std::int64_t>{1, s.c, 1, 1}) return set_map(n, x, 4);
    if (out == std::vector<std::int64_t>{1, s.elements()}) return add_flatten(n, x);
    if (out.size() == 5 && out[0] == 1 && out[1] >= 2 && out[1] * out[2] == s.c && out[3] == s.h && out[4] == s.w) {
      Value u;
      u.kind = Value::Kind::Shuffle5D;
      u.tensor = x;
      u.factor = static_cast<int>(out[1]);
      return set(n, u);
    }
    if (out.size() == 6 && out[0] == 1 && out[1] == s.c && out[3] == out[5] && out[3] >= 2 && out[2] * out[3] == s.h &&
        out[4] * out[5] == s.w) {
      Value u;
      u.kind = Value::Kind::Unshuffle6D;
      u.tensor = x;
      u.factor = static_cast<int>(out[3]);
      return set(n, u);
    }
    throw E(where(n) + ": Reshape of " + dims_text(in) + " to " + dims_text(out) +
            " is not supported (only flattening, no-op reshapes and pixel-unshuffle)");
  }

  void transpose(const onnx::NodeProto& n) {
    Value& v = input(n, 0);
    if (v.kind == Value::Kind::Unshuffle6D && attr_ints(n, "perm") == std::vector<std::int64_t>{0, 1, 3, 5, 2, 4}) {
      Value u = v;
      u.kind = Value::Kind::Unshuffle6DT;
      return set(n, u);
    }
    if (v.kind == Value::Kind::Shuffle5D && attr_ints(n, "perm") == std::vector<std::int64_t>{0, 2, 1, 3, 4}) {
      Value u = v;
      u.kind = Value::Kind::Shuffle5DT;
      return set(n, u);
    }
    throw E(where(n) + ": Transpose is supported only inside pixel-unshuffle (Reshape [1,C,H/s,s,W/s,s], perm [0,1,3,5,2,4], Reshape)"
                       " and channel shuffle (Reshape [1,g,C/g,H,W], perm [0,2,1,3,4], Reshape)");
  }

  int add_channel_slice(const std::string& name, int x, std::int64_t begin, std::int64_t count) {
    Layer l;
    l.name = name;
    l.kind = LayerKind::ChannelSlice;
    l.inputs = {x};
    l.channel_begin = static_cast<int>(begin);
    l.out_channels = static_cast<int>(count);
    return add_layer(std::move(l));
  }

  // Split along channels: one channel slice per output.
  void split(const onnx::NodeProto& n) {
    const int x = map_input(n, 0);
    const int c = graph_.tensor_shape(x).c;
    std::int64_t axis = attr_int(n, "axis", 0);
    if (axis < 0) axis += 4;
    if (axis != 1) throw E(where(n) + ": only Split along channels (axis 1) is supported");
    std::vector<std::int64_t> sizes = attr_ints(n, "split");
    if (has_input(n, 1)) {
      const Const& sp = const_input(n, 1, "split sizes");
      if (!sp.is_int) throw E(where(n) + ": its split sizes must be int64");
      sizes = sp.i;
    }
    const int outputs = n.output_size();
    if (sizes.empty()) {
      if (outputs < 1 || c % outputs) throw E(where(n) + ": " + std::to_string(c) + " channels do not split evenly " + std::to_string(outputs) + " ways");
      sizes.assign(static_cast<std::size_t>(outputs), c / outputs);
    }
    if (static_cast<int>(sizes.size()) != outputs) throw E(where(n) + ": " + std::to_string(sizes.size()) + " split sizes for " + std::to_string(outputs) + " outputs");
    std::int64_t begin = 0;
    for (int k = 0; k < outputs; ++k) {
      const std::int64_t size = sizes[static_cast<std::size_t>(k)];
      if (size <= 0 || begin + size > c) throw E(where(n) + ": split sizes " + dims_text(sizes) + " do not fit " + std::to_string(c) + " channels");
      if (n.output(k).empty()) throw E(where(n) + " has an unnamed output");
      Value v;
      v.tensor = add_channel_slice(layer_name(n) + "." + std::to_string(k), x, begin, size);
      rank_[v.tensor] = 4;
      set(n, v, k);
      begin += size;
    }
    if (begin != c) throw E(where(n) + ": split sizes " + dims_text(sizes) + " do not add up to " + std::to_string(c) + " channels");
  }

  // Slice of a map along channels (x[:, a:b]); Slice of a 1-D constant is shape arithmetic.
  void slice(const onnx::NodeProto& n) {
    Value& v = input(n, 0);
    const Const& starts = const_input(n, 1, "starts");
    const Const& ends = const_input(n, 2, "ends");
    std::vector<std::int64_t> axes = {0};
    if (has_input(n, 3)) axes = const_input(n, 3, "axes").i;
    if (has_input(n, 4)) {
      const Const& steps = const_input(n, 4, "steps");
      for (auto st : steps.i)
        if (st != 1) throw E(where(n) + ": only Slice with step 1 is supported");
    }
    if (!starts.is_int || !ends.is_int || starts.count() != 1 || ends.count() != 1 || axes.size() != 1)
      throw E(where(n) + ": only a Slice along one axis is supported");
    auto clamp = [](std::int64_t i, std::int64_t extent) { return std::clamp<std::int64_t>(i < 0 ? i + extent : i, 0, extent); };
    if (v.kind == Value::Kind::Const) {
      Const c = *v.c;
      if (c.dims.size() != 1 || axes[0] != 0) throw E(where(n) + ": only Slice of 1-D constants is supported");
      const std::int64_t len = c.count(), b = clamp(starts.i[0], len), e = std::max(b, clamp(ends.i[0], len));
      if (c.is_int) c.i = std::vector<std::int64_t>(c.i.begin() + b, c.i.begin() + e);
      else c.f = std::vector<float>(c.f.begin() + b, c.f.begin() + e);
      c.dims = {e - b};
      return set_const(n, std::move(c));
    }
    const int x = map_of(v, where(n));
    const int ch = graph_.tensor_shape(x).c;
    const std::int64_t axis = axes[0] < 0 ? axes[0] + v.rank : axes[0];
    if (v.rank != 4 || axis != 1) throw E(where(n) + ": only Slice along channels (axis 1) of a map is supported (cropping rows or columns is not)");
    const std::int64_t b = clamp(starts.i[0], ch), e = clamp(ends.i[0], ch);
    if (e <= b) throw E(where(n) + ": the slice [" + std::to_string(starts.i[0]) + ", " + std::to_string(ends.i[0]) + ") of " + std::to_string(ch) + " channels is empty");
    set_map(n, add_channel_slice(layer_name(n), x, b, e - b));
  }

  void gemm(const onnx::NodeProto& n) {
    Value& v = input(n, 0);
    const int x = map_of(v, where(n));
    const Shape& s = graph_.tensor_shape(x);
    if (s.h != 1 || s.w != 1) throw E(where(n) + ": its input " + to_string(s) + " must be flattened first");
    if (attr_int(n, "transA", 0) != 0) throw E(where(n) + ": transA is not supported");
    const Const& w = const_input(n, 1, "weight");
    if (w.is_int || w.dims.size() != 2) throw E(where(n) + ": its weight must be a float 2-D constant");
    const bool trans_b = attr_int(n, "transB", 0) != 0;
    const std::int64_t in_f = trans_b ? w.dims[1] : w.dims[0], out_f = trans_b ? w.dims[0] : w.dims[1];
    if (in_f != s.c) throw E(where(n) + ": weight " + dims_text(w.dims) + " does not take " + std::to_string(s.c) + " inputs");
    const float alpha = attr_float(n, "alpha", 1.0f), beta = attr_float(n, "beta", 1.0f);
    LayerParams p;
    if (trans_b && alpha == 1.0f) {
      p.weight = take_floats(n, 1);  // already [out, in]
    } else {
      p.weight.resize(static_cast<std::size_t>(in_f * out_f));
      for (std::int64_t o = 0; o < out_f; ++o)
        for (std::int64_t i = 0; i < in_f; ++i)
          p.weight[static_cast<std::size_t>(o * in_f + i)] =
              alpha * w.f[static_cast<std::size_t>(trans_b ? o * in_f + i : i * out_f + o)];
    }
    Layer l;
    l.name = layer_name(n);
    l.kind = LayerKind::Linear;
    l.inputs = {x};
    l.out_channels = static_cast<int>(out_f);
    if (has_input(n, 2)) {
      const Const& b = const_input(n, 2, "bias");
      if (b.is_int || b.count() != out_f) throw E(where(n) + ": its bias must hold " + std::to_string(out_f) + " floats");
      for (float f : b.f) p.bias.push_back(beta * f);
      l.bias = true;
    }
    set_map(n, add_layer(std::move(l), std::move(p)), 2);
  }

  void matmul(const onnx::NodeProto& n) {
    Value& v = input(n, 0);
    const int x = map_of(v, where(n));
    if (v.rank != 2) throw E(where(n) + ": MatMul is supported only on a flattened [1, N] input");
    Value m;
    m.kind = Value::Kind::PendingMatMul;
    m.tensor = x;
    const Const& w = const_input(n, 1, "weight");
    if (w.is_int || w.dims.size() != 2 || w.dims[0] != graph_.tensor_shape(x).c)
      throw E(where(n) + ": its weight must be a float [" + std::to_string(graph_.tensor_shape(x).c) + ", N] constant, got " + dims_text(w.dims));
    m.c = std::make_shared<Const>(w);
    m.name = layer_name(n);
    set(n, m);
  }

  void alias(const onnx::NodeProto& n) {
    if (n.op_type() == "Dropout" && n.output_size() > 1 && !n.output(1).empty())
      throw E(where(n) + ": the mask output of Dropout is not supported");
    set(n, input(n, 0));
  }

  void constant(const onnx::NodeProto& n) {
    if (const auto* a = attr(n, "value")) return set_const(n, decode(a->t(), where(n)));
    Const c;
    if (const auto* a = attr(n, "value_float")) {
      c.f = {a->f()};
    } else if (const auto* a2 = attr(n, "value_floats")) {
      c.f.assign(a2->floats().begin(), a2->floats().end());
      c.dims = {static_cast<std::int64_t>(c.f.size())};
    } else if (const auto* a3 = attr(n, "value_int")) {
      c.is_int = true;
      c.i = {a3->i()};
    } else if (const auto* a4 = attr(n, "value_ints")) {
      c.is_int = true;
      c.i.assign(a4->ints().begin(), a4->ints().end());
      c.dims = {static_cast<std::int64_t>(c.i.size())};
    } else {
      throw E(where(n) + ": only tensor, float and int constants are supported");
    }
    set_const(n, std::move(c));
  }

  void pad(const onnx::NodeProto& n) {
    const int x = map_input(n, 0);
    if (attr_string(n, "mode", "constant") != "constant") throw E(where(n) + ": only constant (zero) padding is supported");
    const Const& p = const_input(n, 1, "pads");
    if (!p.is_int || p.count() != 8) throw E(where(n) + ": its pads must be 8 int64 values for a 4-D map");
    if (p.i[0] || p.i[1] || p.i[4] || p.i[5]) throw E(where(n) + ": padding the batch or channel axis is not supported");
    for (auto v : p.i)
      if (v < 0 || v > (1 << 16)) throw E(where(n) + ": negative padding (cropping) is not supported");
    if (has_input(n, 2)) {
      const Const& c = const_input(n, 2, "constant value");
      if (c.count() != 1 || (c.is_int ? c.i[0] != 0 : c.f[0] != 0.0f)) throw E(where(n) + ": only zero padding is supported");
    }
    Value v;
    v.kind = Value::Kind::PendingPad;
    v.tensor = x;
    v.pads[0] = static_cast<int>(p.i[2]);
    v.pads[1] = static_cast<int>(p.i[3]);
    v.pads[2] = static_cast<int>(p.i[6]);
    v.pads[3] = static_cast<int>(p.i[7]);
    set(n, v);
  }

  // Nearest-neighbour Resize by integer factors, whose index rule reduces to out / factor.
  void resize(const onnx::NodeProto& n) {
    const int x = map_input(n, 0);
    const Shape& s = graph_.tensor_shape(x);
    if (attr_string(n, "mode", "nearest") != "nearest") throw E(where(n) + ": only nearest-neighbour Resize is supported");
    int factor[2] = {0, 0};
    if (has_input(n, 2) && input(n, 2).kind == Value::Kind::Const && input(n, 2).c->count() == 4) {
      const Const& sc = *input(n, 2).c;
      for (int a = 0; a < 2; ++a) {
        const float f = sc.is_int ? static_cast<float>(sc.i[static_cast<std::size_t>(a + 2)]) : sc.f[static_cast<std::size_t>(a + 2)];
        if (f < 1.0f || f > 64.0f || f != std::floor(f)) throw E(where(n) + ": only integer upsampling factors are supported");
        factor[a] = static_cast<int>(f);
      }
      if ((sc.is_int ? sc.i[0] != 1 || sc.i[1] != 1 : sc.f[0] != 1.0f || sc.f[1] != 1.0f))
        throw E(where(n) + ": resizing the batch or channel axis is not supported");
    } else if (has_input(n, 3)) {
      const Const& sz = const_input(n, 3, "sizes");
      if (!sz.is_int || sz.count() != 4 || sz.i[0] != 1 || sz.i[1] != s.c || sz.i[2] % s.h || sz.i[3] % s.w)
        throw E(where(n) + ": its sizes must be integer multiples of the input's height and width");
      factor[0] = static_cast<int>(sz.i[2] / s.h);
      factor[1] = static_cast<int>(sz.i[3] / s.w);
    } else {
      throw E(where(n) + ": needs constant scales or sizes");
    }
    const std::string ct = attr_string(n, "coordinate_transformation_mode", "half_pixel");
    const std::string nm = attr_string(n, "nearest_mode", "round_prefer_floor");
    for (int a = 0; a < 2; ++a) {
      const int in = a ? s.w : s.h, f = factor[a];
      // The rule is periodic in o away from the borders: check both ends, 64 cells each.
      for (int o = 0; o < in * f; o = (o + 1 == 64 * f && in > 128) ? (in - 64) * f : o + 1) {
        double src;
        if (ct == "asymmetric") src = static_cast<double>(o) / f;
        else if (ct == "half_pixel" || ct == "pytorch_half_pixel") src = (o + 0.5) / f - 0.5;
        else throw E(where(n) + ": coordinate_transformation_mode '" + ct + "' is not supported");
        double idx;
        if (nm == "floor") idx = std::floor(src);
        else if (nm == "ceil") idx = std::ceil(src);
        else if (nm == "round_prefer_floor") idx = (src - std::floor(src) == 0.5) ? std::floor(src) : std::round(src);
        else if (nm == "round_prefer_ceil") idx = std::round(src);
        else throw E(where(n) + ": nearest_mode '" + nm + "' is unknown");
        idx = std::clamp(idx, 0.0, static_cast<double>(in - 1));
        if (static_cast<int>(idx) != o / f)
          throw E(where(n) + ": its coordinate mode (" + ct + ", " + nm + ") does not repeat each cell " + std::to_string(f) + " times");
      }
    }
    Layer l;
    l.name = layer_name(n);
    l.kind = LayerKind::Upsample;
    l.inputs = {x};
    l.win_h.stride = factor[0];
    l.win_w.stride = factor[1];
    set_map(n, add_layer(std::move(l)));
  }

  // Shape arithmetic on constants (what exporters write to compute a Reshape target).
  void shape_arith(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (op == "Shape") {
      Value& v = input(n, 0);
      Const c;
      c.is_int = true;
      c.i = v.kind == Value::Kind::Const ? v.c->dims : out_dims(map_of(v, where(n)));
      c.dims = {static_cast<std::int64_t>(c.i.size())};
      return set_const(n, std::move(c));
    }
    std::vector<const Const*> in;
    for (int k = 0; k < n.input_size(); ++k)
      if (has_input(n, k)) in.push_back(&const_input(n, k, "operand"));
    if (in.empty()) throw E(where(n) + " has no inputs");
    Const c;
    if (op == "Cast") {
      c = *in[0];
      const std::int64_t to = attr_int(n, "to", 0);
      if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) {
        if (!c.is_int) for (float f : c.f) c.i.push_back(static_cast<std::int64_t>(f));
        c.f.clear();
        c.is_int = true;
      } else if (to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE) {
        if (c.is_int) for (auto v : c.i) c.f.push_back(static_cast<float>(v));
        c.i.clear();
        c.is_int = false;
      } else {
        throw E(where(n) + ": Cast to type " + std::to_string(to) + " is not supported");
      }
    } else if (op == "Gather") {
      const Const& data = *in.at(0);
      if (in.size() != 2 || !data.is_int || data.dims.size() != 1 || !in[1]->is_int || attr_int(n, "axis", 0) != 0)
        throw E(where(n) + ": Gather is supported only on 1-D int64 constants (shape arithmetic)");
      c.is_int = true;
      c.dims = in[1]->dims;
      for (auto idx : in[1]->i) {
        const std::int64_t k = idx < 0 ? idx + static_cast<std::int64_t>(data.i.size()) : idx;
        if (k < 0 || k >= static_cast<std::int64_t>(data.i.size())) throw E(where(n) + ": index out of range");
        c.i.push_back(data.i[static_cast<std::size_t>(k)]);
      }
    } else if (op == "Unsqueeze") {
      c = *in[0];
      if (c.dims.size() > 1 || c.count() > 64) throw E(where(n) + ": Unsqueeze is supported only on scalars and 1-D constants");
      c.dims = {c.count()};
    } else if (op == "Concat") {
      c.is_int = in[0]->is_int;
      for (const Const* t : in) {
        if (t->is_int != c.is_int || t->dims.size() > 1) throw E(where(n) + ": Concat of constants is supported only on 1-D tensors of one type");
        c.i.insert(c.i.end(), t->i.begin(), t->i.end());
        c.f.insert(c.f.end(), t->f.begin(), t->f.end());
      }
      c.dims = {c.count()};
    } else if (op == "Reshape") {
      c = *in[0];
      if (!in[1]->is_int) throw E(where(n) + ": its target shape must be int64");
      c.dims = in[1]->i;
    } else {
      throw E(where(n) + ": " + op + " on constants is not supported");
    }
    set_const(n, std::move(c));
  }

  const onnx::ModelProto& model_;
  const onnx::GraphProto& graph_proto_;
  std::string input_name_;
  Graph graph_;
  std::vector<LayerParams> params_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;
  std::map<int, int> rank_;
};

}  // namespace

const std::vector<std::string>& onnx_supported_ops() {
  static const std::vector<std::string> ops = {
      "Add", "AveragePool", "BatchNormalization", "Cast (constants)", "Clip", "Concat", "Constant", "ConvTranspose (pads, output_padding)", "Div (by a constant)", "Dropout", "Flatten",
      "Gather (constants)", "Gemm", "GlobalAveragePool", "HardSigmoid", "HardSwish", "Identity", "LeakyRelu", "MatMul",
      "MaxPool", "Mul", "Pad (zero, before Conv)", "ReduceMean (H, W)", "Relu", "Reshape (flatten, pixel-unshuffle, channel shuffle)",
      "Resize (nearest, integer factors)", "Shape", "Sigmoid", "Slice (channels)", "Split (channels)", "Sub", "Sum",
      "Transpose (pixel-unshuffle, channel shuffle)", "Unsqueeze (constants)"};
  return ops;
}

Graph import_onnx(const std::string& bytes, const std::string& name, std::optional<Shape> input) {
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes)) throw OnnxError("not an ONNX model: the protobuf does not parse");
  if (!model.has_graph()) throw OnnxError("not an ONNX model: it has no graph");
  return Importer(model, name, input).run();
}

}  // namespace edgeplan
