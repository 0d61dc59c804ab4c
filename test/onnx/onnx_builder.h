// Tiny ONNX models written with the protobuf API, for the importer's tests.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

class OnnxBuilder {
 public:
  explicit OnnxBuilder(std::vector<std::int64_t> input_dims, int opset = 13) {
    model_.set_ir_version(8);
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    graph_ = model_.mutable_graph();
    graph_->set_name("test");
    value_info(graph_->add_input(), "x", input_dims);
  }

  // A float initializer with the given dims, values 0.01 * (i % 17) - 0.08 unless given.
  std::string weight(const std::vector<std::int64_t>& dims, std::vector<float> values = {}) {
    std::int64_t n = 1;
    for (auto d : dims) n *= d;
    if (values.empty())
      for (std::int64_t i = 0; i < n; ++i) values.push_back(0.01f * static_cast<float>(i % 17) - 0.08f);
    const std::string name = "w" + std::to_string(++count_);
    auto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
    return name;
  }
  std::string ints(const std::vector<std::int64_t>& values) {
    const std::string name = "i" + std::to_string(++count_);
    auto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(values.size()));
    for (auto v : values) t->add_int64_data(v);
    return name;
  }

  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs) {
    auto* n = graph_->add_node();
    n->set_op_type(op);
    n->set_name(op + std::to_string(++count_));
    for (const auto& i : inputs) n->add_input(i);
    n->add_output("y" + std::to_string(count_));
    last_ = n->output(0);
    return n;
  }
  // The output name of the last node added.
  const std::string& last() const { return last_; }

  static void attr(onnx::NodeProto* n, const char* name, const std::vector<std::int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void attr(onnx::NodeProto* n, const char* name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_f(onnx::NodeProto* n, const char* name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr_s(onnx::NodeProto* n, const char* name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }

  onnx::NodeProto* conv(const std::string& x, std::int64_t cin, std::int64_t cout, std::int64_t k,
                        std::vector<std::int64_t> pads = {0, 0, 0, 0}, std::int64_t group = 1) {
    auto* n = node("Conv", {x, weight({cout, cin / group, k, k})});
    attr(n, "kernel_shape", std::vector<std::int64_t>{k, k});
    attr(n, "pads", pads);
    attr(n, "group", group);
    return n;
  }

  // Declares the last node's output as the graph output and serializes the model.
  std::string bytes() {
    graph_->clear_output();
    graph_->add_output()->set_name(last_);
    std::string s;
    model_.SerializeToString(&s);
    return s;
  }
  onnx::ModelProto& model() { return model_; }

 private:
  static void value_info(onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) {
      auto* dim = tt->mutable_shape()->add_dim();
      if (d > 0) dim->set_dim_value(d);
      else dim->set_dim_param("dynamic");
    }
  }

  onnx::ModelProto model_;
  onnx::GraphProto* graph_ = nullptr;
  std::string last_ = "x";
  int count_ = 0;
};
