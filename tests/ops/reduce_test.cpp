#include "ops/reduce.h"

#include <cmath>
#include <functional>
#include <limits>

#include "ops/softmax.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::ReduceAttrs;

std::vector<OpCase> reduce_cases(const std::string& op) {
  return {
      op_case(op, {f32({7})}),                                                   // all axes -> scalar
      op_case(op, {f32({3, 4, 5})}, ReduceAttrs{.axes = {-1}}),                  // inner axis
      op_case(op, {f32({3, 4, 5})}, ReduceAttrs{.axes = {0}}),                   // outer axis
      op_case(op, {f32({3, 4, 5})}, ReduceAttrs{.axes = {1}, .keepdims = true}),
      op_case(op, {f32({3, 4, 5})}, ReduceAttrs{.axes = {1, 2}}),                // a run of axes
      op_case(op, {f32({3, 4, 5})}, ReduceAttrs{.axes = {2, 0}, .keepdims = true}),  // not a run: strided kernel
      op_case(op, {f32({3, 4, 5})}, ReduceAttrs{.axes = {}, .keepdims = true}),      // all axes, kept as 1
      op_case(op, {f32({2, 1, 4})}, ReduceAttrs{.axes = {0, 2}}),                // a run once size-1 is ignored
      op_case(op, {f32({2, 3, 4, 5})}, ReduceAttrs{.axes = {1, -1}}),            // strided, last axis reduced
      op_case(op, {f32({256, 512})}, ReduceAttrs{.axes = {1}}),                  // big: 2 threads
      op_case(op, {f32({256, 512})}, ReduceAttrs{.axes = {0}}),                  // outer dim: column sums
      op_case(op, {f32({256, 512})}),                                            // all axes
      op_case(op, {f32({40, 4097})}, ReduceAttrs{.axes = {-2}}),                 // a 1-wide last tile
      op_case(op, {f32({1024, 600})}, ReduceAttrs{.axes = {0}}),                 // column tile, chunked rows
      op_case(op, {f32({100000, 3})}, ReduceAttrs{.axes = {0}}),                 // long outer dim, chunked
      op_case(op, {f32({2, 300000})}, ReduceAttrs{.axes = {1}}),                 // long rows, chunked
      op_case(op, {f32({4, 3, 5, 6})}, ReduceAttrs{.axes = {0, 2}}),             // strided, last axis kept
      op_case(op, {f32({64, 32, 128})}, ReduceAttrs{.axes = {0, 2}}),            // big strided
  };
}

FLOWGRAD_OP_CASES(reduce_sum)(reduce_cases("reduce_sum"));
FLOWGRAD_OP_CASES(reduce_mean)(reduce_cases("reduce_mean"));
// Degenerate shapes: a scalar, an empty output, an empty reduced extent (sum
// 0, mean NaN; reduce_max rejects it, see below).
FLOWGRAD_OP_CASES(reduce_edges)({
    op_case("reduce_sum", {f32({})}),
    op_case("reduce_max", {f32({})}, ReduceAttrs{.axes = {}, .keepdims = true}),
    op_case("reduce_sum", {f32({0, 3})}, ReduceAttrs{.axes = {1}}),
    op_case("reduce_sum", {f32({2, 0, 3})}, ReduceAttrs{.axes = {1}}),
    op_case("reduce_mean", {f32({2, 0, 3})}, ReduceAttrs{.axes = {1}}),
});
FLOWGRAD_OP_CASES(reduce_max)(reduce_cases("reduce_max"));

TEST_CASE("reduce ops infer the kept dims") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3, 4}));
  CHECK(ops::reduce_sum(x, {.axes = {1}}).shape() == Shape{2, 4});
  CHECK(ops::reduce_mean(x, {.axes = {-1, 0}, .keepdims = true}).shape() == Shape{1, 3, 1});
  CHECK(ops::reduce_max(x).shape() == Shape{});
  CHECK(ops::reduce_max(x, {.axes = {}, .keepdims = true}).shape() == Shape{1, 1, 1});
}

