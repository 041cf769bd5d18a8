#include "passes/dce.h"

#include "frontend/flowgrad.h"
#include "ops/reduce.h"
#include "pass_testing.h"

namespace flowgrad::testing {
namespace {

TEST_CASE("dce removes what no output needs and keeps the inputs") {
  Builder b;
  Expr x = b.input("x", f32({4}));
  Expr unused = b.input("unused", f32({2}));
  Expr dead = ops::neg(ops::exp(x));  // two dead nodes
  ops::sigmoid(unused);               // and a third
  b.output(ops::relu(x));
  REQUIRE(b.graph().num_nodes() == 6);
  graph::Graph g = check_pass<passes::Dce>(b.graph(), {{"x", random_tensor(f32({4}), 1)}});
  CHECK(g.num_nodes() == 3);  // x, unused (an input), relu
  CHECK(count_op(g, "exp") == 0);
  CHECK(g.find("unused") != nullptr);
  CHECK_FALSE(g.has_node(dead.producer().id));
}

TEST_CASE("dce leaves a graph without outputs alone") {
  Builder b;
  ops::relu(b.input("x", f32({4})));
  graph::Graph g = b.graph();
  CHECK_FALSE(passes::Dce{}.run(g));
  CHECK(g.num_nodes() == 2);
}

TEST_CASE("dce keeps a training step's in-place updates, which reach the outputs through group") {
  Builder b;
  Expr p = b.variable("p", {.shape = {3}, .init = "ones"});
  Expr loss = ops::reduce_sum(p * p);
  auto train = optim::minimize(b, loss, optim::Adam{.lr = 0.1});
  ops::exp(loss);  // dead
  b.output(loss);
  b.output(train.step);
  int updates = count_op(b.graph(), "adam_update");
  REQUIRE(updates == 1);
  graph::Graph g = check_pass<passes::Dce>(b.graph());
  CHECK(count_op(g, "adam_update") == updates);
  CHECK(count_op(g, "increment") == 1);
  CHECK(count_op(g, "exp") == 0);
}

}  // namespace
}  // namespace flowgrad::testing
