#include "ops/scatter_add.h"

#include "testing.h"

// Semantics and errors are tested next to sparse_rows (tests/ops/sparse_rows_test.cpp),
// which shares the kernel.

namespace flowgrad::testing {
namespace {

FLOWGRAD_OP_CASES(scatter_add)({
    op_case("scatter_add", {f32({5, 3}), {DType::i32, {7}}, f32({7, 3})}, Default{}, 0, 5),
    op_case("scatter_add", {f32({4}), {DType::i64, {6}}, f32({6})}, Default{}, 0, 4),
    op_case("scatter_add", {f32({3, 2, 2}), {DType::i32, {4}}, f32({4, 2, 2})}, Default{}, 0, 3),
    op_case("scatter_add", {f32({600, 64}), {DType::i32, {4000}}, f32({4000, 64})}, Default{}, 0, 600),
});


}  // namespace
}  // namespace flowgrad::testing
