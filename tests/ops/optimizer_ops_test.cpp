// Forward cases for the optimizer and bookkeeping ops; their semantics are
// tested end to end in tests/frontend/optim_test.cpp.

#include "ops/adam_update.h"
#include "ops/global_norm.h"
#include "ops/lr_schedule.h"
#include "ops/sgd_update.h"
#include "ops/fill.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

const TensorType kScalar{DType::f32, {}};

FLOWGRAD_OP_CASES(sgd_update)({
    op_case("sgd_update", {f32({4, 3}), f32({4, 3}), kScalar}, ops::SgdAttrs{.weight_decay = 0.1}),
    op_case("sgd_update", {f32({300, 500}), f32({300, 500}), kScalar}, ops::SgdAttrs{}),
});
FLOWGRAD_OP_CASES(sgd_momentum_update)({
    op_case("sgd_momentum_update", {f32({5}), f32({5}), kScalar, f32({5})}, ops::SgdAttrs{.momentum = 0.9}),
    op_case("sgd_momentum_update", {f32({5}), f32({5}), kScalar, f32({5})},
            ops::SgdAttrs{.momentum = 0.9, .nesterov = true, .weight_decay = 0.01}),
});
FLOWGRAD_OP_CASES(adam_update)({
    op_case("adam_update", {f32({6}), f32({6}), f32({6}), f32({6}), kScalar, kScalar}, ops::AdamAttrs{}, 0.5, 3),
    op_case("adam_update", {f32({2, 3}), f32({2, 3}), f32({2, 3}), f32({2, 3}), kScalar, kScalar},
            ops::AdamAttrs{.weight_decay = 0.01, .decoupled = true}, 0.5, 3),
    op_case("adam_update", {f32({256, 512}), f32({256, 512}), f32({256, 512}), f32({256, 512}), kScalar, kScalar},
            ops::AdamAttrs{}, 0.5, 3),
});
FLOWGRAD_OP_CASES(lr_schedule)({
    op_case("lr_schedule", {kScalar}, ops::LrScheduleAttrs{.kind = "linear", .lr = 0.1, .warmup_steps = 2, .total_steps = 10}, 1, 12),
    op_case("lr_schedule", {kScalar}, ops::LrScheduleAttrs{.kind = "cosine", .lr = 0.1, .total_steps = 10}, 1, 12),
});
FLOWGRAD_OP_CASES(global_norm_scale)({
    op_case("global_norm_scale", {f32({3}), f32({2, 2})}, ops::GlobalNormAttrs{.max_norm = 0.5}),
    op_case("global_norm_scale", {f32({3})}, ops::GlobalNormAttrs{.max_norm = 100}),
    op_case("global_norm_scale", {f32({300, 300}), f32({64})}, ops::GlobalNormAttrs{.max_norm = 1}),
});
FLOWGRAD_OP_CASES(control)({
    op_case("increment", {kScalar}),
    op_case("group", {f32({3}), f32({2})}),
    op_case("fill", {}, ops::FillAttrs{.shape = {3, 4}, .value = 2.5}),
    op_case("fill", {}, ops::FillAttrs{.shape = {5}, .dtype = DType::i64, .value = 7}),
    op_case("stop_gradient", {f32({4, 4})}),
});

}  // namespace
}  // namespace flowgrad::testing
