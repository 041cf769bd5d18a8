#include "autodiff/grad.h"

#include "frontend/flowgrad.h"
#include "ops/reduce.h"
#include "ops/stop_gradient.h"
#include "runtime/reference.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

Tensor run1(const graph::Graph& g, const runtime::Feeds& feeds, ops::Expr e) {
  runtime::Session sess(g);
  return sess.run(feeds, {e.id()})[0].clone();
}

TEST_CASE("a value used twice gets the sum of its gradients") {
  Builder b;
  Expr x = b.input("x", f32({5}));
  Expr loss = ops::reduce_sum(x * x + x);  // d/dx = 2x + 1
  Expr dx = autodiff::grad(loss, {x})[0];
  Tensor xs = random_tensor(f32({5}), 1);
  Tensor got = run1(b.graph(), {{"x", xs}}, dx);
  for (int64_t i = 0; i < 5; ++i) CHECK(got.at(i) == doctest::Approx(2 * xs.at(i) + 1).epsilon(1e-6));
}

TEST_CASE("gradient nodes are scoped under the forward node's path") {
  Builder b;
  Expr x = b.input("x", f32({2, 3}));
  Expr loss;
  {
    auto s = b.scope("net");
    loss = ops::reduce_sum(ops::tanh(x));
  }
  autodiff::grad(loss, {x});
  bool found = false;
  for (graph::NodeId id : b.graph().node_ids()) {
    const auto& n = b.graph().node(id);
    if (n.op == "eltwise_backward") {
      CHECK(n.name.rfind("net/tanh/grad/", 0) == 0);
      found = true;
    }
  }
  CHECK(found);
}

TEST_CASE("branches that do not reach wrt get no gradient nodes") {
  Builder b;
  Expr x = b.input("x", f32({4}));
  Expr z = b.input("z", f32({4}));
  Expr loss = ops::reduce_sum(x * x) + ops::reduce_sum(ops::relu(z));
  size_t before = b.graph().num_nodes();
  autodiff::grad(loss, {x});
  for (graph::NodeId id : b.graph().node_ids()) CHECK(b.graph().node(id).name.find("relu/grad") == std::string::npos);
  CHECK(b.graph().num_nodes() > before);
}

TEST_CASE("stop_gradient blocks the gradient, an unreachable wrt gets zeros") {
  Builder b;
  Expr x = b.input("x", f32({3}));
  Expr y = b.input("y", f32({3}));
  Expr loss = ops::reduce_sum(ops::stop_gradient(x) * x);  // d/dx = x, not 2x
  auto grads = autodiff::grad(loss, {x, y});
  Tensor xs = random_tensor(f32({3}), 2);
  runtime::Session sess(b.graph());
  auto got = sess.run({{"x", xs}}, {grads[0].id(), grads[1].id()});
  CHECK_CLOSE(got[0], xs, 1e-6);
  for (int64_t i = 0; i < 3; ++i) CHECK(got[1].at(i) == 0.0);
}

TEST_CASE("grad of a non-scalar loss without a seed is an error") {
  Builder b;
  Expr x = b.input("x", f32({3}));
  CHECK_THROWS_WITH_AS(autodiff::grad(ops::relu(x), {x}), doctest::Contains("expected a loss with one element"),
                       ShapeError);
}

// f(x) = Σ tanh(W x)²; H·v from grad-of-grad vs central finite differences
// of ∇f along v, with the graph run by `run(at, e)` (e at x = at).
template <class T>
struct Hvp {
  Builder b;
  Expr x, v, gx, hv;
  Tensor xs, vs;
  explicit Hvp(DType dtype) {
    TensorType t{dtype, {6, 1}};
    x = b.input("x", t);
    v = b.input("v", t);
    Expr w = b.constant(random_tensor({dtype, {5, 6}}, 3, -1, 1));
    Expr th = ops::tanh(ops::matmul(w, x));
    Expr f = ops::reduce_sum(th * th);
    gx = autodiff::grad(f, {x})[0];
    hv = autodiff::grad(ops::reduce_sum(gx * v), {x})[0];
    xs = random_tensor(t, 4, -1, 1);
    vs = random_tensor(t, 5, -1, 1);
  }
  template <class Run>
  Tensor finite_differences(double eps, Run run) const {
    Tensor xp = xs.clone(), xm = xs.clone();
    for (int64_t i = 0; i < 6; ++i) {
      xp.data<T>()[i] += static_cast<T>(eps) * vs.data<T>()[i];
      xm.data<T>()[i] -= static_cast<T>(eps) * vs.data<T>()[i];
    }
    Tensor gp = run(xp, gx), gm = run(xm, gx);
    Tensor fd(xs.type());
    for (int64_t i = 0; i < 6; ++i) fd.data<T>()[i] = (gp.data<T>()[i] - gm.data<T>()[i]) / static_cast<T>(2 * eps);
    return fd;
  }
};

TEST_CASE("Hessian-vector product by grad of grad matches finite differences of the gradient") {
  Hvp<float> h(DType::f32);
  runtime::Session sess(h.b.graph());
  auto run = [&](const Tensor& at, Expr e) { return sess.run({{"x", at}, {"v", h.vs}}, {e.id()})[0].clone(); };
  Tensor got = run(h.xs, h.hv);
  CHECK_CLOSE(got, h.finite_differences(1e-2, run), 2e-3);
}

// The same in double precision on the reference interpreter: central
// differences of ∇f with step 1e-5 along v (truncation ~1e-10, rounding
// ~1e-11), so the match is tight.
TEST_CASE("Hessian-vector product in double precision matches finite differences to 1e-8") {
  Hvp<double> h(DType::f64);
  runtime::Workspace ws;
  auto run = [&](const Tensor& at, Expr e) {
    return runtime::run_reference(h.b.graph(), {{"x", at}, {"v", h.vs}}, {e.id()}, ws)[0];
  };
  Tensor got = run(h.xs, h.hv);
  CHECK(got.dtype() == DType::f64);
  CHECK_CLOSE(got, h.finite_differences(1e-5, run), 1e-8);
}

}  // namespace
}  // namespace flowgrad::testing
