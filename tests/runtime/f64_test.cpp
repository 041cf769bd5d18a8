// The f64 dtype: it exists for gradient checks in double precision, so the
// reference interpreter runs it, files store it, cast converts to and from
// it, float ops infer it — and the compiled runtime rejects it by name.

#include "frontend/flowgrad.h"
#include "graph/serialize.h"
#include "runtime/graph_io.h"
#include "runtime/reference.h"
#include "runtime/safetensors.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

// y = softmax(tanh(x · W) + b) in the given float dtype.
struct SmallNet {
  Builder b;
  Expr x, y;
  explicit SmallNet(DType t) {
    x = b.input("x", {t, {4, 3}});
    Tensor w = random_tensor({t, {3, 5}}, 1), bias = random_tensor({t, {5}}, 2);
    y = ops::softmax(ops::tanh(ops::matmul(x, b.constant(w))) + b.constant(bias));
  }
};

Tensor as_f64(const Tensor& t) {
  Tensor d({DType::f64, t.shape()});
  for (int64_t i = 0; i < t.numel(); ++i) d.data<double>()[i] = t.at(i);
  return d;
}

TEST_CASE("the compiled runtime rejects an f64 graph naming the first f64 node") {
  SmallNet net(DType::f64);
  runtime::Session sess(net.b.graph());
  Tensor x = random_tensor(f64({4, 3}), 3);
  CHECK_THROWS_WITH_AS(sess.run({{"x", x}}, {net.y.id()}),
                       doctest::Contains("node 'x' (input) produces f64[4, 3]: f64 runs on the reference interpreter "
                                         "(runtime::run_reference) only"),
                       ValueError);
}

TEST_CASE("an f64 node past f32 inputs is the one named") {
  Builder b;
  Expr x = b.input("x", f32({2, 2}));
  Expr y = ops::tanh(ops::cast(x, DType::f64));
  runtime::Session sess(b.graph());
  CHECK_THROWS_WITH_AS(sess.run({{"x", random_tensor(f32({2, 2}), 1)}}, {y.id()}),
                       doctest::Contains("node 'cast' (cast) produces f64[2, 2]"), ValueError);
}

TEST_CASE("the reference interpreter runs f64 and agrees with the f32 runtime") {
  SmallNet n32(DType::f32), n64(DType::f64);
  Tensor x = random_tensor(f32({4, 3}), 3);
  runtime::Session sess(n32.b.graph());
  Tensor y32 = sess.run({{"x", x}}, {n32.y.id()})[0].clone();
  runtime::Workspace ws;
  Tensor y64 = runtime::run_reference(n64.b.graph(), {{"x", as_f64(x)}}, {n64.y.id()}, ws)[0];
  REQUIRE(y64.type() == f64({4, 5}));
  // The constants differ by f32 rounding only (random_tensor draws the same values).
  CHECK_CLOSE(y64, as_f64(y32), 1e-5);
}

TEST_CASE("cast converts between f32 and f64 and to integers") {
  Builder b;
  Expr x = b.input("x", f32({4}));
  Expr d = ops::cast(x, DType::f64);
  Expr back = ops::cast(d, DType::f32);
  Expr i = ops::cast(d, DType::i32);
  Tensor xs = Tensor::from<float>({4}, {1.5f, -2.25f, 0.1f, 7.9f});
  runtime::Workspace ws;
  auto out = runtime::run_reference(b.graph(), {{"x", xs}}, {d.id(), back.id(), i.id()}, ws);
  CHECK(out[0].type() == f64({4}));
  CHECK(out[0].data<double>()[2] == static_cast<double>(0.1f));
  CHECK(graph::identical(out[1], xs));
  CHECK(out[2].data<int32_t>()[3] == 7);
  CHECK(out[2].data<int32_t>()[1] == -2);
}

TEST_CASE("float ops want one float dtype: mixing f32 and f64 is a clear error") {
  Builder b;
  Expr a = b.input("a", f32({2, 3}));
  Expr d = b.input("d", f64({3, 4}));
  CHECK_THROWS_WITH_AS(ops::matmul(a, d), doctest::Contains("expected inputs 0 and 1 of the same float dtype, got f32 and f64"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::add(a, b.input("e", f64({2, 3}))), doctest::Contains("expected equal dtypes, got f32 and f64"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::tanh(b.input("i", {DType::i32, {2}})),
                       doctest::Contains("expected input 0 of a float dtype (f32 or f64), got i32"), ShapeError);
  CHECK(ops::tanh(d).type() == f64({3, 4}));
  CHECK(ops::reduce_sum(d).type() == f64({}));
}

TEST_CASE("f64 graphs and tensors round-trip through graph files and safetensors") {
  SmallNet net(DType::f64);
  net.b.graph().add_output(net.y.id());
  graph::Graph back = runtime::parse_graph(graph::serialize(net.b.graph()));
  const graph::Node* x = back.find("x");
  REQUIRE(x != nullptr);
  CHECK(back.value(x->outputs[0]).type == f64({4, 3}));
  CHECK(back.value(back.outputs()[0]).type == f64({4, 5}));

  runtime::Safetensors s;
  s.tensors["w"] = random_tensor(f64({2, 3}), 4);
  std::string bytes = runtime::encode_safetensors(s);
  CHECK(bytes.find("\"F64\"") != std::string::npos);
  CHECK(graph::identical(runtime::parse_safetensors(bytes).tensors.at("w"), s.tensors.at("w")));
}

}  // namespace
}  // namespace flowgrad::testing
