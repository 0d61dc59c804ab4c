// The lowering: a task's layers, in order, to kernels over buffers; then the buffers placed.
#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>

#include "edgeplan/kernels/kernel_plan.h"
#include "edgeplan/model/error.h"

namespace edgeplan {

namespace {

using kern::View;

View packed_view(int c, const Region& r) { return kern::packed_view(c, r.rows.size(), r.cols.size()); }

bool is_activation(LayerKind k) {
  return k == LayerKind::ReLU || k == LayerKind::ReLU6 || k == LayerKind::LeakyReLU || k == LayerKind::Sigmoid ||
         k == LayerKind::HardSigmoid || k == LayerKind::HardSwish || k == LayerKind::Clip;
}

void set_activation(kern::Args& a, const Layer& l) {
  a.alpha = l.alpha;
  a.beta = l.beta;
  switch (l.kind) {
    case LayerKind::ReLU: a.act = kern::kReLU; break;
    case LayerKind::ReLU6: a.act = kern::kReLU6; break;
    case LayerKind::LeakyReLU: a.act = kern::kLeaky; break;
    case LayerKind::Sigmoid: a.act = kern::kSigmoid; break;
    case LayerKind::HardSigmoid: a.act = kern::kHardSigmoid; break;
    case LayerKind::HardSwish: a.act = kern::kHardSwish; break;
    case LayerKind::Clip: a.act = kern::kClip; break;
    default: throw std::logic_error("not an activation");
  }
}

Kernel make_kernel(KernelKind kind, std::vector<int> layers, int in0, int in1, int out) {
  Kernel k;
  k.kind = kind;
  k.layers = std::move(layers);
  k.in0 = in0;
  k.in1 = in1;
  k.out = out;
  return k;
}

kern::Win window(const Window& w) { return kern::Win{w.kernel, w.stride, w.pad, w.end_pad(), w.dilation}; }

// Where a tensor's computed cells lie.
struct Held {
  int buffer = -1;
  View view;      // relative to the buffer's start
  Region region;  // the cells of the whole map it holds
  bool owner = false;  // the buffer holds this tensor alone (it may be overwritten in place)
};

class Lowering {
 public:
  Lowering(const Graph& g, const ModelWeights& w, const TaskRegions& t, const LoweringOptions& o) : g_(g), w_(w), t_(t), o_(o) {
    if (w_.layers.size() != static_cast<std::size_t>(g_.size()))
      throw ModelError("weights for " + std::to_string(w_.layers.size()) + " layers given for the " + std::to_string(g_.size()) +
                       " layers of " + g_.name());
    if (t_.layer_out.size() != static_cast<std::size_t>(t_.layers.size())) throw std::logic_error("task regions do not match its layers");
    done_.assign(static_cast<std::size_t>(t_.layers.size()), 0);
    if (o_.precision != ElementType::F32 && o_.precision != ElementType::F16)
      throw ModelError(std::string("the kernels run in fp32 or fp16, not ") + to_string(o_.precision));
  }

