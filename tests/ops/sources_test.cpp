#include <cmath>
#include "ops/sources.h"
#include "testing.h"

namespace flowgrad::testing {

FLOWGRAD_OP_CASES(sources)({
    op_case("input", {}, ops::InputAttrs{{3, 4}, DType::f32}),
    op_case("input", {}, ops::InputAttrs{{5}, DType::i64}, 0, 100),
    op_case("constant", {}, ops::ConstantAttrs{Tensor::from<float>({2, 2}, {1, 2, 3, 4})}),
    op_case("variable", {}, ops::VariableAttrs{.shape = {4, 3}, .init = "normal", .scale = 0.5, .seed = 3}),
    op_case("variable", {}, ops::VariableAttrs{.shape = {6}, .init = "ones"}),
});

TEST_CASE("variable initializers: xavier bounds and seeds") {
  graph::Graph g;
  ops::Emitter em(g);
  auto v = ops::variable(em, "w", {.shape = {64, 32}, .init = "xavier_uniform", .seed = 1});
  Tensor t(v.type());
  ops::get_op("variable").initialize(v.producer(), t, 1);
  double bound = std::sqrt(6.0 / (64 + 32)), max_abs = 0, sum = 0;
  for (float x : t.span<float>()) {
    max_abs = std::max(max_abs, static_cast<double>(std::abs(x)));
    sum += x;
  }
  CHECK(max_abs <= bound);
  CHECK(max_abs > 0.9 * bound);
  CHECK(std::abs(sum / t.numel()) < 0.05);
}

TEST_CASE("variable initializers give the same values on 1 and 2 threads") {
  graph::Graph g;
  ops::Emitter em(g);
  for (const char* init : {"normal", "uniform", "ones"}) {
    auto v = ops::variable(em, std::string("w_") + init, {.shape = {300, 250}, .init = init, .scale = 0.1, .seed = 7});
    Tensor one(v.type()), two(v.type());
    ops::get_op("variable").initialize(v.producer(), one, 1);
    ops::get_op("variable").initialize(v.producer(), two, 2);  // 75000 values: 5 blocks
    CHECK(graph::identical(one, two));
    CHECK(one.at(74999) != 0.0);
  }
}

TEST_CASE("variable with an unknown initializer is rejected") {
  graph::Graph g;
  ops::Emitter em(g);
  CHECK_THROWS_WITH_AS(ops::variable(em, "w", {.shape = {2}, .init = "glorot"}),
                       doctest::Contains("expected init zeros|ones|normal|uniform|xavier_uniform, got 'glorot'"),
                       ShapeError);
}

}  // namespace flowgrad::testing
