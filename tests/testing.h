#pragma once
// Shared test helpers: random tensors, closeness checks, and the op-case
// table that drives the registry-wide op harness (tests/ops/harness_test.cpp).
// Each tests/ops/<op>_test.cpp adds its cases with FLOWGRAD_OP_CASES.

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "frontend/gradcheck.h"
#include "graph/tensor.h"
#include "ops/op_def.h"

namespace flowgrad::testing {

using graph::DType;
using graph::Shape;
using graph::Tensor;
using graph::TensorType;

// random_tensor and compare are the public harness's (frontend/gradcheck.h).
using frontend::compare;
using frontend::random_tensor;

#define CHECK_CLOSE(got, want, rtol)                           \
  do {                                                         \
    std::string why_ = ::flowgrad::testing::compare(got, want, rtol); \
    CHECK_MESSAGE(why_.empty(), why_);                         \
  } while (0)

struct OpCase {
  std::string op;
  std::shared_ptr<const graph::AttrsBase> attrs;
  std::vector<TensorType> inputs;
  double lo = -2.0, hi = 2.0;  // input range (e.g. positive for log)
  std::string label() const;
  frontend::OpCheck check() const { return {.op = op, .inputs = inputs, .attrs = attrs, .lo = lo, .hi = hi}; }
};

// A case with typed attrs; with Default, the op's default attrs.
struct Default {};
template <class A = Default>
OpCase op_case(std::string op, std::vector<TensorType> inputs, A attrs = {}, double lo = -2.0, double hi = 2.0) {
  std::shared_ptr<const graph::AttrsBase> a;
  if constexpr (std::is_same_v<A, Default>) a = ops::get_op(op).make_attrs();
  else a = std::make_shared<graph::Attrs<A>>(std::move(attrs));
  return {std::move(op), std::move(a), std::move(inputs), lo, hi};
}

inline TensorType f32(Shape s) { return {DType::f32, std::move(s)}; }
inline TensorType f64(Shape s) { return {DType::f64, std::move(s)}; }

std::vector<OpCase>& op_cases();

struct OpCaseRegistrar {
  explicit OpCaseRegistrar(std::vector<OpCase> cases);
};

}  // namespace flowgrad::testing

#define FLOWGRAD_OP_CASES(name) \
  static const ::flowgrad::testing::OpCaseRegistrar flowgrad_op_cases_##name = ::flowgrad::testing::OpCaseRegistrar
