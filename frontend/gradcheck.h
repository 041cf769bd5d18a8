#pragma once
/// @file
/// The gradient check, public so that a custom op (registered from user code
/// with FLOWGRAD_REGISTER_OP) is checked exactly as the built-in ops are.
///
/// For one op applied to random inputs, gradcheck() builds
/// L = Σ_i Σ_j out_i[j] · R_i[j] with fixed random R_i, differentiates it
/// with autodiff::grad (the op's gradient rule), runs the gradient graph on
/// the real runtime and compares every input element's gradient with central
/// finite differences of the op's *reference* kernel. The IR has no f64
/// dtype, so this is the f32 path: eps = 1e-3, inputs nudged at least 0.05
/// away from 0 (the kink of relu), relative tolerance 1e-3.
///
///     frontend::OpCheck c{.op = "swish", .inputs = {{DType::f32, {3, 4}}}};
///     std::string why = frontend::gradcheck(c);   // "" when it passes
///     std::string fwd = frontend::check_forward(c);  // kernel vs reference

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph/attrs.h"
#include "graph/tensor.h"

namespace flowgrad::frontend {

/// One op on inputs of given types, with random values drawn in [lo, hi).
struct OpCheck {
  std::string op;                                ///< registered op name
  std::vector<graph::TensorType> inputs;         ///< one type per input
  std::shared_ptr<const graph::AttrsBase> attrs; ///< null: the op's default attrs
  double lo = -2.0;                              ///< smallest input value
  double hi = 2.0;                               ///< input values stay below this
};

/// Tolerances and sizes of the gradient check.
struct GradCheckOptions {
  double eps = 1e-3;             ///< finite-difference step
  double rtol = 1e-3;            ///< relative tolerance (see compare())
  double min_abs = 0.05;         ///< f32 inputs are moved at least this far from 0
  uint64_t seed = 11;            ///< seed of the inputs and projections
  int64_t max_elements = 4096;   ///< larger cases are rejected (one reference run per element)
};

/// Deterministic uniform values in [lo, hi) (integer dtypes: rounded down;
/// bool: the upper half is true). The same (type, seed) gives the same tensor.
graph::Tensor random_tensor(const graph::TensorType& t, uint64_t seed, double lo = -2.0, double hi = 2.0);

/// Element-wise |got - want| <= atol + rtol·|want| with atol = max(rtol·max|want|,
/// atol_floor). Returns "" if close, else a description of the worst element
/// (index, both values); a type mismatch or a NaN on one side only fails.
std::string compare(const graph::Tensor& got, const graph::Tensor& want, double rtol, double atol_floor = 0);

/// True when gradcheck() applies: the op has a gradient rule, every output is
/// f32, some input is f32 and the inputs hold at most options.max_elements.
bool gradcheckable(const OpCheck& c, const GradCheckOptions& options = {});

/// Runs the check described in the file comment on every f32 input. Returns
/// "" on success, else "d/d input <i>: <compare() report>". Throws
/// flowgrad::Error if the op is unknown, its inference rejects the inputs,
/// or the case is not gradcheckable().
std::string gradcheck(const OpCheck& c, const GradCheckOptions& options = {});

/// Runs the op's real kernel (as compiled by the runtime, at 1 and 2 threads)
/// and its reference kernel on the same random inputs; returns "" when every
/// output agrees within rtol, else "output <i> at <n> threads: <report>".
std::string check_forward(const OpCheck& c, double rtol = 1e-5, uint64_t seed = 7);

}  // namespace flowgrad::frontend
