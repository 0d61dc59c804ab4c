// Runs kernel plans on the host, one output cell at a time through kernel_math.h (the same
// functions the CUDA kernels call), with direct loops for convolutions and fully connected
// layers. The reference that proves the lowering exact; not fast.
#pragma once
#include <vector>

#include "edgeplan/kernels/kernel_plan.h"

namespace edgeplan {

// Runs every kernel of `plan` in order on `arena` (plan.arena_elements floats; the task's
// inputs already written where plan.inputs says). `threads` share each kernel's cells (the
// result does not depend on it: every cell is computed alone).
void interpret(const KernelPlan& plan, float* arena, int threads = 1);

// Copies the cells of `from` (in `src`) to `to` (in `dst`); the views have equal extents.
void copy_view(const float* src, const kern::View& from, float* dst, const kern::View& to);
// The cells of a view, packed [c][h][w].
std::vector<float> read_view(const float* base, const kern::View& v);
// Writes packed [c][h][w] values into a view.
void write_view(float* base, const kern::View& v, const std::vector<float>& values);

}  // namespace edgeplan
