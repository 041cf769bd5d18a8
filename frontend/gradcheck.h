#pragma once
/// @file
/// The gradient check, public so that a custom op (registered from user code
/// with FLOWGRAD_REGISTER_OP) is checked exactly as the built-in ops are.
///
/// For one op applied to random inputs, gradcheck() builds
/// L = Σ_i Σ_j out_i[j] · R_i[j] with fixed random R_i (so every output and
/// every input element is checked), differentiates it with autodiff::grad
/// (the op's gradient rule) and compares every float input element's
/// gradient with central finite differences of the op's *reference* kernel.
/// Inputs are moved at least 0.05 away from 0 (the kink of relu and abs).
/// Two precisions (GradCheckOptions::precision):
///
///  - Precision::f32: the op as described. The gradient graph runs on the
///    compiled runtime; differences of f32 reference outputs (summed in
///    double) with step 1e-3; passes if compare(analytic, numeric, 1e-3) does.
///  - Precision::f64: every f32 input turned into f64 (to_f64(); integer and
///    bool inputs and the attrs stay as they are). The gradient graph runs on
///    the reference interpreter (runtime::run_reference: the compiled runtime
///    is f32/int only), differences are taken in double with step
///    h = 1e-6 · max(1, |x|), as Σ_j (out⁺[j] − out⁻[j]) · R[j] so that the
///    large parts of L cancel element by element. Passes if every element's
///    rel. err |a − n| / max(1, |a|, |n|) is at most 1e-6. Hidden outputs
///    (kernel state such as lstm's workspace) are left out of L. The op's
///    inference rule and reference kernel must accept f64 (write the kernel
///    once as a template, see graph::with_float in graph/dtype_dispatch.h).
///
/// Random ops are checked like any other: their reference kernel and their
/// gradient op draw the same mask from the seed in the attrs.
///
///     frontend::OpCheck c{.op = "swish", .inputs = {{DType::f32, {3, 4}}}};
///     for (auto p : {frontend::Precision::f32, frontend::Precision::f64}) {
///       frontend::GradCheckResult r = frontend::gradcheck(c, {.precision = p});
///       if (!r.ok()) std::cerr << r.error << "\n";
///     }
///     std::string fwd = frontend::check_forward(c);  // kernel vs reference, "" if equal

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph/attrs.h"
#include "graph/tensor.h"

namespace flowgrad::frontend {

/// One op on inputs of given types (f32 for the float ones), with random
/// values drawn in [lo, hi).
struct OpCheck {
  std::string op;                                ///< registered op name
  std::vector<graph::TensorType> inputs;         ///< one type per input
  std::shared_ptr<const graph::AttrsBase> attrs; ///< null: the op's default attrs
  double lo = -2.0;                              ///< smallest input value
  double hi = 2.0;                               ///< input values stay below this
};

/// The precision a gradient check runs in (see the file comment).
enum class Precision {
  f32,  ///< compiled runtime, step 1e-3, relative tolerance 1e-3
  f64,  ///< reference interpreter in double, step 1e-6·max(1, |x|), rel. err <= 1e-6
};

/// Precision, tolerances and sizes of the gradient check.
struct GradCheckOptions {
  Precision precision = Precision::f32;  ///< which of the two checks runs
  double f32_eps = 1e-3;                 ///< f32: absolute finite-difference step
  double f32_rtol = 1e-3;                ///< f32: relative tolerance (see compare())
  double f64_step = 1e-6;                ///< f64: the step is this times max(1, |x|)
  double f64_max_rel_err = 1e-6;         ///< f64: largest rel. err |a − n| / max(1, |a|, |n|)
  double min_abs = 0.05;                 ///< float inputs are moved at least this far from 0
  uint64_t seed = 11;                    ///< seed of the inputs and projections
  int64_t max_elements = 4096;           ///< larger cases are rejected (two reference runs per element)
};

/// What gradcheck() found.
struct GradCheckResult {
  std::string error;     ///< "" if the check passed, else "d/d input N: " and the first failure
  double worst_rel = 0;  ///< max over all checked elements of |a − n| / max(1, |a|, |n|)
  bool ok() const { return error.empty(); }  ///< whether the check passed
};

/// Deterministic uniform values in [lo, hi) (integer dtypes: rounded down;
/// bool: the upper half is true). The same (type, seed) gives the same tensor.
graph::Tensor random_tensor(const graph::TensorType& t, uint64_t seed, double lo = -2.0, double hi = 2.0);

/// Element-wise |got - want| <= atol + rtol·|want| with atol = max(rtol·max|want|,
/// atol_floor). Returns "" if close, else a description of the worst element
/// (index, both values); a type mismatch or a NaN on one side only fails.
std::string compare(const graph::Tensor& got, const graph::Tensor& want, double rtol, double atol_floor = 0);

/// The op's output types for these inputs, as its inference rule gives them.
/// Throws flowgrad::Error if the op is unknown or rejects the inputs.
std::vector<graph::TensorType> output_types(const OpCheck& c);

/// The check with its f32 inputs turned into f64: what Precision::f64 runs.
OpCheck to_f64(const OpCheck& c);

/// True when gradcheck() applies at options.precision: the op has a gradient
/// rule, some input is f32, every output entering L is f32 (as described,
/// before to_f64()) and the inputs hold at most options.max_elements.
bool gradcheckable(const OpCheck& c, const GradCheckOptions& options = {});

/// Runs the check described in the file comment on every float input.
/// Throws flowgrad::Error if the op is unknown, its inference rejects the
/// inputs, or the case is not gradcheckable().
GradCheckResult gradcheck(const OpCheck& c, const GradCheckOptions& options = {});

/// Runs the op's real kernel (as compiled by the runtime, at 1 and 2 threads)
/// and its reference kernel on the same random inputs; returns "" when every
/// output agrees within rtol, else "output <i> at <n> threads: <report>".
std::string check_forward(const OpCheck& c, double rtol = 1e-5, uint64_t seed = 7);

}  // namespace flowgrad::frontend
