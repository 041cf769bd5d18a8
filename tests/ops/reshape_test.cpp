#include "ops/reshape.h"

#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::ReshapeAttrs;

FLOWGRAD_OP_CASES(reshape)({
    op_case("reshape", {f32({2, 3, 4})}, ReshapeAttrs{.shape = {6, 4}}),
    op_case("reshape", {f32({2, 3, 4})}, ReshapeAttrs{.shape = {-1, 4}}),            // inferred leading dim
    op_case("reshape", {f32({2, 3, 4})}, ReshapeAttrs{.shape = {2, -1}}),            // inferred trailing dim
    op_case("reshape", {f32({24})}, ReshapeAttrs{.shape = {2, 3, 2, 2}}),            // 1-D -> 4-D
    op_case("reshape", {f32({2, 8, 12})}, ReshapeAttrs{.shape = {2, 8, 3, 4}}),      // [B, T, C] -> [B, T, H, D]
    op_case("reshape", {f32({1})}, ReshapeAttrs{.shape = {}}),                       // to a scalar
    op_case("reshape", {f32({})}, ReshapeAttrs{.shape = {1, 1}}),                    // from a scalar
    op_case("reshape", {f32({0, 3})}, ReshapeAttrs{.shape = {3, 0}}),                // empty
    op_case("reshape", {f32({256, 600})}, ReshapeAttrs{.shape = {600, -1}}),         // big: parallel blocks
    op_case("reshape", {{DType::i32, {4, 6}}}, ReshapeAttrs{.shape = {3, 8}}, -50, 50),
    op_case("reshape", {{DType::i64, {300, 500}}}, ReshapeAttrs{.shape = {-1}}, -50, 50),
    op_case("reshape", {{DType::boolean, {5, 6}}}, ReshapeAttrs{.shape = {3, 2, 5}}),
});

TEST_CASE("reshape infers the -1 dimension") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3, 4}));
  CHECK(ops::reshape(x, {-1, 4}).shape() == Shape{6, 4});
  CHECK(ops::reshape(x, {4, -1, 2}).shape() == Shape{4, 3, 2});
  CHECK(ops::reshape(x, {-1}).shape() == Shape{24});
}

TEST_CASE("reshape keeps the row-major order of the elements") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", {DType::i32, {2, 3}});
  auto y = ops::reshape(x, {3, 2});
  runtime::Session sess(g);
  auto out = sess.run({{"x", Tensor::from<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6})}}, {y.id()});
  CHECK(identical(out[0], Tensor::from<int32_t>({3, 2}, {1, 2, 3, 4, 5, 6})));
}

TEST_CASE("reshape rejects an element-count mismatch naming both shapes") {
  graph::Graph g;
  ops::Emitter em(g);
  auto s = em.scope("head");
  auto x = ops::input(em, "x", f32({2, 3}));
  std::string msg;
  int line = __LINE__; try { ops::reshape(x, {4, 2}); } catch (const ShapeError& e) { msg = e.what(); }  // NOLINT
  CHECK(msg.find("head/reshape (reshape) with inputs f32[2, 3]") != std::string::npos);
  CHECK(msg.find("expected a shape with the 6 elements of [2, 3], got [4, 2] (8 elements)") != std::string::npos);
  CHECK(msg.find("reshape_test.cpp:" + std::to_string(line)) != std::string::npos);
  CHECK_THROWS_WITH_AS(ops::reshape(x, {4, -1}), doctest::Contains("expected a shape with the 6 elements of [2, 3], got [4, -1]"),
                       ShapeError);
}

TEST_CASE("reshape rejects two -1s and other negative sizes") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3}));
  CHECK_THROWS_WITH_AS(ops::reshape(x, {-1, -1}), doctest::Contains("got [-1, -1] (at most one -1 is allowed)"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::reshape(x, {-2, -3}), doctest::Contains("got [-2, -3] (negative dimension -2)"), ShapeError);
  auto e = ops::input(em, "e", f32({0, 3}));
  CHECK_THROWS_WITH_AS(ops::reshape(e, {0, -1}), doctest::Contains("the -1 is ambiguous"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
