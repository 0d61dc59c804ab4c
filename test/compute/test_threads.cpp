// The compute settings reach libtorch's loaded BLAS and are restored after a scope; the
// allocator policy really keeps large blocks in the heap. Where a check cannot run here, the
// test says "SKIPPED:" and CTest reports it as skipped (test/CMakeLists.txt), never as passed.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "edgeplan/compute/allocator.h"
#include "edgeplan/compute/threads.h"

using namespace edgeplan;

TEST_CASE("set_compute_threads reaches the BLAS libtorch loaded", "[compute]") {
  // Debian's libtorch loads OpenBLAS (or BLIS, or a BLAS without threads: then -1).
  const int before = blas_threads();
  if (before < 0) {
    WARN("SKIPPED: the loaded BLAS has no thread control; nothing to check");
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
  if (before < 0) {
    WARN("SKIPPED: the loaded BLAS has no thread control; nothing to check");
    return;
  }
  set_compute_threads(2);
  {
    const ScopedComputeThreads one(1);
    CHECK(blas_threads() == 1);
  }
  CHECK(blas_threads() == 2);
  set_compute_threads(before);
}

TEST_CASE("keep_freed_memory_for_reuse: large blocks come from the heap and stay there after free", "[compute]") {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  if (std::getenv("EDGEPLAN_DEFAULT_MALLOC")) {
    WARN("SKIPPED: EDGEPLAN_DEFAULT_MALLOC is set, the policy is off by request");
    return;
  }
  keep_freed_memory_for_reuse();
  keep_freed_memory_for_reuse();  // idempotent
  const std::size_t big = std::size_t{64} << 20;  // 64 MiB: glibc would mmap it by default
  const struct mallinfo2 before = mallinfo2();
  char* p = static_cast<char*>(std::malloc(big));
  REQUIRE(p);
  std::memset(p, 1, big);
  const struct mallinfo2 during = mallinfo2();
  CHECK(during.hblkhd == before.hblkhd);       // not an mmapped chunk
  CHECK(during.uordblks >= before.uordblks + big);  // but heap memory in use
  std::free(p);
  const struct mallinfo2 after = mallinfo2();
  CHECK(during.arena >= big);
  CHECK(after.arena >= during.arena);  // the heap was not trimmed back: the block is kept for reuse
  CHECK(after.fordblks >= big);
#else
  WARN("SKIPPED: not glibc >= 2.33, the allocator policy is a no-op here");
#endif
}
