#include "ops/eltwise_backward.h"

#include "ops/broadcast_to.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::EltwiseBackwardAttrs;

FLOWGRAD_OP_CASES(eltwise_backward)({
    op_case("eltwise_backward", {f32({3, 4}), f32({3, 4})}, EltwiseBackwardAttrs{"relu"}),
    op_case("eltwise_backward", {f32({3, 4}), f32({3, 4})}, EltwiseBackwardAttrs{"tanh"}, -0.9, 0.9),
    op_case("eltwise_backward", {f32({3, 4}), f32({3, 4})}, EltwiseBackwardAttrs{"sigmoid"}, 0.1, 0.9),
    op_case("eltwise_backward", {f32({3, 4}), f32({3, 4})}, EltwiseBackwardAttrs{"gelu"}),
    op_case("eltwise_backward", {f32({3, 4}), f32({3, 4})}, EltwiseBackwardAttrs{"exp"}, 0.1, 3),
    op_case("eltwise_backward", {f32({3, 4}), f32({3, 4})}, EltwiseBackwardAttrs{"log"}, 0.2, 3),
    op_case("eltwise_backward", {f32({7}), f32({7})}, EltwiseBackwardAttrs{"tanh"}, -0.9, 0.9),
    op_case("eltwise_backward", {f32({2, 3, 4}), f32({2, 3, 4})}, EltwiseBackwardAttrs{"gelu"}),
    op_case("eltwise_backward", {f32({5, 2}), f32({5, 2})}, EltwiseBackwardAttrs{"relu"}),
    op_case("eltwise_backward", {f32({256, 512}), f32({256, 512})}, EltwiseBackwardAttrs{"gelu_tanh"}),
});

FLOWGRAD_OP_CASES(broadcast_to)({
    op_case("broadcast_to", {f32({3})}, ops::BroadcastToAttrs{{4, 3}}),
    op_case("broadcast_to", {f32({2, 1, 3})}, ops::BroadcastToAttrs{{5, 2, 4, 3}}),
    op_case("broadcast_to", {{DType::i64, {1}}}, ops::BroadcastToAttrs{{7}}, 0, 9),
    op_case("broadcast_to", {f32({512, 1})}, ops::BroadcastToAttrs{{512, 512}}),
});

}  // namespace
}  // namespace flowgrad::testing
