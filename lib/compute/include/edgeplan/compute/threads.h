// One thread count for all of libtorch's CPU compute: its own intra-op pool and the BLAS
// it calls for convolutions and matrix products.
#pragma once

namespace edgeplan {

// libtorch's set_num_threads does not reach OpenBLAS or BLIS (Debian's libtorch calls
// whichever libblas.so.3 the alternatives system selects), and OpenBLAS then runs its own
// pool of one spinning thread per core: "1 thread" really used every core, and the DDPG
// agent's small matrix products spent most of their time in sched_yield and page faults.
// Sets both; the BLAS is found at run time (no link dependency on a particular one).
void set_compute_threads(int threads);

// The BLAS's own thread count, or -1 when the loaded BLAS has no known thread control.
int blas_threads();

// Sets the thread count for one scope and restores the previous counts afterwards.
class ScopedComputeThreads {
 public:
  explicit ScopedComputeThreads(int threads);
  ~ScopedComputeThreads();
  ScopedComputeThreads(const ScopedComputeThreads&) = delete;
  ScopedComputeThreads& operator=(const ScopedComputeThreads&) = delete;

 private:
  int torch_before_, blas_before_;
};

}  // namespace edgeplan
