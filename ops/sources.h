#pragma once
// Source ops: their output is bound by the runtime to storage, not computed.
//
//   input(name, type)        a value fed at every Session::run
//   constant(tensor)         a value baked into the graph
//   variable(name, type, init)  a parameter whose storage lives in the Workspace
//                            (named by the node path) and outlives runs

#include "ops/expr.h"

namespace flowgrad::ops {

struct InputAttrs {
  Shape shape;
  DType dtype = DType::f32;
  template <class V> void visit(V& v) {
    v("shape", shape);
    v("dtype", dtype);
  }
};

struct ConstantAttrs {
  Tensor value;
  template <class V> void visit(V& v) { v("value", value); }
};

// How a variable is initialized when the Workspace first creates it.
//   zeros, ones, normal (mean 0, std = scale), uniform ([-scale, scale]),
//   xavier_uniform (scale = sqrt(6 / (fan_in + fan_out)), fans from the last
//   two dims).
struct VariableAttrs {
  Shape shape;
  DType dtype = DType::f32;
  std::string init = "zeros";
  double scale = 0.0;
  int64_t seed = 0;
  template <class V> void visit(V& v) {
    v("shape", shape);
    v("dtype", dtype);
    v("init", init);
    v("scale", scale);
    v("seed", seed);
  }
};

Expr input(Emitter& em, std::string_view name, TensorType type, const Loc& loc = Loc::current());
Expr constant(Emitter& em, Tensor value, const Loc& loc = Loc::current(), std::string_view name = "constant");
Expr scalar(Emitter& em, float value, const Loc& loc = Loc::current());
// A rank-0 constant of dtype `t` (f32 or f64: the scalar operand of an
// operator on an Expr of that dtype).
Expr scalar(Emitter& em, double value, DType t, const Loc& loc = Loc::current());
Expr variable(Emitter& em, std::string_view name, VariableAttrs attrs, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
