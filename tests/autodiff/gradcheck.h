#pragma once
// The finite-difference gradient checker behind tests/autodiff/gradcheck_test.cpp.
//
// For an op case (tests/ops/*) it builds `L = Σ_i Σ_j out_i[j] · R_i[j]` with
// fixed random R_i (so every output element and every input element is
// checked), differentiates L with autodiff::grad, and compares the gradient
// graph's values with central finite differences of the op's *reference*
// kernel. Inputs are nudged at least 0.05 away from 0 (the kink of relu, abs
// and the clamp/relu forms of eltwise_backward).
//
// Two precisions:
//
//   f32  the case as registered. The gradient graph runs on the compiled
//        runtime; differences use f32 reference outputs (summed in double)
//        with eps = 1e-3. Passes if testing::compare(analytic, numeric, 1e-3)
//        does (rel. 1e-3 against the tensor's largest element).
//   f64  the case with every f32 input turned into f64 (integer and bool
//        inputs stay as they are, attrs unchanged). The gradient graph runs
//        on the reference interpreter (runtime::run_reference: the compiled
//        runtime is f32/int only); differences are taken in double with
//        h = 1e-6 · max(1, |x|), as Σ_j (out⁺[j] - out⁻[j]) · R[j] so the
//        large parts of L cancel element by element. Passes if the worst
//        rel. err <= 1e-6, where rel. err of one element is
//        |analytic - numeric| / max(1, |analytic|, |numeric|).
//        Hidden outputs (lstm's oneDNN workspace, f32 even in f64 graphs)
//        are left out of L.
//
// Random ops (dropout) are checked like any other: their reference kernel
// and their gradient op draw the same mask from the seed in the attrs.

#include <string>

#include "testing.h"

namespace flowgrad::testing {

enum class Precision { f32, f64 };

struct GradcheckResult {
  std::string error;     // "" if the check passed, else the first failure
  double worst_rel = 0;  // max over elements of |a - n| / max(1, |a|, |n|)
};

// Cases larger than this are left to the forward harness (every element is
// perturbed twice).
inline constexpr int64_t kGradcheckMaxElements = 4096;

// Whether the case is one the gradient check applies to at this precision:
// a differentiable op, a float input, float outputs, at most
// kGradcheckMaxElements input elements.
bool gradcheckable(const OpCase& c, Precision p);

// The output types of the case as registered.
std::vector<TensorType> case_output_types(const OpCase& c);

// The case with its f32 inputs turned into f64.
OpCase to_f64(const OpCase& c);

GradcheckResult gradcheck(const OpCase& c, Precision p, uint64_t seed);

}  // namespace flowgrad::testing
