// Layers as ONNX nodes: whole maps (model export) and one part's regions (plan export).
#include "onnx_writer.h"

#include <algorithm>

#include "edgeplan/onnx/onnx_model.h"

namespace edgeplan::detail {

OnnxWriter::OnnxWriter(const std::string& name) {
  model_.set_ir_version(8);
  model_.set_producer_name("edgeplan");
  model_.set_producer_version("0.1.0");
  auto* op = model_.add_opset_import();
  op->set_domain("");
  op->set_version(kOnnxExportOpset);
  graph_ = model_.mutable_graph();
  graph_->set_name(name);
}

std::string OnnxWriter::serialize() const {
  std::string bytes;
  if (!model_.SerializeToString(&bytes)) throw OnnxError("export: the model does not serialize (over 2 GB?)");
  return bytes;
}

void OnnxWriter::value_info(onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

std::string OnnxWriter::init_float(const std::string& name, const std::vector<float>& v, const std::vector<std::int64_t>& dims) {
  auto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
  return name;
}

std::string OnnxWriter::init_int(const std::string& name, const std::vector<std::int64_t>& v) {
  auto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<std::int64_t>(v.size()));
  t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::int64_t)));
  return name;
}

onnx::NodeProto* OnnxWriter::node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                                  const std::string& output) {
  auto* n = graph_->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  n->add_output(output);
  return n;
}

