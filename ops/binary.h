#pragma once
// Elementwise binary ops with numpy broadcasting:
//
//   add(a, b) = a + b    sub(a, b) = a - b    mul(a, b) = a * b    div(a, b) = a / b
//   a: [..A], b: [..B] -> [broadcast(A, B)], same dtype (f32, i32 or i64)
//
// Kernel: oneDNN binary when the first operand has the output's shape (after
// swapping a commutative op's operands), else a broadcast loop (ops/parallel.h).
// Operators + - * / are overloaded on Expr (and Expr with a float scalar).

#include "ops/expr.h"

namespace flowgrad::ops {

Expr add(Expr a, Expr b, const Loc& loc = Loc::current());
Expr sub(Expr a, Expr b, const Loc& loc = Loc::current());
Expr mul(Expr a, Expr b, const Loc& loc = Loc::current());
Expr div(Expr a, Expr b, const Loc& loc = Loc::current());

// The left operand of an operator, with the caller's location (operators
// cannot take a defaulted source_location; a converting constructor can).
struct Operand {
  Expr e;
  Loc loc;
  Operand(Expr e, const Loc& loc = Loc::current()) : e(e), loc(loc) {}  // NOLINT: implicit on purpose
};

Expr operator+(const Operand& a, Expr b);
Expr operator-(const Operand& a, Expr b);
Expr operator*(const Operand& a, Expr b);
Expr operator/(const Operand& a, Expr b);
Expr operator+(const Operand& a, float b);
Expr operator-(const Operand& a, float b);
Expr operator*(const Operand& a, float b);
Expr operator/(const Operand& a, float b);

}  // namespace flowgrad::ops
