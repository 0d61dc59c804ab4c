#!/usr/bin/env bash
# The sanitizer job: builds the file loaders and their tests without libtorch, with
# AddressSanitizer and UndefinedBehaviorSanitizer, in build-asan/, and runs the loaders'
# property tests with 10^5 cases per loader (and the plan, model and cost-model tests).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DEDGEPLAN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
EDGEPLAN_FUZZ_CASES="${EDGEPLAN_FUZZ_CASES:-100000}" ctest --test-dir build-asan --output-on-failure -j"$(nproc)"
