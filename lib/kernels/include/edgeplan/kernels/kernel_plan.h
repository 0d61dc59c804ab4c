// Lowering of one task of a plan (a part of a volume, or the tail) to a flat list of kernels
// over one activation arena: what the CUDA executor launches, and what the host interpreter
// runs to prove the lowering exact. CUDA-free and libtorch-free.
//
// A part runs from exactly the input rows it receives (halo included). Batch norm is folded
// into the convolution before it, the activation after it becomes the convolution's
// epilogue; concatenated tensors are written straight into their channel block of the
// concatenation (no copy) where nothing else reads them; channel slices and flattening are
// views. Padding is applied only at the true border of a map: where a convolution's window
// crosses the border on one side only (a stripe's first or last rows), a Gather kernel
// copies its input with the border zeros into a packed buffer, since cuDNN pads symmetrically.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "edgeplan/kernels/kernel_math.h"
#include "edgeplan/model/element_type.h"
#include "edgeplan/model/graph.h"
#include "edgeplan/model/region.h"

namespace edgeplan {

enum class KernelKind {
  Gather,           // crop + border padding into a packed buffer (ahead of a convolution)
  Conv,             // cuDNN convolution; epilogue: bias (folded batch norm) + activation
  ConvTranspose,    // direct kernel (gather form)
  MaxPool,
  AvgPool,
  AdaptiveAvgPool,  // also global average pooling
  Linear,           // cuBLAS: weight [out][in] times the packed input vector, bias, epilogue
  Unary,            // an activation on its own (in place where its input has no other reader)
  Affine,           // x * scale[c] + shift[c]: an unfolded batch norm or an ONNX affine
  Add,              // in0 + in1 (more operands: further Adds with flag = accumulate)
  Mul,              // in0 * in1, a 1 x 1 operand broadcast per channel
  Copy,             // a concatenation member that could not be written in place
  Upsample,
  Reorg,
  Shuffle,
};
const char* to_string(KernelKind kind);

struct Kernel {
  KernelKind kind = KernelKind::Copy;
  std::vector<int> layers;  // graph layers it computes (a folded convolution: conv, bn, activation)
  kern::Args args;          // views hold arena offsets once buffers are placed
  // Buffers read (in0, in1) and written (out); -1 where unused.
  int in0 = -1, in1 = -1, out = -1;
  std::string fused;  // the layer kinds folded in, e.g. " +batchnorm +relu"
};

// One region of the arena: an activation, a received input, or a concatenation.
struct KernelBuffer {
  std::int64_t elements = 0;
  std::int64_t offset = -1;  // in elements, once placed
  int first = 0;             // first kernel writing it (-1: a task input, written before the first kernel)
  int last = 0;              // last kernel reading it (kernels.size(): a task output, read after the last)
  std::string what;          // e.g. "layer 12 (conv3)", for messages and tests
};

// What one task computes: its layers, the region of each layer's output it needs, the
// regions it receives of tensors produced elsewhere, and the regions it hands on.
struct TaskRegions {
  LayerRange layers;
  std::vector<Region> layer_out;   // index layer - layers.first; empty: not computed
  std::map<int, Region> inputs;    // external tensor -> region received
  std::map<int, Region> outputs;   // tensor -> region handed on
};
// A part owning `owned` (tensor -> region) of volume `layers`: the halo math's regions.
TaskRegions part_regions(const Graph& graph, LayerRange layers, const std::map<int, Region>& owned);
// The tail (or any range) on whole tensors, handing on its last layer's output.
TaskRegions whole_regions(const Graph& graph, LayerRange layers);
// One layer computing `out` from exactly the input cells it needs (a profiler's measurement).
TaskRegions layer_regions(const Graph& graph, int layer, const Region& out);

struct LoweringOptions {
  bool fuse = true;          // fold batch norm and activations into convolutions
  bool alias_concat = true;  // write concatenation members in place
  bool in_place = true;      // element-wise kernels overwrite an input nobody else reads
  int align = 64;            // buffer alignment in elements (64 fp32 = 256 bytes, cuDNN's)
  // F32, or F16: activations and parameters stored as IEEE half, arithmetic in fp32 (the
  // parameters are rounded to half here, so host and GPU use the same values).
  ElementType precision = ElementType::F32;
};

struct KernelPlan {
  std::vector<Kernel> kernels;
  std::vector<KernelBuffer> buffers;
  std::vector<float> weights;          // folded parameters of every kernel, one array
  std::map<int, kern::View> inputs;    // received tensor -> where its rows go (packed)
  std::map<int, kern::View> outputs;   // handed-on tensor -> where its region lies (maybe strided)
  TaskRegions regions;
  std::int64_t arena_elements = 0;     // activation arena (inputs, intermediates, outputs)
  ElementType precision = ElementType::F32;  // of the arena's elements and of the weights on the GPU

  // Per-kernel one-line description, e.g. "conv 3x3/1 pad 1 +bn +relu [64x56x56]".
  std::string describe(int kernel) const;
  std::vector<std::string> describe() const;
};

// Lowers a task. `weights` holds every layer's parameters (model_weights() of the runtime,
// or an import's). Throws ModelError on a layer kind or shape the lowering cannot express.
KernelPlan lower_task(const Graph& graph, const ModelWeights& weights, const TaskRegions& task, const LoweringOptions& options = {});

// The sub-view of `v` (which holds `held` of a map) covering `want`; throws std::logic_error
// unless held contains want.
kern::View sub_view(const kern::View& v, const Region& held, const Region& want);

// What a GPU needs to run a plan without a hazard the (sequential, bounds-unchecked) host
// interpreter could hide: every view inside the arena, every parameter inside the weights;
// convolutions and products on packed views with aligned parameters; no kernel but an
// element-wise one writing memory it reads. Throws std::logic_error naming the kernel.
void check_kernel_plan(const KernelPlan& plan);

// The nearest IEEE half to x (round to nearest even), as a float: what fp16 storage keeps.
float round_to_half(float x);

// Places buffers in one arena: buffers whose lifetimes [first, last] overlap never share
// memory; largest first, each at the lowest aligned offset that fits. Returns the arena size.
std::int64_t place_buffers(std::vector<KernelBuffer>& buffers, int align);

// Deterministic parameters for every layer without libtorch (hand-built graphs' tests, the
// GPU harness): He-uniform weights, biases in [-0.1, 0.1), batch-norm statistics near
// identity, from a 64-bit LCG seeded by `seed` (the same numbers on every machine). Not the
// CPU reference executor's seeded weights (runtime's model_weights()), which need libtorch.
ModelWeights seeded_model_weights(const Graph& graph, std::uint64_t seed);
// The generator behind it: n values uniform in [lo, hi), advancing `state`.
std::vector<float> lcg_uniform(std::size_t n, std::uint64_t& state, float lo, float hi);

// Batch norm folded into the convolution before it (per output channel o):
// w'[o] = w[o] * gamma[o] / sqrt(var[o] + eps), b'[o] = (b[o] - mean[o]) * gamma[o] / sqrt(var[o] + eps) + beta[o].
// `bias` may be empty (a convolution without bias). Computed in double, rounded once.
void fold_batch_norm(std::vector<float>& weight, std::vector<float>& bias, int out_channels, const LayerParams& bn, float eps);

// The one workspace a task's convolutions share: the largest any of them asks for, aligned.
std::size_t shared_workspace_bytes(const std::vector<std::size_t>& per_kernel, std::size_t align = 256);

}  // namespace edgeplan
