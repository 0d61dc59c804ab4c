// Process-wide allocator settings that make libtorch timings stable and representative.
#pragma once

namespace edgeplan {

// glibc returns large freed blocks to the kernel and maps fresh pages for the next large
// allocation, so every layer run pays page faults for its (re)allocated tensors: on our
// 2-core machine a 224x224 convolution measured 2 ms or 77 ms depending on the allocation
// pattern. A real inference runtime reuses its buffers; so do we: keep freed memory in the
// heap (no mmap, no trimming). Idempotent; no-op outside glibc, or when the
// environment sets EDGEPLAN_DEFAULT_MALLOC (to measure the difference). Called by
// the executors and the profiler; affects the whole process.
void keep_freed_memory_for_reuse();

}  // namespace edgeplan
