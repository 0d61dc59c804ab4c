// A CNN as a DAG of layers in topological order, with shape, MAC and parameter inference.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgeplan/model/layer.h"
#include "edgeplan/model/weights.h"

namespace edgeplan {

// Half-open range [first, last) of layer indices: a volume or the tail.
struct LayerRange {
  int first = 0;
  int last = 0;
  int size() const { return last - first; }
  bool contains(int layer) const { return layer >= first && layer < last; }
  bool operator==(const LayerRange& o) const { return first == o.first && last == o.last; }
};

class Graph {
 public:
  Graph(std::string name, Shape input);

  const std::string& name() const { return name_; }
  const Shape& input_shape() const { return input_; }
  const std::vector<Layer>& layers() const { return layers_; }
  const Layer& layer(int index) const { return layers_.at(static_cast<std::size_t>(index)); }
  int size() const { return static_cast<int>(layers_.size()); }

  // Shape of a tensor id (kModelInput or a layer index); throws ModelError out of range.
  const Shape& tensor_shape(int tensor) const {
    if (tensor == kModelInput) return input_;
    if (tensor < 0 || tensor >= size()) throw_bad_tensor(tensor);
    return layers_[static_cast<std::size_t>(tensor)].out;
  }

  // Appends a layer after checking its inputs and inferring its output shape; returns its
  // tensor id. Throws ModelError (naming the layer) on inconsistent shapes.
  int add(Layer layer);

  // Builders for the common kinds; each returns the new tensor id.
  int conv(const std::string& name, int input, int out_channels, int kernel, int stride = 1,
           int pad = 0, int groups = 1, bool bias = true, int dilation = 1);
  // Per-axis windows: pad / pad_end crop the output, `extra` is the output padding.
  int conv_transpose(const std::string& name, int input, int out_channels, Window h, Window w, int groups = 1, bool bias = true);
  int batch_norm(const std::string& name, int input, float eps = 1e-5f);
  int relu(const std::string& name, int input);
  int relu6(const std::string& name, int input);
  int leaky_relu(const std::string& name, int input, float slope);
  int max_pool(const std::string& name, int input, int kernel, int stride, int pad = 0, bool ceil_mode = false);
  int avg_pool(const std::string& name, int input, int kernel, int stride, int pad = 0, bool ceil_mode = false,
               bool count_include_pad = true);
  int add_tensors(const std::string& name, std::vector<int> inputs);
  int concat(const std::string& name, std::vector<int> inputs);
  int upsample(const std::string& name, int input, int factor);
  int reorg(const std::string& name, int input, int stride);
  int global_avg_pool(const std::string& name, int input);
  int adaptive_avg_pool(const std::string& name, int input, int out_h, int out_w);
  int flatten(const std::string& name, int input);
  int linear(const std::string& name, int input, int out_features, bool bias = true);

  // The layers after which nothing is row-splittable: [body_end(), size()) is the tail
  // (global pooling, flatten, fully connected), [0, body_end()) the spatial body.
  int body_end() const;

  // Layers consuming each tensor id; consumers(kModelInput) is valid.
  std::vector<int> consumers(int tensor) const;

  // Tensors produced inside `range` and read after it (or the model output): what the
  // volume must hand on. Sorted ascending.
  std::vector<int> live_outputs(LayerRange range) const;
  // Tensors produced before `range` and read inside it. Sorted ascending (kModelInput first).
  std::vector<int> external_inputs(LayerRange range) const;

  std::int64_t macs(int layer) const;    // multiply-accumulates of one layer
  std::int64_t params(int layer) const;  // learnable parameters (BN running stats excluded)
  std::int64_t total_macs() const;
  std::int64_t total_params() const;

  // Parameters read from a file (nullptr for zoo models, whose weights come from a seed).
  // Checked against the layers' shapes; throws ModelError naming the layer on a mismatch.
  void set_weights(std::shared_ptr<const ModelWeights> weights);
  const ModelWeights* weights() const { return weights_.get(); }
  const ModelOrigin& origin() const { return origin_; }
  void set_origin(ModelOrigin origin) { origin_ = std::move(origin); }

 private:
  Shape infer_shape(const Layer& layer) const;
  [[noreturn]] static void throw_bad_tensor(int tensor);

  std::string name_;
  Shape input_;
  std::vector<Layer> layers_;
  std::shared_ptr<const ModelWeights> weights_;
  ModelOrigin origin_;
};

// Output extent of a sliding window over `in` cells, PyTorch's rule (ceil mode included).
int window_output_extent(const Window& w, int in, bool ceil_mode);
// Output extent of a transposed convolution over `in` cells (ONNX / PyTorch):
// stride * (in - 1) + dilation * (kernel - 1) + 1 + extra - pad - end_pad.
int transposed_output_extent(const Window& w, int in);

// Positions p in (0, body_end) where exactly one tensor crosses from layers < p to >= p:
// the places a volume boundary costs one feature map (between blocks, along chains).
std::vector<int> single_tensor_cuts(const Graph& graph);

}  // namespace edgeplan
