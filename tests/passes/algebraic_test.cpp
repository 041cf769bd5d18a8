#include "passes/algebraic.h"

#include "frontend/flowgrad.h"
#include "ops/sgd_update.h"
#include "pass_testing.h"

namespace flowgrad::testing {
namespace {

Tensor neg_zero() { return Tensor::scalar(-0.0f); }

TEST_CASE("algebraic removes x*1, 1*x, x/1, x-(+0) and x+(-0)") {
  Builder b;
  Expr x = b.input("x", f32({3, 4}));
  Expr y = (x * 1.0f) / 1.0f - 0.0f;
  y = ops::mul(b.constant(Tensor::from<float>({4}, {1, 1, 1, 1})), y);  // broadcasts, but y keeps its shape
  y = ops::add(b.constant(neg_zero()), y);
  b.output(ops::relu(y));
  Tensor xs = random_tensor(f32({3, 4}), 5);
  xs.data<float>()[0] = -0.0f;  // the identities hold for signed zeros too
  graph::Graph g = check_pass<passes::Algebraic>(b.graph(), {{"x", xs}});
  CHECK(g.num_nodes() == 2);  // x, relu: the dead constants went with their nodes
  CHECK(g.node(g.find("relu")->id).inputs[0] == x.id());
}

TEST_CASE("algebraic keeps inexact or shape-changing identities and values updated in place") {
  Builder b;
  Expr x = b.input("x", f32({3}));
  Expr p = b.variable("p", {.shape = {3}, .init = "ones"});
  b.output(x + 0.0f);                                                         // -0 + +0 is +0: not x
  b.output(x * b.constant(Tensor::from<float>({2, 3}, {1, 1, 1, 1, 1, 1})));  // broadcasts x to [2, 3]
  b.output(x * 2.0f);
  b.output(x / b.constant(Tensor::from<float>({3}, {1, 1, 2})));              // not one value
  b.output(ops::sgd_update(p * 1.0f, x, b.constant(Tensor::scalar(0.1f))));  // p*1 is updated in place
  graph::Graph g = b.graph();
  CHECK_FALSE(passes::Algebraic{}.run(g));
  CHECK(g.num_nodes() == b.graph().num_nodes());
}

TEST_CASE("algebraic collapses reshape and transpose chains") {
  Builder b;
  Expr x = b.input("x", f32({2, 3, 4}));
  Expr r = ops::reshape(ops::reshape(x, {6, 4}), {-1, 2});                  // -> one reshape to [12, 2]
  Expr same = ops::reshape(x, {2, 3, 4});                                   // -> x
  Expr t = ops::transpose(ops::transpose(x, {1, 2, 0}), {0, 2, 1});         // -> transpose {1, 0, 2}
  Expr back = ops::transpose(ops::transpose(x, {2, 0, 1}), {1, 2, 0});      // -> x
  b.output(ops::relu(r));
  b.output(same + back);
  b.output(ops::relu(t));
  graph::Graph g = check_pass<passes::Algebraic>(b.graph(), {{"x", random_tensor(f32({2, 3, 4}), 6)}});
  CHECK(count_op(g, "reshape") == 1);
  CHECK(count_op(g, "transpose") == 1);
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    if (n.op == "reshape") CHECK(n.inputs[0] == x.id());
    if (n.op == "transpose") CHECK(n.attrs_as<ops::TransposeAttrs>().perm == std::vector<int64_t>{1, 0, 2});
    if (n.op == "add") CHECK(n.inputs == std::vector<graph::ValueId>{x.id(), x.id()});
  }
}

}  // namespace
}  // namespace flowgrad::testing
