// The CUDA executor: kernel plans on streams, cuDNN convolutions, cuBLAS products, events.
#include "edgeplan/cuda/cuda_backend.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <memory>

#include "cuda_kernels.h"
#include "edgeplan/model/error.h"

namespace edgeplan {

namespace {

[[noreturn]] void fail(const std::string& what) { throw Error("CUDA backend: " + what); }
void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail(std::string(what) + ": " + cudaGetErrorString(e));
}
void check(cudnnStatus_t s, const char* what) {
  if (s != CUDNN_STATUS_SUCCESS) fail(std::string(what) + ": " + cudnnGetErrorString(s));
}
void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) fail(std::string(what) + ": cuBLAS status " + std::to_string(static_cast<int>(s)));
}

// Device memory owned for the executor's lifetime (allocated at load, never in a timed run).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
    if (bytes) check(cudaMalloc(&p_, bytes), "cudaMalloc");
  }
  ~DeviceBuffer() {
    if (p_) cudaFree(p_);
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_) { o.p_ = nullptr; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(bytes_, o.bytes_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  float* f() const { return static_cast<float*>(p_); }
  void* get() const { return p_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void* p_ = nullptr;
  std::size_t bytes_ = 0;
};

DeviceBuffer upload(const std::vector<float>& v) {
  DeviceBuffer b(v.size() * sizeof(float));
  if (!v.empty()) check(cudaMemcpy(b.get(), v.data(), b.bytes(), cudaMemcpyHostToDevice), "upload");
  return b;
}

// One stream with its cuDNN and cuBLAS handles (a plan device).
struct Lane {
  cudaStream_t stream = nullptr;
  cudnnHandle_t dnn = nullptr;
  cublasHandle_t blas = nullptr;
  DeviceBuffer workspace;
  Lane() {
    check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudnnCreate(&dnn), "cudnnCreate");
    check(cudnnSetStream(dnn, stream), "cudnnSetStream");
    check(cublasCreate(&blas), "cublasCreate");
    check(cublasSetStream(blas, stream), "cublasSetStream");
    check(cublasSetMathMode(blas, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");  // fp32: no TF32
  }
  ~Lane() {
    if (blas) cublasDestroy(blas);
    if (dnn) cudnnDestroy(dnn);
    if (stream) cudaStreamDestroy(stream);
  }
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;
};

const char* algorithm_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "implicit_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "implicit_precomp_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "direct";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "fft";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "fft_tiling";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "winograd";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "winograd_nonfused";
    default: return "other";
  }
}

// A convolution's descriptors and algorithm, made once at load.
struct ConvCall {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, bias = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnActivationDescriptor_t relu = nullptr;
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  std::size_t workspace = 0;
  bool fused = false;  // bias + ReLU in cudnnConvolutionBiasActivationForward

  ~ConvCall() {
    if (relu) cudnnDestroyActivationDescriptor(relu);
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (bias) cudnnDestroyTensorDescriptor(bias);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (x) cudnnDestroyTensorDescriptor(x);
  }
};

void tensor4d(cudnnTensorDescriptor_t& d, cudnnDataType_t type, int c, int h, int w) {
  check(cudnnCreateTensorDescriptor(&d), "cudnnCreateTensorDescriptor");
  check(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, type, 1, c, h, w), "cudnnSetTensor4dDescriptor");
}

// fp16 mode: float values converted on the GPU at load (weights, the image).
DeviceBuffer upload_half(const std::vector<float>& v, cudaStream_t s) {
  const DeviceBuffer f = upload(v);
  DeviceBuffer h(v.size() * 2);
  check(cuda::launch_to_half(f.f(), h.get(), static_cast<std::int64_t>(v.size()), s), "to half");
  check(cudaStreamSynchronize(s), "to half");
  return h;
}

