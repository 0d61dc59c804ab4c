// Building an ONNX graph with the protobuf API: initializers, nodes, attributes, and each
// edgeplan layer as ONNX nodes, over whole maps or over one region of a part (private).
#pragma once
#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <vector>

#include "edgeplan/model/graph.h"
#include "edgeplan/model/region.h"
#include "edgeplan/model/weights.h"

namespace edgeplan::detail {

class OnnxWriter {
 public:
  // A model with one default-domain opset; `graph()` is filled by the caller.
  explicit OnnxWriter(const std::string& name);

  onnx::GraphProto& graph() { return *graph_; }
  std::string serialize() const;  // throws OnnxError if protobuf refuses (over 2 GB)

  static void value_info(onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& dims);
  void input(const std::string& name, const std::vector<std::int64_t>& dims) { value_info(graph_->add_input(), name, dims); }
  void output(const std::string& name, const std::vector<std::int64_t>& dims) { value_info(graph_->add_output(), name, dims); }

  std::string init_float(const std::string& name, const std::vector<float>& v, const std::vector<std::int64_t>& dims);
  std::string init_int(const std::string& name, const std::vector<std::int64_t>& v);
  onnx::NodeProto* node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                        const std::string& output);
  static void ints(onnx::NodeProto* n, const char* name, const std::vector<std::int64_t>& v);
  static void integer(onnx::NodeProto* n, const char* name, std::int64_t v);
  static void real(onnx::NodeProto* n, const char* name, float v);
  static void text(onnx::NodeProto* n, const char* name, const std::string& v);

  // ONNX dims of layer `i`'s output as whole-layer export writes it: [1, N] once a flatten or
  // fully connected layer has run (along first inputs), [1, C, H, W] before.
  static std::vector<std::int64_t> output_dims(const Graph& g, int i);

  // Layer `i` over whole maps, reading `inputs` (one name per layer input), writing `out`.
  void full_layer(const Graph& g, const ModelWeights& w, int i, const std::vector<std::string>& inputs, const std::string& out);

  // Layer `i`'s output region `want` from input tensors that hold the regions `have` (one per
  // input): crops what is not needed, pads only where the window crosses the true border.
  void region_layer(const Graph& g, const ModelWeights& w, int i, const std::vector<std::string>& inputs,
                    const std::vector<Region>& have, const Region& want, const std::string& out);

  // `name` (holding region `have`) cropped to `want`; `name` itself when they are equal.
  std::string crop(const std::string& name, const Region& have, const Region& want);

 private:
  std::string fresh(const std::string& base) { return base + "." + std::to_string(++count_); }
  void activation(const Layer& l, const LayerParams& p, const std::string& in, const std::string& out, int channels);
  // Region `want` of a transposed convolution from `in` (holding `have` of its input).
  void transposed_region(const Layer& l, const LayerParams& p, const Shape& s, const std::string& in, const Region& have,
                         const Region& want, const std::string& out);
  // A channel slice or shuffle of a [1, channels, h, w] tensor.
  void channel_op(const Layer& l, const std::string& in, const std::string& out, std::int64_t channels, std::int64_t h, std::int64_t w);

  onnx::ModelProto model_;
  onnx::GraphProto* graph_ = nullptr;
  int count_ = 0;
};

}  // namespace edgeplan::detail