  KernelPlan run() {
    p_.regions = t_;
    for (const auto& [x, region] : t_.inputs) {
      const int b = new_buffer(std::int64_t{g_.tensor_shape(x).c} * region.rows.size() * region.cols.size(), "input " + std::to_string(x));
      p_.buffers[static_cast<std::size_t>(b)].first = -1;
      held_[x] = Held{b, packed_view(g_.tensor_shape(x).c, region), region, false};
    }
    if (o_.alias_concat) find_concat_members();
    for (int l = t_.layers.first; l < t_.layers.last; ++l)
      if (!out(l).empty() && !done_[static_cast<std::size_t>(l - t_.layers.first)]) lower(l);
    const int end = static_cast<int>(p_.kernels.size());
    for (const auto& [x, region] : t_.outputs) {
      int b = -1;
      p_.outputs[x] = view_of(x, region, b);
      p_.buffers[static_cast<std::size_t>(b)].last = end;
    }
    for (KernelBuffer& b : p_.buffers) {  // a buffer nothing reads still lives while it is written
      if (b.first == INT_MAX) b.first = -1;
      b.last = std::max(b.last, b.first);
    }
    p_.arena_elements = place_buffers(p_.buffers, o_.align);
    p_.precision = o_.precision;
    if (o_.precision == ElementType::F16)
      for (float& x : p_.weights) x = round_to_half(x);
    auto resolve = [&](View& v, int b) {
      if (b >= 0) v.offset += p_.buffers[static_cast<std::size_t>(b)].offset;
    };
    for (Kernel& k : p_.kernels) {
      resolve(k.args.in0, k.in0);
      resolve(k.args.in1, k.in1);
      resolve(k.args.out, k.out);
    }
    for (const auto& [x, h] : held_) {
      if (t_.inputs.count(x)) {
        p_.inputs[x] = h.view;
        resolve(p_.inputs[x], h.buffer);
      }
      if (t_.outputs.count(x)) resolve(p_.outputs[x], h.buffer);
    }
    return std::move(p_);
  }

 private:
  const Region& out(int l) const { return t_.layer_out.at(static_cast<std::size_t>(l - t_.layers.first)); }
  bool in_task(int x) const { return t_.layers.contains(x); }
  bool sole_reader(int x, int reader) const {
    const std::vector<int> c = g_.consumers(x);
    return c.size() == 1 && c[0] == reader && !t_.outputs.count(x);
  }

  int new_buffer(std::int64_t elements, std::string what) {
    p_.buffers.push_back(KernelBuffer{elements, -1, INT_MAX, -2, std::move(what)});
    return static_cast<int>(p_.buffers.size()) - 1;
  }

  // The cells `want` of tensor x as a view (of the buffer returned in `buffer`).
  View view_of(int x, const Region& want, int& buffer) const {
    const auto it = held_.find(x);
    if (it == held_.end()) throw std::logic_error("tensor " + std::to_string(x) + " is not available to the task");
    buffer = it->second.buffer;
    return sub_view(it->second.view, it->second.region, want);
  }

  // Concatenation members written straight into their channel block: produced here by a
  // kernel with its own output, for exactly the concatenation's region, read by nothing else.
  void find_concat_members() {
    for (int l = t_.layers.first; l < t_.layers.last; ++l) {
      const Layer& L = g_.layer(l);
      if (L.kind != LayerKind::Concat || out(l).empty()) continue;
      int offset = 0;
      for (int x : L.inputs) {
        const int n = static_cast<int>(std::count(L.inputs.begin(), L.inputs.end(), x));
        // Channel slices and flattening are views of another tensor: they write nothing to alias.
        const bool writes = in_task(x) && g_.layer(x).kind != LayerKind::ChannelSlice && g_.layer(x).kind != LayerKind::Flatten;
        if (writes && n == 1 && sole_reader(x, l) && out(x) == out(l)) member_of_[x] = {l, offset};
        offset += g_.tensor_shape(x).c;
      }
    }
  }

  // Where the producer of x writes its c channels of `region`: its concatenation's block, or a new buffer.
  Held& place(int x, int c, const Region& region) {
    const auto m = member_of_.find(x);
    if (m != member_of_.end()) {
      const auto [cat, offset] = m->second;
      const Held parent = held_.count(cat) ? held_.at(cat) : place(cat, g_.layer(cat).out.c, out(cat));
      Held h = parent;
      h.view.offset += offset * parent.view.cs;
      h.view.c = c;
      h.owner = false;
      return held_[x] = h;
    }
    const std::string what = "layer " + std::to_string(x) + " (" + g_.layer(x).name + ")";
    const int b = new_buffer(std::int64_t{c} * region.rows.size() * region.cols.size(), what);
    return held_[x] = Held{b, packed_view(c, region), region, true};
  }

