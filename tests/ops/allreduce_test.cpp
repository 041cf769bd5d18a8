// allreduce / allgather_rows on one process (the collectives themselves run
// under mpirun in tests/distributed/data_parallel_test.cpp).
#include "ops/allreduce.h"

#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::AllgatherRowsAttrs;
using ops::AllreduceAttrs;

FLOWGRAD_OP_CASES(allreduce)({
    op_case("allreduce", {f32({3, 4}), f32({5})}, AllreduceAttrs{}),
    op_case("allreduce", {f32({2}), f32({4, 2}), f32({0, 3})}, AllreduceAttrs{.after = 1}),  // ordered after in0
    op_case("allreduce", {f32({2, 3, 4})}, AllreduceAttrs{}),
    op_case("allgather_rows", {{DType::i32, {6}}, f32({6, 3})}, AllgatherRowsAttrs{.workers = 1}, 0, 5),
    op_case("allgather_rows", {f32({1}), {DType::i64, {4}}, f32({4, 2, 2})}, AllgatherRowsAttrs{.workers = 1, .after = 1},
            0, 5),
});

TEST_CASE("allgather_rows built for more workers than the job has is an error naming the node") {
  graph::Graph g;
  ops::Emitter em(g);
  auto idx = ops::input(em, "idx", {DType::i64, {2}});
  auto rows = ops::input(em, "rows", f32({2, 3}));
  auto out = ops::allgather_rows(idx, rows, 3);
  CHECK(out[0].shape() == Shape{6});
  CHECK(out[1].shape() == Shape{6, 3});
  runtime::Session sess(g);
  CHECK_THROWS_WITH_AS(sess.run({{"idx", Tensor::from<int64_t>({2}, {0, 1})}, {"rows", Tensor(f32({2, 3}))}},
                                {out[1].id()}),
                       doctest::Contains("built for 3 workers, the job has 1"), ValueError);
}

TEST_CASE("allreduce rejects a non-float tensor") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", {DType::i32, {2}});
  CHECK_THROWS_AS(ops::allreduce({x}), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
