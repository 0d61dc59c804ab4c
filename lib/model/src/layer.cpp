// Layer kind names and classification.
#include "edgeplan/model/layer.h"

namespace edgeplan {

const char* to_string(LayerKind kind) {
  switch (kind) {
    case LayerKind::Conv: return "conv";
    case LayerKind::BatchNorm: return "batchnorm";
    case LayerKind::ReLU: return "relu";
    case LayerKind::ReLU6: return "relu6";
    case LayerKind::LeakyReLU: return "leaky_relu";
    case LayerKind::MaxPool: return "maxpool";
    case LayerKind::AvgPool: return "avgpool";
    case LayerKind::Add: return "add";
    case LayerKind::Concat: return "concat";
    case LayerKind::Upsample: return "upsample";
    case LayerKind::Reorg: return "reorg";
    case LayerKind::GlobalAvgPool: return "global_avgpool";
    case LayerKind::AdaptiveAvgPool: return "adaptive_avgpool";
    case LayerKind::Flatten: return "flatten";
    case LayerKind::Linear: return "linear";
    case LayerKind::Sigmoid: return "sigmoid";
    case LayerKind::HardSigmoid: return "hard_sigmoid";
    case LayerKind::HardSwish: return "hard_swish";
    case LayerKind::Clip: return "clip";
    case LayerKind::Mul: return "mul";
    case LayerKind::ChannelSlice: return "channel_slice";
    case LayerKind::ChannelShuffle: return "channel_shuffle";
    case LayerKind::Affine: return "affine";
    case LayerKind::ConvTranspose: return "conv_transpose";
  }
  return "unknown";
}

bool Layer::is_spatial() const {
  switch (kind) {
    case LayerKind::GlobalAvgPool:
    case LayerKind::AdaptiveAvgPool:
    case LayerKind::Flatten:
    case LayerKind::Linear:
      return false;
    default:
      return true;
  }
}

bool Layer::is_pointwise() const {
  switch (kind) {
    case LayerKind::BatchNorm:
    case LayerKind::ReLU:
    case LayerKind::ReLU6:
    case LayerKind::LeakyReLU:
    case LayerKind::Sigmoid:
    case LayerKind::HardSigmoid:
    case LayerKind::HardSwish:
    case LayerKind::Clip:
    case LayerKind::ChannelSlice:
    case LayerKind::ChannelShuffle:
    case LayerKind::Affine:
      return true;
    default:
      return false;
  }
}

}  // namespace edgeplan