  int emit(Kernel k) {
    const int i = static_cast<int>(p_.kernels.size());
    for (int b : {k.in0, k.in1})
      if (b >= 0) p_.buffers[static_cast<std::size_t>(b)].last = std::max(p_.buffers[static_cast<std::size_t>(b)].last, i);
    KernelBuffer& o = p_.buffers.at(static_cast<std::size_t>(k.out));
    o.first = std::min(o.first, i);
    o.last = std::max(o.last, i);
    p_.kernels.push_back(std::move(k));
    return i;
  }

  // Each kernel's parameters start aligned (cuDNN reads filters best from aligned addresses).
  std::int64_t add_weights(const std::vector<float>& values) {
    const std::size_t align = static_cast<std::size_t>(o_.align);
    p_.weights.resize((p_.weights.size() + align - 1) / align * align, 0.0f);
    const auto at = static_cast<std::int64_t>(p_.weights.size());
    p_.weights.insert(p_.weights.end(), values.begin(), values.end());
    return at;
  }

  const LayerParams& params(int l, std::size_t weight_size) const {
    const LayerParams& p = w_.layers.at(static_cast<std::size_t>(l));
    if (p.weight.size() != weight_size)
      throw ModelError("layer '" + g_.layer(l).name + "' has " + std::to_string(p.weight.size()) + " weights, expected " +
                       std::to_string(weight_size));
    return p;
  }

  // Folds what follows layer l into its kernel: batch norm (convolutions), one activation.
  // Returns the last layer folded in; its tensor is what the kernel writes.
  int fuse_after(int l, Kernel& k, std::vector<float>& weight, std::vector<float>& bias, bool allow_bn) {
    int last = l;
    bool folded = false;
    while (o_.fuse) {
      const std::vector<int> c = g_.consumers(last);
      if (c.size() != 1 || t_.outputs.count(last) || !in_task(c[0]) || out(c[0]) != out(l)) break;
      const Layer& n = g_.layer(c[0]);
      if (n.kind == LayerKind::BatchNorm && allow_bn && !folded && k.args.act == kern::kNone) {
        fold_batch_norm(weight, bias, g_.layer(l).out.c, w_.layers.at(static_cast<std::size_t>(c[0])), n.eps);
        folded = true;
      } else if (is_activation(n.kind) && k.args.act == kern::kNone) {
        set_activation(k.args, n);
      } else {
        break;
      }
      done_[static_cast<std::size_t>(c[0] - t_.layers.first)] = 1;
      k.layers.push_back(c[0]);
      k.fused += std::string(" +") + to_string(n.kind);
      last = c[0];
    }
    return last;
  }

  void write_to(Kernel& k, int x, int c, const Region& region) {
    const Held& h = place(x, c, region);
    k.out = h.buffer;
    k.args.out = h.view;
  }

  void read_as_in0(Kernel& k, int x, const Region& want) { k.args.in0 = view_of(x, want, k.in0); }

  // A packed copy of `v` (cuDNN and cuBLAS take packed tensors only).
  int pack(int x, const View& v, int buffer, View& packed) {
    Kernel k = make_kernel(KernelKind::Copy, {}, buffer, -1, -1);
    k.args.in0 = v;
    k.out = new_buffer(kern::cells(v), "packed copy of tensor " + std::to_string(x));
    packed = kern::packed_view(v.c, v.h, v.w);
    k.args.out = packed;
    emit(k);
    return k.out;
  }

