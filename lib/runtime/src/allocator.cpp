// glibc malloc tuning for stable timings (see allocator.h).
#include "edgeplan/runtime/allocator.h"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace edgeplan {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  static const bool done = [] {
    if (std::getenv("EDGEPLAN_DEFAULT_MALLOC")) return false;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // blocks up to 32 MiB (glibc's maximum) come from the heap
    mallopt(M_TRIM_THRESHOLD, 1 << 30);   // keep up to 1 GiB of freed heap for reuse
    mallopt(M_TOP_PAD, 256 << 20);       // grow the heap in large steps
    return true;
  }();
  (void)done;
#endif
}

}  // namespace edgeplan