// One task's kernel plan on one lane: weights on the GPU, its arena, its convolutions set up.
class GpuTask {
 public:
  GpuTask(const KernelPlan& plan, Lane& lane, bool find)
      : plan_(plan), lane_(lane), half_(plan.precision == ElementType::F16), esize_(half_ ? 2 : 4) {
    check_kernel_plan(plan);  // bounds, packing, alignment: a GPU fault is worse than an exception
    weights_ = upload(plan.weights);  // element kernels and epilogues read float parameters
    if (half_) weights_half_ = upload_half(plan.weights, lane.stream);  // cuDNN and cuBLAS read half ones
    arena_ = DeviceBuffer(static_cast<std::size_t>(plan.arena_elements) * esize_);
    if (arena_.bytes()) check(cudaMemset(arena_.get(), 0, arena_.bytes()), "cudaMemset");
    convs_.resize(plan.kernels.size());
    for (std::size_t i = 0; i < plan.kernels.size(); ++i)
      if (plan.kernels[i].kind == KernelKind::Conv) setup_conv(i, find);
  }

  void* arena() const { return arena_.get(); }
  std::size_t workspace_bytes() const {
    std::vector<std::size_t> sizes;
    for (const auto& c : convs_)
      if (c) sizes.push_back(c->workspace);
    return shared_workspace_bytes(sizes);
  }
  std::size_t weight_bytes() const { return weights_.bytes() + weights_half_.bytes(); }
  std::vector<std::string> algorithms() const {
    std::vector<std::string> a;
    for (const auto& c : convs_)
      if (c) a.push_back(std::string(algorithm_name(c->algo)) + (c->fused ? "+bias+relu" : ""));
    return a;
  }

  // Tries the fused bias + ReLU call once (at load): used only where cuDNN accepts it.
  void probe_fusion() {
    for (std::size_t i = 0; i < convs_.size(); ++i) {
      ConvCall* c = convs_[i].get();
      const kern::Args& a = plan_.kernels[i].args;
      if (!c || half_ || a.act != kern::kReLU || a.b_off < 0) continue;  // fp16: bias stays float, in the epilogue
      c->fused = true;
      if (conv(i) != CUDNN_STATUS_SUCCESS) c->fused = false;
    }
    check(cudaStreamSynchronize(lane_.stream), "fusion probe");
  }

  // Launches every kernel on the lane's stream: no allocation, no synchronisation.
  void run() {
    void* m = arena_.get();
    const float* w = weights_.f();
    for (std::size_t i = 0; i < plan_.kernels.size(); ++i) {
      const Kernel& k = plan_.kernels[i];
      if (k.kind == KernelKind::Conv) {
        check(conv(i), "cudnnConvolutionForward");
        if (!convs_[i]->fused) check(cuda::launch_epilogue(k.args, m, w, half_, lane_.stream), "epilogue");
      } else if (k.kind == KernelKind::Linear) {
        check(product(k.args), "cuBLAS product");
        check(cuda::launch_epilogue(k.args, m, w, half_, lane_.stream), "epilogue");
      } else {
        check(cuda::launch_cells(k.kind, k.args, m, w, half_, lane_.stream), to_string(k.kind));
      }
    }
  }

 private:
  void* at(std::int64_t offset) const { return static_cast<char*>(arena_.get()) + offset * static_cast<std::int64_t>(esize_); }
  const void* param(std::int64_t offset) const {
    return half_ ? static_cast<const void*>(static_cast<const char*>(weights_half_.get()) + offset * 2) : weights_.f() + offset;
  }

