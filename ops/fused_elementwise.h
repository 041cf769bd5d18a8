#pragma once
// fused_elementwise: a chain of elementwise ops run as one parallel loop (ops/parallel.h), made by
// the fuse_elementwise pass from unary ops and same-shape binary ops.
//
//   y = program(x0, x1, ...)     every xi and y: f32 of one shape
//
// The program is a small straight-line list of instructions, stored as text
// in the `program` attr so that a printed or serialized graph shows it:
//
//   "mul x0 0.125; add t0 x1; tanh t1"     t0 = x0 · 0.125, t1 = t0 + x1, y = tanh(t1)
//
// An operand is an input (xi), an earlier result (ti) or a float literal. The
// result is the last instruction's. Ops: add sub mul div (two operands), relu
// neg exp log tanh sigmoid gelu gelu_tanh (one). At most kMaxInstructions.
//
// Kernel: the elements are cut into chunks of 256 (fixed, so any thread
// count gives the same result); each chunk runs the program instruction by
// instruction over registers that stay in L1, so the chain reads its inputs
// and writes its output once. exp, tanh, sigmoid and gelu use vectorizable
// polynomial forms (Cephes' expf and tanhf, Abramowitz-Stegun 7.1.26 for erf;
// rel. error ~1e-7, erf abs. ~5e-7); log calls std::log.
// Reference: each instruction's own op (add, tanh, gelu, ...) reference
// kernel in sequence, i.e. exactly the unfused graph.
//
// Made after autodiff, so `not_differentiable` (like matmul_bias_act).

#include <string>
#include <vector>

#include "ops/expr.h"

namespace flowgrad::ops {

inline constexpr size_t kMaxInstructions = 16;

struct FusedElementwiseAttrs {
  std::string program;
  template <class V> void visit(V& v) { v("program", program); }
};

struct ElementwiseOperand {
  enum class Kind { input, temp, literal };
  Kind kind = Kind::input;
  int64_t index = 0;   // input or temp number
  float value = 0.0f;  // literal
};

struct ElementwiseInstruction {
  std::string op;  // add, sub, mul, div, relu, neg, exp, log, tanh, sigmoid, gelu, gelu_tanh
  std::vector<ElementwiseOperand> args;
};

struct ElementwiseProgram {
  std::vector<ElementwiseInstruction> code;

  // Parses the `program` attr; on error returns nullopt and sets `error`.
  static std::optional<ElementwiseProgram> parse(std::string_view text, std::string& error);
  std::string str() const;
};

// Operands an op takes (1 or 2), or 0 if fused_elementwise cannot run it.
int elementwise_arity(std::string_view op);

Expr fused_elementwise(std::vector<Expr> inputs, FusedElementwiseAttrs attrs, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