  void lower(int l) {
    const Layer& L = g_.layer(l);
    const Region& O = out(l);
    switch (L.kind) {
      case LayerKind::Conv: return conv(l);
      case LayerKind::Linear: return linear(l);
      case LayerKind::MaxPool:
      case LayerKind::AvgPool:
      case LayerKind::ConvTranspose:
      case LayerKind::Upsample:
      case LayerKind::Reorg: return windowed(l);
      case LayerKind::Add:
      case LayerKind::Mul: return binary(l);
      case LayerKind::Concat: return concat(l);
      case LayerKind::ChannelSlice: {
        int b = -1;
        View v = view_of(L.inputs[0], O, b);
        v.offset += L.channel_begin * v.cs;
        v.c = L.out_channels;
        held_[l] = Held{b, v, O, false};
        return;
      }
      case LayerKind::Flatten: {
        int b = -1;
        View v = view_of(L.inputs[0], full_region(g_.tensor_shape(L.inputs[0])), b);
        if (!kern::packed(v)) b = pack(L.inputs[0], View(v), b, v);
        held_[l] = Held{b, View{v.offset, L.out.c, 1, 1, 1, 1}, full_region(L.out), false};
        return;
      }
      case LayerKind::GlobalAvgPool:
      case LayerKind::AdaptiveAvgPool: {
        Kernel k = make_kernel(KernelKind::AdaptiveAvgPool, {l}, -1, -1, -1);
        read_as_in0(k, L.inputs[0], full_region(g_.tensor_shape(L.inputs[0])));
        write_to(k, l, L.out.c, O);
        emit(k);
        return;
      }
      case LayerKind::ChannelShuffle: {
        Kernel k = make_kernel(KernelKind::Shuffle, {l}, -1, -1, -1);
        k.args.groups = L.groups;
        read_as_in0(k, L.inputs[0], O);
        write_to(k, l, L.out.c, O);
        emit(k);
        return;
      }
      case LayerKind::BatchNorm:
      case LayerKind::Affine: return affine(l);
      default:
        if (is_activation(L.kind)) return unary(l);
        throw ModelError(std::string("the kernel lowering has no kernel for layer kind '") + to_string(L.kind) + "' (layer '" + L.name + "')");
    }
  }

  void conv(int l) {
    const Layer& L = g_.layer(l);
    const Region& O = out(l);
    const int x = L.inputs[0];
    const Shape& s = g_.tensor_shape(x);
    const Interval vr = virtual_window(L.win_h, O.rows), vc = virtual_window(L.win_w, O.cols);
    const Interval cr = intersect(vr, Interval{0, s.h}), cc = intersect(vc, Interval{0, s.w});
    Kernel k = make_kernel(KernelKind::Conv, {l}, -1, -1, -1);
    int src_b = -1;
    const View src = cr.empty() || cc.empty() ? View{} : view_of(x, Region{cr, cc}, src_b);
    const int top = cr.begin - vr.begin, bottom = vr.end - cr.end, left = cc.begin - vc.begin, right = vc.end - cc.end;
    k.args.wh = window(L.win_h);
    k.args.ww = window(L.win_w);
    if (top == bottom && left == right && src_b >= 0 && kern::packed(src)) {
      k.in0 = src_b;
      k.args.in0 = src;
      k.args.wh.pad = k.args.wh.pad_end = top;
      k.args.ww.pad = k.args.ww.pad_end = left;
    } else {  // the border on one side only: a packed copy with its zeros, then no padding
      Kernel ga = make_kernel(KernelKind::Gather, {l}, src_b, -1, -1);
      ga.args.in0 = src;
      ga.args.in_r0 = cr.begin;
      ga.args.in_c0 = cc.begin;
      ga.args.in_h = s.h;
      ga.args.in_w = s.w;
      ga.args.out_r0 = vr.begin;
      ga.args.out_c0 = vc.begin;
      ga.out = new_buffer(std::int64_t{s.c} * vr.size() * vc.size(), "padded input of layer " + std::to_string(l));
      ga.args.out = packed_view(s.c, Region{vr, vc});
      emit(ga);
      k.in0 = ga.out;
      k.args.in0 = ga.args.out;
      k.args.wh.pad = k.args.wh.pad_end = k.args.ww.pad = k.args.ww.pad_end = 0;
    }
    k.args.groups = L.groups;
    const LayerParams& p = params(l, static_cast<std::size_t>(L.out_channels) * (s.c / L.groups) * L.win_h.kernel * L.win_w.kernel);
    std::vector<float> weight = p.weight, bias = p.bias;
    const int last = fuse_after(l, k, weight, bias, true);
    k.args.w_off = add_weights(weight);
    k.args.b_off = bias.empty() ? -1 : add_weights(bias);
    write_to(k, last, L.out.c, O);
    emit(k);
  }

