// Thread counts of libtorch and of the BLAS it loaded (see threads.h).
#include "edgeplan/compute/threads.h"

#include <dlfcn.h>

#include <torch/torch.h>

namespace edgeplan {

namespace {

using SetFn = void (*)(int);
using GetFn = int (*)();

// OpenBLAS (pthread or OpenMP build) and BLIS export these; reference BLAS and ATLAS have
// no pool of their own. Looked up once in the already-loaded libraries.
struct BlasControl {
  SetFn set = nullptr;
  GetFn get = nullptr;
  BlasControl() {
    set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    get = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    if (!set || !get) {
      set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "bli_thread_set_num_threads"));
      get = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "bli_thread_get_num_threads"));
    }
    if (!set || !get) set = nullptr, get = nullptr;
  }
};

const BlasControl& blas() {
  static const BlasControl control;
  return control;
}

}  // namespace

void set_compute_threads(int threads) {
  torch::set_num_threads(threads);
  if (blas().set) blas().set(threads);
}

int blas_threads() { return blas().get ? blas().get() : -1; }

ScopedComputeThreads::ScopedComputeThreads(int threads)
    : torch_before_(torch::get_num_threads()), blas_before_(blas_threads()) {
  set_compute_threads(threads);
}

ScopedComputeThreads::~ScopedComputeThreads() {
  torch::set_num_threads(torch_before_);
  if (blas().set && blas_before_ > 0) blas().set(blas_before_);
}

}  // namespace edgeplan