TEST_CASE("reduce ops reject bad axes") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3, 4}));
  CHECK_THROWS_WITH_AS(ops::reduce_sum(x, {.axes = {3}}),
                       doctest::Contains("expected axes in [-3, 3) for rank 3, got axis 3"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::reduce_max(x, {.axes = {0, -4}}),
                       doctest::Contains("expected axes in [-3, 3) for rank 3, got axis -4"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::reduce_mean(x, {.axes = {1, -2}}),
                       doctest::Contains("expected distinct axes, got [1, -2] (axis 1 twice)"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::reduce_sum(x, {.axes = {0, 0}}),
                       doctest::Contains("expected distinct axes, got [0, 0] (axis 0 twice)"), ShapeError);
}

TEST_CASE("reduce ops want f32, reduce_max wants elements") {
  graph::Graph g;
  ops::Emitter em(g);
  auto i = ops::input(em, "i", {DType::i32, {2, 3}});
  CHECK_THROWS_WITH_AS(ops::reduce_sum(i), doctest::Contains("expected input 0 of a float dtype (f32 or f64), got i32"), ShapeError);
  auto e = ops::input(em, "e", f32({2, 0}));
  CHECK_THROWS_WITH_AS(ops::reduce_max(e, {.axes = {1}}),
                       doctest::Contains("expected a non-empty reduced extent, got 0 elements"), ShapeError);
  CHECK(ops::reduce_sum(e, {.axes = {1}}).shape() == Shape{2});
}

TEST_CASE("reduce_max propagates NaN") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3}));
  auto y = ops::reduce_max(x, {.axes = {1}});
  float nan = std::numeric_limits<float>::quiet_NaN();
  runtime::Session sess(g);
  auto out = sess.run({{"x", Tensor::from<float>({2, 3}, {1, nan, 3, -1, -5, -2})}}, {y.id()});
  CHECK(std::isnan(out[0].data<float>()[0]));
  CHECK(out[0].data<float>()[1] == -1.0f);
}

// One op per graph, so that with {.threads = 2} the op gets both threads (big
// nodes at the same level would split the budget).
Tensor run_alone(const std::function<ops::Expr(ops::Expr)>& build, const Tensor& x, runtime::SessionOptions options) {
  graph::Graph g;
  ops::Emitter em(g);
  auto y = build(ops::input(em, "x", x.type()));
  runtime::Session sess(g, options);
  return sess.run({{"x", x}}, {y.id()})[0].clone();
}

TEST_CASE("big reduce and softmax give identical results with 1 thread, 2 threads and serially") {
  Tensor x = random_tensor(f32({512, 1024}), 11);
  std::vector<std::pair<std::string, std::function<ops::Expr(ops::Expr)>>> builds = {
      {"reduce_sum rows", [](ops::Expr e) { return ops::reduce_sum(e, {.axes = {1}}); }},
      {"reduce_sum columns", [](ops::Expr e) { return ops::reduce_sum(e, {.axes = {0}}); }},
      {"reduce_sum all", [](ops::Expr e) { return ops::reduce_sum(e); }},
      {"reduce_mean columns", [](ops::Expr e) { return ops::reduce_mean(e, {.axes = {0}}); }},
      {"reduce_max rows", [](ops::Expr e) { return ops::reduce_max(e, {.axes = {-1}}); }},
      {"softmax", [](ops::Expr e) { return ops::softmax(e); }},
      {"log_softmax axis 0", [](ops::Expr e) { return ops::log_softmax(e, {.axis = 0}); }},
  };
  for (const auto& [label, build] : builds) {
    INFO(label);
    Tensor one = run_alone(build, x, {.threads = 1});
    Tensor two = run_alone(build, x, {.threads = 2});
    Tensor serial = run_alone(build, x, {.mode = runtime::ExecMode::serial});
    CHECK(graph::identical(one, two));
    CHECK(graph::identical(one, serial));
  }
}

}  // namespace
}  // namespace flowgrad::testing
