// One layer of a CNN graph: its kind, hyper-parameters, inputs and inferred output shape.
#pragma once
#include <string>
#include <vector>

#include "edgeplan/model/shape.h"

namespace edgeplan {

enum class LayerKind {
  Conv,             // 2-D convolution (stride, padding, dilation, groups)
  BatchNorm,        // inference-mode batch norm with running statistics
  ReLU,
  ReLU6,
  LeakyReLU,        // slope in Layer::alpha
  MaxPool,          // optional ceil mode
  AvgPool,          // optional ceil mode, count_include_pad
  Add,              // element-wise sum of all inputs (residual)
  Concat,           // channel concatenation of all inputs
  Upsample,         // nearest-neighbour, integer factor in Layer::stride
  Reorg,            // space-to-depth by Layer::stride (YOLOv2 passthrough)
  GlobalAvgPool,    // C x H x W -> C x 1 x 1
  AdaptiveAvgPool,  // C x H x W -> C x out_h x out_w (PyTorch's bin rule)
  Flatten,          // C x H x W -> (C*H*W) x 1 x 1
  Linear,           // fully connected
  Sigmoid,
  HardSigmoid,      // max(0, min(1, alpha * x + beta)) (ONNX; PyTorch: alpha 1/6, beta 0.5)
  HardSwish,        // x * relu6(x + 3) / 6
  Clip,             // min(max(x, alpha), beta); ReLU6 is the [0, 6] case
  Mul,              // element-wise product of all inputs (same shapes, or per-channel vectors C x 1 x 1 broadcast: SE)
  ChannelSlice,     // channels [channel_begin, channel_begin + out_channels) of the input (ONNX Split / Slice)
  ChannelShuffle,   // ShuffleNet's shuffle: C = groups x C/g, transposed to C/g x groups
  Affine,           // x * scale[c] + shift[c]: an ONNX Mul / Add / Sub by a per-channel constant
  ConvTranspose,    // transposed convolution (ONNX ConvTranspose): pads crop the output, extra adds to its end
};

const char* to_string(LayerKind kind);

// Tensor id of the model's input image; every other tensor id is the index of the layer producing it.
constexpr int kModelInput = -1;

// Per-axis window of a sliding-window layer.
struct Window {
  int kernel = 1;
  int stride = 1;
  int pad = 0;       // zero (or -inf for max pool) padding before the first cell
  int dilation = 1;
  int pad_end = -1;  // padding after the last cell; -1: the same as `pad` (symmetric)
  int extra = 0;     // ConvTranspose only: output_padding, cells added after the last

  int end_pad() const { return pad_end < 0 ? pad : pad_end; }
  bool symmetric() const { return end_pad() == pad; }
};

struct Layer {
  std::string name;
  LayerKind kind = LayerKind::ReLU;
  std::vector<int> inputs;  // tensor ids (kModelInput or earlier layer indices)

  // Sliding-window parameters per axis (Conv, MaxPool, AvgPool, ConvTranspose); stride is
  // the factor for Upsample and Reorg.
  Window win_h, win_w;
  int out_channels = 0;        // Conv, ConvTranspose, Linear, ChannelSlice
  int channel_begin = 0;       // ChannelSlice
  int groups = 1;              // Conv, ConvTranspose, ChannelShuffle
  bool bias = false;           // Conv, ConvTranspose, Linear
  bool ceil_mode = false;      // MaxPool, AvgPool
  bool count_include_pad = true;  // AvgPool
  float alpha = 0.0f;          // LeakyReLU slope; HardSigmoid alpha; Clip minimum
  float beta = 0.0f;           // HardSigmoid beta; Clip maximum
  float eps = 1e-5f;           // BatchNorm
  int out_h = 0, out_w = 0;    // AdaptiveAvgPool target

  Shape out;  // inferred by Graph::add

  // True when each output row depends only on a bounded window of input rows, so the
  // layer can be split by row / column ranges (everything before the classifier tail).
  bool is_spatial() const;
  bool is_windowed() const { return kind == LayerKind::Conv || kind == LayerKind::MaxPool || kind == LayerKind::AvgPool; }
  // One input, and every output cell (row, col) reads only the same cell of it (element-wise
  // kinds, and the channel slices and shuffles): the halo math passes regions through.
  bool is_pointwise() const;
  bool moves_channels() const { return kind == LayerKind::ChannelSlice || kind == LayerKind::ChannelShuffle; }
};

}  // namespace edgeplan