void OnnxWriter::ints(onnx::NodeProto* n, const char* name, const std::vector<std::int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}
void OnnxWriter::integer(onnx::NodeProto* n, const char* name, std::int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void OnnxWriter::real(onnx::NodeProto* n, const char* name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
void OnnxWriter::text(onnx::NodeProto* n, const char* name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

// Element-wise layers of one input (shared by both paths).
void OnnxWriter::activation(const Layer& l, const LayerParams& p, const std::string& in, const std::string& out, int channels) {
  const std::string pre = fresh(l.name);
  switch (l.kind) {
    case LayerKind::BatchNorm:
      real(node("BatchNormalization", l.name,
                {in, init_float(pre + ".scale", p.gamma, {channels}), init_float(pre + ".shift", p.beta, {channels}),
                 init_float(pre + ".mean", p.mean, {channels}), init_float(pre + ".var", p.var, {channels})},
                out),
           "epsilon", l.eps);
      return;
    case LayerKind::Affine: {
      const std::string scaled = fresh(pre + ".scaled");
      node("Mul", fresh(l.name), {in, init_float(pre + ".scale", p.gamma, {1, channels, 1, 1})}, scaled);
      node("Add", l.name, {scaled, init_float(pre + ".shift", p.beta, {1, channels, 1, 1})}, out);
      return;
    }
    case LayerKind::ReLU: node("Relu", l.name, {in}, out); return;
    case LayerKind::Sigmoid: node("Sigmoid", l.name, {in}, out); return;
    case LayerKind::HardSwish: node("HardSwish", l.name, {in}, out); return;
    case LayerKind::LeakyReLU: real(node("LeakyRelu", l.name, {in}, out), "alpha", l.alpha); return;
    case LayerKind::HardSigmoid: {
      auto* n = node("HardSigmoid", l.name, {in}, out);
      real(n, "alpha", l.alpha);
      real(n, "beta", l.beta);
      return;
    }
    case LayerKind::ReLU6:
    case LayerKind::Clip: {
      const float lo = l.kind == LayerKind::ReLU6 ? 0.0f : l.alpha, hi = l.kind == LayerKind::ReLU6 ? 6.0f : l.beta;
      node("Clip", l.name, {in, init_float(pre + ".min", {lo}, {}), init_float(pre + ".max", {hi}, {})}, out);
      return;
    }
    default: throw OnnxError("export: layer '" + l.name + "' (" + to_string(l.kind) + ") is not element-wise");
  }
}

void OnnxWriter::channel_op(const Layer& l, const std::string& in, const std::string& out, std::int64_t channels,
                            std::int64_t h, std::int64_t w) {
  const std::string pre = fresh(l.name);
  if (l.kind == LayerKind::ChannelSlice) {
    node("Slice", l.name,
         {in, init_int(pre + ".starts", {l.channel_begin}), init_int(pre + ".ends", {l.channel_begin + l.out_channels}),
          init_int(pre + ".axes", {1})},
         out);
    return;
  }
  // PyTorch's channel_shuffle: view (g, C/g), transpose, flatten back.
  const std::int64_t g = l.groups;
  const std::string r5 = fresh(pre + ".r5"), t5 = fresh(pre + ".t5");
  node("Reshape", fresh(l.name), {in, init_int(fresh(pre + ".shape5"), {1, g, channels / g, h, w})}, r5);
  ints(node("Transpose", fresh(l.name), {r5}, t5), "perm", {0, 2, 1, 3, 4});
  node("Reshape", l.name, {t5, init_int(fresh(pre + ".shape4"), {1, channels, h, w})}, out);
}

std::vector<std::int64_t> OnnxWriter::output_dims(const Graph& g, int i) {
  const Shape& o = g.layer(i).out;
  for (int t = i; t != kModelInput; t = g.layer(t).inputs[0])
    if (g.layer(t).kind == LayerKind::Flatten || g.layer(t).kind == LayerKind::Linear) return {1, o.c};
  return {1, o.c, o.h, o.w};
}

void OnnxWriter::full_layer(const Graph& g, const ModelWeights& w, int i, const std::vector<std::string>& in,
                            const std::string& out) {
  const Layer& l = g.layer(i);
  const LayerParams& p = w.layers.at(static_cast<std::size_t>(i));
  const Shape& s = g.tensor_shape(l.inputs[0]);
  const std::string name = l.name, pre = fresh(l.name);
  auto window = [&](onnx::NodeProto* n) {
    ints(n, "kernel_shape", {l.win_h.kernel, l.win_w.kernel});
    ints(n, "strides", {l.win_h.stride, l.win_w.stride});
    ints(n, "pads", {l.win_h.pad, l.win_w.pad, l.win_h.end_pad(), l.win_w.end_pad()});
  };
  if (l.moves_channels()) return channel_op(l, in[0], out, s.c, s.h, s.w);
  if (l.is_pointwise()) return activation(l, p, in[0], out, s.c);
  switch (l.kind) {
    case LayerKind::Conv:
    case LayerKind::ConvTranspose: {  // weights [out, in/g, kh, kw], transposed [in, out/g, kh, kw]
      const bool t = l.kind == LayerKind::ConvTranspose;
      const std::vector<std::int64_t> dims = t ? std::vector<std::int64_t>{s.c, l.out_channels / l.groups, l.win_h.kernel, l.win_w.kernel}
                                               : std::vector<std::int64_t>{l.out_channels, s.c / l.groups, l.win_h.kernel, l.win_w.kernel};
      std::vector<std::string> args = {in[0], init_float(pre + ".weight", p.weight, dims)};
      if (l.bias) args.push_back(init_float(pre + ".bias", p.bias, {l.out_channels}));
      auto* n = node(t ? "ConvTranspose" : "Conv", name, args, out);
      window(n);
      ints(n, "dilations", {l.win_h.dilation, l.win_w.dilation});
      if (t) ints(n, "output_padding", {l.win_h.extra, l.win_w.extra});
      integer(n, "group", l.groups);
      return;
    }
    case LayerKind::MaxPool:
    case LayerKind::AvgPool: {
      auto* n = node(l.kind == LayerKind::MaxPool ? "MaxPool" : "AveragePool", name, in, out);
      window(n);
      integer(n, "ceil_mode", l.ceil_mode ? 1 : 0);
      if (l.kind == LayerKind::AvgPool) integer(n, "count_include_pad", l.count_include_pad ? 1 : 0);
      return;
    }
    case LayerKind::Add: node(in.size() == 2 ? "Add" : "Sum", name, in, out); return;
    case LayerKind::Mul: {
      std::string acc = in[0];
      for (std::size_t k = 1; k < in.size(); ++k) {
        const std::string o = k + 1 == in.size() ? out : fresh(pre + ".mul");
        node("Mul", k + 1 == in.size() ? name : fresh(name), {acc, in[k]}, o);
        acc = o;
      }
      return;
    }
    case LayerKind::Concat: integer(node("Concat", name, in, out), "axis", 1); return;
    case LayerKind::Upsample: {
      auto* n = node("Resize", name,
                     {in[0], "", init_float(pre + ".scales", {1.0f, 1.0f, static_cast<float>(l.win_h.stride), static_cast<float>(l.win_w.stride)}, {4})},
                     out);
      text(n, "mode", "nearest");
      text(n, "coordinate_transformation_mode", "asymmetric");
      text(n, "nearest_mode", "floor");
      return;
    }
    case LayerKind::Reorg: {
      // PyTorch's pixel_unshuffle: channel c*f*f + i*f + j takes cell (i, j) of each block.
      const std::int64_t f = l.win_h.stride, h = g.tensor_shape(l.inputs[0]).h, wd = g.tensor_shape(l.inputs[0]).w;
      const std::string r6 = fresh(pre + ".r6"), t6 = fresh(pre + ".t6");
      node("Reshape", fresh(name), {in[0], init_int(fresh(pre + ".shape6"), {1, s.c, h / f, f, wd / f, f})}, r6);
      ints(node("Transpose", fresh(name), {r6}, t6), "perm", {0, 1, 3, 5, 2, 4});
      node("Reshape", name, {t6, init_int(fresh(pre + ".shape4"), {1, s.c * f * f, h / f, wd / f})}, out);
      return;
    }
    case LayerKind::GlobalAvgPool: node("GlobalAveragePool", name, in, out); return;
    case LayerKind::AdaptiveAvgPool: {
      // Even bins are an average pooling with kernel = stride = extent / bins.
      if (s.h % l.out_h || s.w % l.out_w)
        throw OnnxError("export: layer '" + l.name + "' pools " + std::to_string(s.h) + "x" + std::to_string(s.w) + " into " +
                        std::to_string(l.out_h) + "x" + std::to_string(l.out_w) +
                        " uneven bins, which ONNX cannot express; choose an input size whose map divides evenly");
      auto* n = node("AveragePool", name, in, out);
      ints(n, "kernel_shape", {s.h / l.out_h, s.w / l.out_w});
      ints(n, "strides", {s.h / l.out_h, s.w / l.out_w});
      return;
    }
    case LayerKind::Flatten: integer(node("Flatten", name, in, out), "axis", 1); return;
    case LayerKind::Linear: {
      std::vector<std::string> args = {in[0], init_float(pre + ".weight", p.weight, {l.out_channels, s.c})};
      if (l.bias) args.push_back(init_float(pre + ".bias", p.bias, {l.out_channels}));
      integer(node("Gemm", name, args, out), "transB", 1);
      return;
    }
    default: break;
  }
  throw OnnxError("export: layer '" + l.name + "' (" + to_string(l.kind) + ") has no ONNX form");
}

std::string OnnxWriter::crop(const std::string& name, const Region& have, const Region& want) {
  if (have == want) return name;
  if (!have.rows.contains(want.rows) || !have.cols.contains(want.cols))
    throw OnnxError("export: rows " + to_string(want.rows) + " cols " + to_string(want.cols) + " are not in " + name);
  const std::string out = fresh(name + ".crop");
  const std::string pre = fresh("crop");
  node("Slice", out,
       {name, init_int(pre + ".starts", {want.rows.begin - have.rows.begin, want.cols.begin - have.cols.begin}),
        init_int(pre + ".ends", {want.rows.end - have.rows.begin, want.cols.end - have.cols.begin}), init_int(pre + ".axes", {2, 3})},
       out);
  return out;
}

void OnnxWriter::transposed_region(const Layer& l, const LayerParams& p, const Shape& s, const std::string& in, const Region& have,
                                   const Region& want, const std::string& out) {
  // The transposed convolution of exactly the input cells that reach `want` (no cropping, no
  // output padding), cut to `want`, zeros where no input reaches, then the bias.
  const std::string pre = fresh(l.name);
  const std::int64_t h = want.rows.size(), wd = want.cols.size();
  const Region need = input_region(l, want, s);
  const Interval full_r = transposed_span(l.win_h, need.rows), full_c = transposed_span(l.win_w, need.cols);
  const Interval r = need.empty() ? Interval{} : intersect(want.rows, full_r);
  const Interval c = need.empty() ? Interval{} : intersect(want.cols, full_c);
  std::vector<float> bias = p.bias.empty() ? std::vector<float>(static_cast<std::size_t>(l.out_channels), 0.0f) : p.bias;
  if (r.empty() || c.empty()) {  // no input reaches these cells: the bias alone
    std::vector<float> v;
    for (float b : bias) v.insert(v.end(), static_cast<std::size_t>(h * wd), b);
    node("Identity", l.name, {init_float(pre + ".bias_only", v, {1, l.out_channels, h, wd})}, out);
    return;
  }
  const std::string y = fresh(pre + ".scatter");
  auto* n = node("ConvTranspose", fresh(l.name),
                 {crop(in, have, need), init_float(pre + ".weight", p.weight, {s.c, l.out_channels / l.groups, l.win_h.kernel, l.win_w.kernel})}, y);
  ints(n, "kernel_shape", {l.win_h.kernel, l.win_w.kernel});
  ints(n, "strides", {l.win_h.stride, l.win_w.stride});
  ints(n, "dilations", {l.win_h.dilation, l.win_w.dilation});
  integer(n, "group", l.groups);
  std::string cut = crop(y, Region{full_r, full_c}, Region{r, c});
  if (r != want.rows || c != want.cols) {
    const std::string padded = fresh(pre + ".padded");
    node("Pad", fresh(l.name),
         {cut, init_int(fresh(pre + ".pads"), {0, 0, r.begin - want.rows.begin, c.begin - want.cols.begin, 0, 0, want.rows.end - r.end,
                                                want.cols.end - c.end})},
         padded);
    cut = padded;
  }
  node("Add", l.name, {cut, init_float(pre + ".bias", bias, {1, l.out_channels, 1, 1})}, out);
}

void OnnxWriter::region_layer(const Graph& g, const ModelWeights& w, int i, const std::vector<std::string>& in,
                              const std::vector<Region>& have, const Region& want, const std::string& out) {
  const Layer& l = g.layer(i);
  const LayerParams& p = w.layers.at(static_cast<std::size_t>(i));
  const Shape& s = g.tensor_shape(l.inputs[0]);
  const std::string pre = fresh(l.name);
  if (l.moves_channels()) return channel_op(l, crop(in[0], have[0], want), out, s.c, want.rows.size(), want.cols.size());
  if (l.is_pointwise()) return activation(l, p, crop(in[0], have[0], want), out, s.c);
  if (l.kind == LayerKind::ConvTranspose) return transposed_region(l, p, s, in[0], have[0], want, out);
  if (l.is_windowed()) {
    // The window over `want` reads virtual cells [b, e) per axis; the real ones are cut out,
    // the rest is padding, which exists only beyond the true border of the map.
    auto virt = [](const Window& wi, const Interval& o) {
      return Interval{o.begin * wi.stride - wi.pad, (o.end - 1) * wi.stride - wi.pad + wi.dilation * (wi.kernel - 1) + 1};
    };
    const Interval vr = virt(l.win_h, want.rows), vc = virt(l.win_w, want.cols);
    const Region real{intersect(vr, Interval{0, s.h}), intersect(vc, Interval{0, s.w})};
    const std::string x = crop(in[0], have[0], real);
    const std::int64_t top = real.rows.begin - vr.begin, left = real.cols.begin - vc.begin;
    const std::int64_t bottom = vr.end - real.rows.end, right = vc.end - real.cols.end;
    std::string src = x;
    std::vector<std::int64_t> pads = {top, left, bottom, right};
    if (l.kind == LayerKind::AvgPool && l.count_include_pad) {
      // The model's own padding counts in the divisor (zeros, added explicitly); windows
      // reaching past it (ceil mode) do not count what lies beyond.
      const std::int64_t pb = std::min<std::int64_t>(bottom, std::max(0, s.h + l.win_h.end_pad() - real.rows.end));
      const std::int64_t pr = std::min<std::int64_t>(right, std::max(0, s.w + l.win_w.end_pad() - real.cols.end));
      src = fresh(pre + ".padded");
      node("Pad", fresh(l.name), {x, init_int(fresh(pre + ".pads"), {0, 0, top, left, 0, 0, pb, pr})}, src);
      pads = {0, 0, bottom - pb, right - pr};
    }
    onnx::NodeProto* n;
    if (l.kind == LayerKind::Conv) {
      std::vector<std::string> args = {src, init_float(pre + ".weight", p.weight, {l.out_channels, s.c / l.groups, l.win_h.kernel, l.win_w.kernel})};
      if (l.bias) args.push_back(init_float(pre + ".bias", p.bias, {l.out_channels}));
      n = node("Conv", l.name, args, out);
      ints(n, "dilations", {l.win_h.dilation, l.win_w.dilation});
      integer(n, "group", l.groups);
    } else {
      n = node(l.kind == LayerKind::MaxPool ? "MaxPool" : "AveragePool", l.name, {src}, out);
      if (l.kind == LayerKind::AvgPool) integer(n, "count_include_pad", 0);
    }
    ints(n, "kernel_shape", {l.win_h.kernel, l.win_w.kernel});
    ints(n, "strides", {l.win_h.stride, l.win_w.stride});
    ints(n, "pads", pads);
    return;
  }
  switch (l.kind) {
    case LayerKind::Add:
    case LayerKind::Mul:
    case LayerKind::Concat: {
      std::vector<std::string> parts;  // each operand's own cells (a per-channel vector whole, ONNX broadcasts it)
      for (std::size_t k = 0; k < in.size(); ++k) parts.push_back(crop(in[k], have[k], input_region(l, want, g.tensor_shape(l.inputs[k]))));
      return full_layer(g, w, i, parts, out);
    }
    case LayerKind::Upsample: {
      const Region need = input_region(l, want, s);
      const std::string up = fresh(pre + ".up");
      full_layer(g, w, i, {crop(in[0], have[0], need)}, up);
      const std::string cut = crop(up, Region{Interval{need.rows.begin * l.win_h.stride, need.rows.end * l.win_h.stride},
                                              Interval{need.cols.begin * l.win_w.stride, need.cols.end * l.win_w.stride}},
                                   want);
      node("Identity", fresh(l.name), {cut}, out);
      return;
    }
    case LayerKind::Reorg: {
      const Region need = input_region(l, want, s);
      const std::int64_t f = l.win_h.stride, h = need.rows.size(), wd = need.cols.size();
      const std::string r6 = fresh(pre + ".r6"), t6 = fresh(pre + ".t6");
      node("Reshape", fresh(l.name), {crop(in[0], have[0], need), init_int(fresh(pre + ".shape6"), {1, s.c, h / f, f, wd / f, f})}, r6);
      ints(node("Transpose", fresh(l.name), {r6}, t6), "perm", {0, 1, 3, 5, 2, 4});
      node("Reshape", l.name, {t6, init_int(fresh(pre + ".shape4"), {1, s.c * f * f, h / f, wd / f})}, out);
      return;
    }
    default: break;
  }
  throw OnnxError("export: layer '" + l.name + "' (" + to_string(l.kind) + ") cannot run on a region");
}

}  // namespace edgeplan::detail
