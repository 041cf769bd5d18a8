#include "ops/reduce_max_backward.h"
#include "ops/softmax_backward.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::SoftmaxBackwardAttrs;

// y is drawn in (0, 1) like a softmax output (log form: log of that).
FLOWGRAD_OP_CASES(softmax_backward)({
    op_case("softmax_backward", {f32({4, 6}), f32({4, 6})}, SoftmaxBackwardAttrs{}, 0.05, 0.9),
    op_case("softmax_backward", {f32({2, 5, 3}), f32({2, 5, 3})}, SoftmaxBackwardAttrs{.axis = 1}, 0.05, 0.9),
    op_case("softmax_backward", {f32({4, 6}), f32({4, 6})}, SoftmaxBackwardAttrs{.log = true}, -3, -0.1),
    op_case("softmax_backward", {f32({7}), f32({7})}, SoftmaxBackwardAttrs{}, 0.05, 0.9),
    op_case("softmax_backward", {f32({3, 13}), f32({3, 13})}, SoftmaxBackwardAttrs{}, 0.05, 0.9),  // 8 lanes + a tail
    op_case("softmax_backward", {f32({8, 4, 64, 64}), f32({8, 4, 64, 64})}, SoftmaxBackwardAttrs{}, 0.05, 0.9),
});

FLOWGRAD_OP_CASES(reduce_max_backward)({
    op_case("reduce_max_backward", {f32({3, 1}), f32({3, 4}), f32({3, 1})}),
    op_case("reduce_max_backward", {f32({1, 4, 1}), f32({2, 4, 3}), f32({1, 4, 1})}),
});

TEST_CASE("reduce_max_backward routes each group's gradient to its first maximum") {
  graph::Graph g;
  ops::Emitter em(g);
  auto dy = ops::constant(em, Tensor::from<float>({2, 1}, {10, 20}));
  auto x = ops::constant(em, Tensor::from<float>({2, 3}, {1, 5, 5, 7, 2, 7}));
  auto y = ops::constant(em, Tensor::from<float>({2, 1}, {5, 7}));
  auto dx = ops::reduce_max_backward(dy, x, y);
  runtime::Session sess(g);
  auto out = sess.run(runtime::Feeds{}, {dx.id()})[0];
  CHECK(graph::identical(out, Tensor::from<float>({2, 3}, {0, 10, 0, 20, 0, 0})));
}

}  // namespace
}  // namespace flowgrad::testing
