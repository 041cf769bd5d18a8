#pragma once
// Runs a generic lambda with the C++ element type of a dtype, so that a
// kernel is written once as a template instead of once per dtype:
//
//   with_float(t.dtype(), [&](auto tag) { using T = decltype(tag); ... });
//
// with_float: f32 -> float, f64 -> double (other dtypes are an internal
// error: infer already rejected them). with_dtype: every dtype.

#include "graph/error.h"
#include "graph/tensor_type.h"

namespace flowgrad::graph {

template <class F>
decltype(auto) with_float(DType t, F&& f) {
  FLOWGRAD_CHECK(is_float(t), "expected a float dtype");
  if (t == DType::f64) return f(double{});
  return f(float{});
}

template <class F>
decltype(auto) with_dtype(DType t, F&& f) {
  switch (t) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::i32: return f(int32_t{});
    case DType::i64: return f(int64_t{});
    case DType::boolean: return f(bool{});
  }
  FLOWGRAD_CHECK(false, "bad dtype");
}

}  // namespace flowgrad::graph
