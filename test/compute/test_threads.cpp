// The compute settings reach libtorch's loaded BLAS and are restored after a scope.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

#include "edgeplan/compute/allocator.h"
#include "edgeplan/compute/threads.h"

using namespace edgeplan;

TEST_CASE("set_compute_threads reaches the BLAS libtorch loaded", "[compute]") {
  // Debian's libtorch loads OpenBLAS (or BLIS, or a BLAS without threads: then -1).
  const int before = blas_threads();
  if (before < 0) {
    WARN("the loaded BLAS has no thread control; nothing to check");
    return;
  }
  set_compute_threads(1);
  CHECK(blas_threads() == 1);
  set_compute_threads(2);
  CHECK(blas_threads() == 2);
  set_compute_threads(before);
  CHECK(blas_threads() == before);
}

TEST_CASE("ScopedComputeThreads restores the previous count", "[compute]") {
  const int before = blas_threads();
  if (before < 0) return;
  set_compute_threads(2);
  {
    const ScopedComputeThreads one(1);
    CHECK(blas_threads() == 1);
  }
  CHECK(blas_threads() == 2);
  set_compute_threads(before);
}

TEST_CASE("keep_freed_memory_for_reuse is idempotent and memory stays usable", "[compute]") {
  keep_freed_memory_for_reuse();
  keep_freed_memory_for_reuse();
  for (int round = 0; round < 3; ++round) {
    std::vector<float> big(std::size_t{64} << 20 >> 2, 1.0f);  // 64 MiB, past glibc's mmap threshold
    CHECK(big.back() == 1.0f);
  }
}