  // Fully connected: weight [out][in] row-major is [in][out] column-major, so y = W^T x.
  cublasStatus_t product(const kern::Args& a) {
    const float one = 1.0f, zero = 0.0f;
    const int n = static_cast<int>(kern::cells(a.in0)), o = a.out.c;
    if (!half_)
      return cublasSgemv(lane_.blas, CUBLAS_OP_T, n, o, &one, weights_.f() + a.w_off, n, static_cast<const float*>(at(a.in0.offset)), 1,
                         &zero, static_cast<float*>(at(a.out.offset)), 1);
    return cublasGemmEx(lane_.blas, CUBLAS_OP_T, CUBLAS_OP_N, o, 1, n, &one, param(a.w_off), CUDA_R_16F, n, at(a.in0.offset), CUDA_R_16F,
                        n, &zero, at(a.out.offset), CUDA_R_16F, o, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  }

  cudnnStatus_t conv(std::size_t i) {
    const ConvCall& c = *convs_[i];
    const kern::Args& a = plan_.kernels[i].args;
    const float one = 1.0f, zero = 0.0f;
    void* ws = lane_.workspace.get();
    const std::size_t wsb = lane_.workspace.bytes();
    if (c.fused)
      return cudnnConvolutionBiasActivationForward(lane_.dnn, &one, c.x, at(a.in0.offset), c.w, param(a.w_off), c.conv, c.algo, ws, wsb,
                                                   &zero, c.y, at(a.out.offset), c.bias, weights_.f() + a.b_off, c.relu, c.y,
                                                   at(a.out.offset));
    return cudnnConvolutionForward(lane_.dnn, &one, c.x, at(a.in0.offset), c.w, param(a.w_off), c.conv, c.algo, ws, wsb, &zero, c.y,
                                   at(a.out.offset));
  }

  void setup_conv(std::size_t i, bool find) {
    const kern::Args& a = plan_.kernels[i].args;
    auto c = std::make_unique<ConvCall>();
    const cudnnDataType_t type = half_ ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    tensor4d(c->x, type, a.in0.c, a.in0.h, a.in0.w);
    tensor4d(c->y, type, a.out.c, a.out.h, a.out.w);
    tensor4d(c->bias, CUDNN_DATA_FLOAT, a.out.c, 1, 1);
    check(cudnnCreateFilterDescriptor(&c->w), "cudnnCreateFilterDescriptor");
    check(cudnnSetFilter4dDescriptor(c->w, type, CUDNN_TENSOR_NCHW, a.out.c, a.in0.c / a.groups, a.wh.kernel, a.ww.kernel),
          "cudnnSetFilter4dDescriptor");
    check(cudnnCreateConvolutionDescriptor(&c->conv), "cudnnCreateConvolutionDescriptor");
    check(cudnnSetConvolution2dDescriptor(c->conv, a.wh.pad, a.ww.pad, a.wh.stride, a.ww.stride, a.wh.dilation, a.ww.dilation,
                                          CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
          "cudnnSetConvolution2dDescriptor");
    check(cudnnSetConvolutionGroupCount(c->conv, a.groups), "cudnnSetConvolutionGroupCount");
    // fp32: FMA only (no TF32); fp16: tensor cores, accumulating in fp32 (the descriptor's type).
    check(cudnnSetConvolutionMathType(c->conv, half_ ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");
    int n = 0, oc = 0, oh = 0, ow = 0;
    check(cudnnGetConvolution2dForwardOutputDim(c->conv, c->x, c->w, &n, &oc, &oh, &ow), "cudnnGetConvolution2dForwardOutputDim");
    if (oc != a.out.c || oh != a.out.h || ow != a.out.w)
      fail("convolution " + std::to_string(i) + " would produce " + std::to_string(oc) + "x" + std::to_string(oh) + "x" +
           std::to_string(ow) + ", the plan expects " + std::to_string(a.out.c) + "x" + std::to_string(a.out.h) + "x" +
           std::to_string(a.out.w));
    check(cudnnCreateActivationDescriptor(&c->relu), "cudnnCreateActivationDescriptor");
    check(cudnnSetActivationDescriptor(c->relu, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0), "cudnnSetActivationDescriptor");
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int returned = 0;
    if (find)
      check(cudnnFindConvolutionForwardAlgorithm(lane_.dnn, c->x, c->w, c->conv, c->y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf),
            "cudnnFindConvolutionForwardAlgorithm");
    else
      check(cudnnGetConvolutionForwardAlgorithm_v7(lane_.dnn, c->x, c->w, c->conv, c->y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf),
            "cudnnGetConvolutionForwardAlgorithm_v7");
    bool chosen = false;
    for (int j = 0; j < returned && !chosen; ++j) {
      if (perf[j].status != CUDNN_STATUS_SUCCESS ||
          (!half_ && (perf[j].mathType == CUDNN_TENSOR_OP_MATH || perf[j].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)))
        continue;  // fp32 exactness: FMA algorithms only (TF32 off)
      c->algo = perf[j].algo;
      check(cudnnSetConvolutionMathType(c->conv, perf[j].mathType), "cudnnSetConvolutionMathType");
      chosen = true;
    }
    if (!chosen) fail(std::string("cuDNN offers no ") + (half_ ? "fp16" : "fp32") + " algorithm for convolution " + std::to_string(i));
    check(cudnnGetConvolutionForwardWorkspaceSize(lane_.dnn, c->x, c->w, c->conv, c->y, c->algo, &c->workspace),
          "cudnnGetConvolutionForwardWorkspaceSize");
    convs_[i] = std::move(c);
  }

  const KernelPlan& plan_;
  Lane& lane_;
  bool half_;
  std::size_t esize_;
  DeviceBuffer weights_, weights_half_, arena_;
  std::vector<std::unique_ptr<ConvCall>> convs_;  // per kernel; set for convolutions
};

class Event {
 public:
  explicit Event(bool timing = true) { check(cudaEventCreateWithFlags(&e_, timing ? cudaEventDefault : cudaEventDisableTiming), "cudaEventCreate"); }
  ~Event() {
    if (e_) cudaEventDestroy(e_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

double elapsed_ms(const Event& a, const Event& b) {
  float ms = 0;
  check(cudaEventElapsedTime(&ms, a.get(), b.get()), "cudaEventElapsedTime");
  return ms;
}

// Gives each lane the one workspace its tasks share (the largest any convolution asks for).
void allocate_workspaces(std::vector<std::unique_ptr<Lane>>& lanes, const std::vector<std::unique_ptr<GpuTask>>& tasks,
                         const std::vector<int>& lane_of) {
  std::vector<std::vector<std::size_t>> need(lanes.size());
  for (std::size_t t = 0; t < tasks.size(); ++t)
    if (tasks[t]) need[static_cast<std::size_t>(lane_of[t])].push_back(tasks[t]->workspace_bytes());
  for (std::size_t l = 0; l < lanes.size(); ++l) lanes[l]->workspace = DeviceBuffer(shared_workspace_bytes(need[l]));
}

}  // namespace

CudaInfo cuda_info() {
  CudaInfo info;
  info.built = true;
  info.cudnn_version = static_cast<std::int64_t>(cudnnGetVersion());
  cudaRuntimeGetVersion(&info.runtime_version);
  cudaDriverGetVersion(&info.driver_version);
  int major = 0, minor = 0, patch = 0;
  cublasGetProperty(MAJOR_VERSION, &major);
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  info.cublas_version = major * 10000 + minor * 100 + patch;
  const cudaError_t e = cudaGetDeviceCount(&info.devices);
  if (e != cudaSuccess || info.devices == 0) {
    info.devices = 0;
    info.reason = std::string("no CUDA GPU here (") + (e != cudaSuccess ? cudaGetErrorString(e) : "no device") + ")";
    return info;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    info.reason = "the properties of GPU 0 cannot be read";
    return info;
  }
  info.available = true;
  info.name = prop.name;
  info.compute_capability = prop.major * 10 + prop.minor;
  info.memory_bytes = static_cast<std::int64_t>(prop.totalGlobalMem);
  return info;
}

CudaRunResult cuda_run_flow(const Dataflow& flow, const KernelFlow& kf, const std::vector<float>& image, const CudaRunOptions& o) {
  require_cuda();
  check(cudaSetDevice(0), "cudaSetDevice");
  if (kf.tasks.size() != flow.tasks.size()) fail("the kernel flow does not match the dataflow");
  if (o.repeat < 1 || o.warmup < 1) fail("--repeat and the warm-up runs must be at least 1");
  const bool half = kf.precision == ElementType::F16;
  const std::size_t esize = half ? 2 : 4;
  for (const KernelTask& t : kf.tasks)
    if (t.plan.precision != kf.precision) fail("the tasks of a flow must share one precision");
  CudaRunResult r;
  std::vector<std::unique_ptr<Lane>> lanes;
  for (std::size_t d = 0; d < flow.devices.size(); ++d) lanes.push_back(std::make_unique<Lane>());
  r.streams = static_cast<int>(lanes.size());
  std::vector<int> lane_of(flow.tasks.size());
  std::vector<std::unique_ptr<GpuTask>> tasks(flow.tasks.size());
  std::vector<DeviceBuffer> maps(flow.tasks.size());  // the image and result tasks' arenas
  for (std::size_t t = 0; t < flow.tasks.size(); ++t) {
    lane_of[t] = flow.tasks[t].device;
    const FlowTask::Kind kind = flow.tasks[t].kind;
    if (kind == FlowTask::Kind::Part || kind == FlowTask::Kind::Tail) {
      tasks[t] = std::make_unique<GpuTask>(kf.tasks[t].plan, *lanes[static_cast<std::size_t>(lane_of[t])], o.find_algorithms);
      r.kernels += static_cast<int>(kf.tasks[t].plan.kernels.size());
      r.arena_bytes += kf.tasks[t].plan.arena_elements * static_cast<std::int64_t>(esize);
      r.weight_bytes += static_cast<std::int64_t>(tasks[t]->weight_bytes());
    } else if (kind == FlowTask::Kind::Image) {
      if (static_cast<std::int64_t>(image.size()) != kf.tasks[t].arena_elements) fail("the image has the wrong size");
      // The image starts in GPU memory: its upload (and conversion) is not timed.
      maps[t] = half ? upload_half(image, lanes[static_cast<std::size_t>(lane_of[t])]->stream) : upload(image);
    } else {
      maps[t] = DeviceBuffer(static_cast<std::size_t>(kf.tasks[t].arena_elements) * esize);
    }
  }
  allocate_workspaces(lanes, tasks, lane_of);
  for (const auto& l : lanes) r.workspace_bytes += static_cast<std::int64_t>(l->workspace.bytes());
  for (auto& t : tasks)
    if (t) {
      t->probe_fusion();
      for (const std::string& a : t->algorithms()) r.algorithms.push_back(a);
    }
  r.convolutions = static_cast<int>(r.algorithms.size());

  auto arena_of = [&](std::size_t t) { return tasks[t] ? tasks[t]->arena() : maps[t].get(); };
  std::vector<std::unique_ptr<Event>> done, copy_begin, copy_end;
  for (std::size_t t = 0; t < flow.tasks.size(); ++t) done.push_back(std::make_unique<Event>(false));
  for (std::size_t m = 0; m < flow.messages.size(); ++m) {
    copy_begin.push_back(std::make_unique<Event>());
    copy_end.push_back(std::make_unique<Event>());
  }
  const Event start, stop;
  const std::size_t sink = flow.tasks.size() - 1;
  Lane& first = *lanes[static_cast<std::size_t>(lane_of[0])];
  Lane& last = *lanes[static_cast<std::size_t>(lane_of[sink])];
  for (int run = 0; run < o.warmup + o.repeat; ++run) {
    check(cudaEventRecord(start.get(), first.stream), "cudaEventRecord");
    for (const auto& l : lanes) check(cudaStreamWaitEvent(l->stream, start.get(), 0), "cudaStreamWaitEvent");
    for (std::size_t t = 1; t < flow.tasks.size(); ++t) {  // task 0 is the image, already there
      Lane& lane = *lanes[static_cast<std::size_t>(lane_of[t])];
      for (int m : flow.tasks[t].inputs) {
        const FlowMessage& msg = flow.messages[static_cast<std::size_t>(m)];
        const auto src = static_cast<std::size_t>(msg.src_task);
        if (lane_of[src] != lane_of[t]) check(cudaStreamWaitEvent(lane.stream, done[src]->get(), 0), "cudaStreamWaitEvent");
        check(cudaEventRecord(copy_begin[static_cast<std::size_t>(m)]->get(), lane.stream), "cudaEventRecord");
        check(cuda::launch_copy(arena_of(src), kf.tasks[src].sends.at(m), arena_of(t), kf.tasks[t].receives.at(m), half, lane.stream),
              "message copy");
        check(cudaEventRecord(copy_end[static_cast<std::size_t>(m)]->get(), lane.stream), "cudaEventRecord");
      }
      if (tasks[t]) tasks[t]->run();
      check(cudaEventRecord(done[t]->get(), lane.stream), "cudaEventRecord");
    }
    for (std::size_t t = 0; t < flow.tasks.size(); ++t)  // every lane joins the end
      if (lane_of[t] != lane_of[sink]) check(cudaStreamWaitEvent(last.stream, done[t]->get(), 0), "cudaStreamWaitEvent");
    check(cudaEventRecord(stop.get(), last.stream), "cudaEventRecord");
    check(cudaEventSynchronize(stop.get()), "run");  // between runs, outside the timed span
    if (run < o.warmup) continue;
    r.latency_ms.push_back(elapsed_ms(start, stop));
    double copies = 0;
    for (std::size_t m = 0; m < flow.messages.size(); ++m) copies += elapsed_ms(*copy_begin[m], *copy_end[m]);
    r.transfer_ms.push_back(copies);
  }
  r.output.resize(static_cast<std::size_t>(kf.tasks[sink].arena_elements));
  const auto n = static_cast<std::int64_t>(r.output.size());
  DeviceBuffer as_float;
  if (half) {
    as_float = DeviceBuffer(r.output.size() * sizeof(float));
    check(cuda::launch_to_float(maps[sink].get(), as_float.f(), n, last.stream), "to float");
    check(cudaStreamSynchronize(last.stream), "to float");
  }
  check(cudaMemcpy(r.output.data(), half ? as_float.get() : maps[sink].get(), r.output.size() * sizeof(float), cudaMemcpyDeviceToHost),
        "download");
  return r;
}

std::function<double()> cuda_task_timer(const KernelPlan& plan, bool find) {
  require_cuda();
  check(cudaSetDevice(0), "cudaSetDevice");
  // One lane for every timer of the process (a profile makes thousands; handles are slow to
  // make). Never destroyed: CUDA may be torn down before static destructors run.
  static Lane* lane = new Lane();
  struct Timer {
    KernelPlan plan;
    std::unique_ptr<GpuTask> task;
    Event start, stop;
  };
  auto t = std::make_shared<Timer>();
  t->plan = plan;
  t->task = std::make_unique<GpuTask>(t->plan, *lane, find);
  if (t->task->workspace_bytes() > lane->workspace.bytes()) {  // grows at preparation, never in a timed run
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    lane->workspace = DeviceBuffer(t->task->workspace_bytes());
  }
  t->task->probe_fusion();
  return [t] {
    check(cudaEventRecord(t->start.get(), lane->stream), "cudaEventRecord");
    t->task->run();
    check(cudaEventRecord(t->stop.get(), lane->stream), "cudaEventRecord");
    check(cudaEventSynchronize(t->stop.get()), "run");
    return elapsed_ms(t->start, t->stop);
  };
}

}  // namespace edgeplan