  void linear(int l) {
    const Layer& L = g_.layer(l);
    const int x = L.inputs[0];
    const Shape& s = g_.tensor_shape(x);
    Kernel k = make_kernel(KernelKind::Linear, {l}, -1, -1, -1);
    read_as_in0(k, x, full_region(s));
    if (!kern::packed(k.args.in0)) k.in0 = pack(x, View(k.args.in0), k.in0, k.args.in0);
    const LayerParams& p = params(l, static_cast<std::size_t>(L.out_channels) * static_cast<std::size_t>(s.elements()));
    std::vector<float> weight = p.weight, bias = p.bias;
    const int last = fuse_after(l, k, weight, bias, false);
    k.args.w_off = add_weights(weight);
    k.args.b_off = bias.empty() ? -1 : add_weights(bias);
    write_to(k, last, L.out.c, out(l));
    emit(k);
  }

  // Region kernels reading the input cells input_region() names, in whole-map coordinates.
  void windowed(int l) {
    const Layer& L = g_.layer(l);
    const Region& O = out(l);
    const int x = L.inputs[0];
    const Shape& s = g_.tensor_shape(x);
    const Region need = input_region(L, O, s);
    KernelKind kind = KernelKind::MaxPool;
    if (L.kind == LayerKind::AvgPool) kind = KernelKind::AvgPool;
    if (L.kind == LayerKind::ConvTranspose) kind = KernelKind::ConvTranspose;
    if (L.kind == LayerKind::Upsample) kind = KernelKind::Upsample;
    if (L.kind == LayerKind::Reorg) kind = KernelKind::Reorg;
    Kernel k = make_kernel(kind, {l}, -1, -1, -1);
    if (need.empty()) {  // a transposed convolution's outputs between its taps read nothing
      k.args.in0.c = s.c;
    } else {
      read_as_in0(k, x, need);
    }
    k.args.in_r0 = need.rows.begin;
    k.args.in_c0 = need.cols.begin;
    k.args.in_h = s.h;
    k.args.in_w = s.w;
    k.args.out_r0 = O.rows.begin;
    k.args.out_c0 = O.cols.begin;
    k.args.wh = window(L.win_h);
    k.args.ww = window(L.win_w);
    k.args.flag = L.count_include_pad ? 1 : 0;
    k.args.groups = L.groups;
    if (kind == KernelKind::ConvTranspose) {
      const LayerParams& p = params(l, static_cast<std::size_t>(s.c) * (L.out_channels / L.groups) * L.win_h.kernel * L.win_w.kernel);
      k.args.w_off = add_weights(p.weight);
      if (!p.bias.empty()) k.args.b_off = add_weights(p.bias);
    }
    write_to(k, l, L.out.c, O);
    emit(k);
  }

  void binary(int l) {
    const Layer& L = g_.layer(l);
    const Region& O = out(l);
    const bool add = L.kind == LayerKind::Add;
    auto operand = [&](std::size_t i, int& buffer) {
      const int x = L.inputs[i];
      return view_of(x, add ? O : input_region(L, O, g_.tensor_shape(x)), buffer);
    };
    Kernel first = make_kernel(add ? KernelKind::Add : KernelKind::Mul, {l}, -1, -1, -1);
    first.args.in0 = operand(0, first.in0);
    if (L.inputs.size() == 1) first.kind = KernelKind::Copy;
    else first.args.in1 = operand(1, first.in1);
    write_to(first, l, L.out.c, O);
    const int b = first.out;
    const View o = first.args.out;
    emit(first);
    for (std::size_t i = 2; i < L.inputs.size(); ++i) {  // accumulate further operands into the output
      Kernel k = make_kernel(first.kind, {l}, b, -1, b);
      k.args.in0 = o;
      k.args.in1 = operand(i, k.in1);
      k.args.out = o;
      k.args.flag = 1;
      emit(k);
    }
  }

