#pragma once
// Shared test helpers: random tensors, closeness checks, and the op-case
// table that drives the registry-wide op harness (tests/ops/harness_test.cpp).
// Each tests/ops/<op>_test.cpp adds its cases with FLOWGRAD_OP_CASES.

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "graph/tensor.h"
#include "ops/op_def.h"

namespace flowgrad::testing {

using graph::DType;
using graph::Shape;
using graph::Tensor;
using graph::TensorType;

// Deterministic uniform values in [lo, hi) (integers: rounded).
Tensor random_tensor(const TensorType& t, uint64_t seed, double lo = -2.0, double hi = 2.0);

// |a - b| <= atol + rtol * |b| element-wise, with atol = max(rtol * max|b|,
// atol_floor) (a floor for gradients that are zero up to rounding).
// Returns an empty string if close, else a description of the worst element.
std::string compare(const Tensor& got, const Tensor& want, double rtol, double atol_floor = 0);

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
