#include "ops/cast.h"

#include <cmath>
#include <limits>

#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::CastAttrs;

CastAttrs to(DType t) { return {.to = t}; }

FLOWGRAD_OP_CASES(cast)({
    op_case("cast", {f32({4, 5})}, to(DType::i32), -9, 9),
    op_case("cast", {f32({2, 3, 4})}, to(DType::i64), -9, 9),
    op_case("cast", {{DType::i32, {4, 5}}}, to(DType::f32), -100, 100),
    op_case("cast", {{DType::i64, {3, 7}}}, to(DType::f32), -100, 100),
    op_case("cast", {f32({6, 5})}, to(DType::boolean), -1, 1),
    op_case("cast", {{DType::boolean, {6, 5}}}, to(DType::f32)),
    op_case("cast", {f32({3, 4})}, to(DType::f32)),                        // identity
    op_case("cast", {{DType::i32, {3, 4}}}, to(DType::i64), -100, 100),
    op_case("cast", {{DType::i64, {3, 4}}}, to(DType::i32), -100, 100),
    op_case("cast", {{DType::i32, {3, 4}}}, to(DType::boolean), -2, 2),
    op_case("cast", {{DType::boolean, {3, 4}}}, to(DType::i64)),
    op_case("cast", {f32({})}, to(DType::i32)),                            // scalar
    op_case("cast", {f32({0, 4})}, to(DType::i32)),                        // empty
    op_case("cast", {f32({256, 600})}, to(DType::i32), -1000, 1000),       // big, TBB
    op_case("cast", {{DType::i32, {256, 600}}}, to(DType::f32), -1000, 1000),  // big, oneDNN
    op_case("cast", {f32({256, 600})}, to(DType::boolean), -1, 1),         // big, TBB
});

Tensor cast_values(const Tensor& x, DType t) {
  graph::Graph g;
  ops::Emitter em(g);
  auto y = ops::cast(ops::input(em, "x", x.type()), t);
  runtime::Session sess(g);
  return sess.run({{"x", x}}, {y.id()})[0];
}

TEST_CASE("cast from f32 to integers truncates toward zero and saturates") {
  constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
  auto x = Tensor::from<float>({7}, {-1.7f, -0.5f, 0.5f, 2.9f, 3e9f, -3e9f, kNan});
  CHECK(identical(cast_values(x, DType::i32),
                  Tensor::from<int32_t>({7}, {-1, 0, 0, 2, INT32_MAX, INT32_MIN, 0})));
  CHECK(identical(cast_values(x, DType::i64),
                  Tensor::from<int64_t>({7}, {-1, 0, 0, 2, 3000000000LL, -3000000000LL, 0})));
}

TEST_CASE("cast to bool is x != 0 and from bool is 0 or 1") {
  auto x = Tensor::from<float>({4}, {0.0f, -0.0f, 0.25f, -3.0f});
  auto b = cast_values(x, DType::boolean);
  CHECK(identical(b, Tensor::from<bool>({4}, {false, false, true, true})));
  CHECK(identical(cast_values(b, DType::f32), Tensor::from<float>({4}, {0, 0, 1, 1})));
  CHECK(identical(cast_values(Tensor::from<int64_t>({3}, {0, 7, -1}), DType::boolean),
                  Tensor::from<bool>({3}, {false, true, true})));
}

TEST_CASE("cast infers the target dtype and declares itself not differentiable") {
  graph::Graph g;
  ops::Emitter em(g);
  auto y = ops::cast(ops::input(em, "x", f32({2, 3})), DType::i64);
  CHECK(y.type() == TensorType{DType::i64, {2, 3}});
  CHECK(ops::get_op("cast").not_differentiable);
  CHECK(!ops::get_op("cast").grad);
}

}  // namespace
}  // namespace flowgrad::testing
