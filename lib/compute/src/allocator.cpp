// glibc malloc tuning for stable timings (see allocator.h).
#include "edgeplan/compute/allocator.h"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace edgeplan {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  static const bool done = [] {
    if (std::getenv("EDGEPLAN_DEFAULT_MALLOC")) return false;
    // No mmap at all: a fixed M_MMAP_THRESHOLD tops out at 32 MiB, and a 1024x1024x3x3
    // weight reorder (37.7 MB) then paid fresh page faults on every call (4.5x slower).
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);  // keep up to 1 GiB of freed heap for reuse
    mallopt(M_TOP_PAD, 256 << 20);       // grow the heap in large steps
    return true;
  }();
  (void)done;
#endif
}

}  // namespace edgeplan