  void concat(int l) {
    const Layer& L = g_.layer(l);
    const Region& O = out(l);
    const Held slot = held_.count(l) ? held_.at(l) : place(l, L.out.c, O);
    int offset = 0;
    for (int x : L.inputs) {
      const int c = g_.tensor_shape(x).c;
      const auto m = member_of_.find(x);
      if (m == member_of_.end() || m->second.first != l) {
        Kernel k = make_kernel(KernelKind::Copy, {l}, -1, -1, slot.buffer);
        read_as_in0(k, x, O);
        k.args.out = slot.view;
        k.args.out.offset += offset * slot.view.cs;
        k.args.out.c = c;
        emit(k);
      }
      offset += c;
    }
  }

  // An element-wise kernel's output: its input's own buffer where nobody else reads it.
  void in_place_or_new(Kernel& k, int l, int x) {
    const Region& O = out(l);
    const auto h = held_.find(x);
    if (o_.in_place && !member_of_.count(l) && h != held_.end() && h->second.owner && in_task(x) && sole_reader(x, l) &&
        h->second.region == O) {
      k.out = h->second.buffer;
      k.args.out = h->second.view;
      held_[l] = h->second;
      held_[x].owner = false;
      return;
    }
    write_to(k, l, g_.layer(l).out.c, O);
  }

  void unary(int l) {
    const Layer& L = g_.layer(l);
    Kernel k = make_kernel(KernelKind::Unary, {l}, -1, -1, -1);
    set_activation(k.args, L);
    read_as_in0(k, L.inputs[0], out(l));
    in_place_or_new(k, l, L.inputs[0]);
    emit(k);
  }

  void affine(int l) {
    const Layer& L = g_.layer(l);
    const LayerParams& p = w_.layers.at(static_cast<std::size_t>(l));
    const std::size_t c = static_cast<std::size_t>(L.out.c);
    std::vector<float> scale(c), shift(c);
    if (p.gamma.size() != c || p.beta.size() != c || (L.kind == LayerKind::BatchNorm && (p.mean.size() != c || p.var.size() != c)))
      throw ModelError("layer '" + L.name + "' lacks its per-channel parameters");
    for (std::size_t i = 0; i < c; ++i) {
      if (L.kind == LayerKind::BatchNorm) {
        const double sc = static_cast<double>(p.gamma[i]) / std::sqrt(static_cast<double>(p.var[i]) + static_cast<double>(L.eps));
        scale[i] = static_cast<float>(sc);
        shift[i] = static_cast<float>(p.beta[i] - p.mean[i] * sc);
      } else {
        scale[i] = p.gamma[i];
        shift[i] = p.beta[i];
      }
    }
    Kernel k = make_kernel(KernelKind::Affine, {l}, -1, -1, -1);
    k.args.w_off = add_weights(scale);
    k.args.b_off = add_weights(shift);
    read_as_in0(k, L.inputs[0], out(l));
    in_place_or_new(k, l, L.inputs[0]);
    emit(k);
  }

  const Graph& g_;
  const ModelWeights& w_;
  const TaskRegions& t_;
  LoweringOptions o_;
  KernelPlan p_;
  std::map<int, Held> held_;
  std::vector<char> done_;
  std::map<int, std::pair<int, int>> member_of_;  // tensor -> (concatenation layer, channel offset)
};

}  // namespace

KernelPlan lower_task(const Graph& graph, const ModelWeights& weights, const TaskRegions& task, const LoweringOptions& options) {
  return Lowering(graph, weights, task, options).run();
}

}  // namespace edgeplan
