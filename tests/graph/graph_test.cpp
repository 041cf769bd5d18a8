#include "graph/graph.h"

#include "graph/algorithms.h"
#include "graph/attrs.h"
#include "ops/binary.h"
#include "ops/matmul.h"
#include "ops/sources.h"
#include "ops/unary.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

TEST_CASE("nodes get stable ids and unique scoped names") {
  graph::Graph g;
  ops::Emitter em(g);
  auto s = em.scope("net");
  auto x = ops::input(em, "x", f32({2, 3}));
  auto a = ops::relu(x);
  auto b = ops::relu(a);
  CHECK(a.producer().name == "net/relu");
  CHECK(b.producer().name == "net/relu_1");
  graph::NodeId bid = b.producer().id;
  g.remove_node(bid);
  CHECK_FALSE(g.has_node(bid));
  auto c = ops::tanh(a);
  CHECK(c.producer().id != bid);  // ids are never reused
  CHECK(g.find("net/relu") == &a.producer());
  CHECK(g.num_nodes() == 3);
}

TEST_CASE("removing a node that is still used is an internal error, not silent") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2}));
  auto y = ops::relu(x);
  CHECK(g.uses(x.id()).size() == 1);
  CHECK(g.uses(y.id()).empty());
}

TEST_CASE("topological order puts producers first even when inserted out of order") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2}));
  auto a = ops::relu(x);  // will be rewired to read c
  auto c = ops::tanh(x);
  g.set_input(a.producer().id, 0, c.id());
  auto order = graph::topological_order(g);
  auto pos = [&](graph::NodeId id) { return std::find(order.begin(), order.end(), id) - order.begin(); };
  REQUIRE(order.size() == 3);
  CHECK(pos(x.producer().id) < pos(c.producer().id));
  CHECK(pos(c.producer().id) < pos(a.producer().id));
}

TEST_CASE("cycles are detected and named") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2}));
  auto a = ops::relu(x);
  auto b = ops::tanh(a);
  g.set_input(a.producer().id, 0, b.id());  // relu <- tanh <- relu
  CHECK(graph::has_cycle(g));
  CHECK_THROWS_WITH_AS(graph::topological_order(g), doctest::Contains("graph has a cycle through node"), Error);
  CHECK_THROWS_WITH_AS(graph::verify_structure(g), doctest::Contains("cycle"), Error);
}

TEST_CASE("ops::verify catches a recorded type that inference disagrees with") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3}));
  auto w = ops::input(em, "w", f32({3, 4}));
  auto y = ops::matmul(x, w);
  CHECK_NOTHROW(ops::verify(g));
  g.set_value_type(y.id(), f32({2, 5}));
  CHECK_THROWS_WITH_AS(ops::verify(g), doctest::Contains("is recorded as f32[2, 5] but inference gives f32[2, 4]"), Error);
}

TEST_CASE("ancestors follow inputs") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2}));
  auto y = ops::input(em, "y", f32({2}));
  auto a = ops::relu(x);
  auto anc = graph::ancestors(g, a.producer().id);
  CHECK(anc[x.producer().id]);
  CHECK_FALSE(anc[y.producer().id]);
}

TEST_CASE("attrs flatten, compare, hash and print through visit") {
  graph::Attrs<ops::MatmulAttrs> a({.transpose_b = true}), b({.transpose_b = true}), c(ops::MatmulAttrs{});
  CHECK(graph::attrs_equal(a, b));
  CHECK_FALSE(graph::attrs_equal(a, c));
  CHECK(graph::attrs_hash(a) == graph::attrs_hash(b));
  CHECK(graph::attrs_str(a) == "transpose_a=false, transpose_b=true");
  auto d = c.clone();
  graph::assign(*d, {{"transpose_b", graph::AttrValue(true)}});
  CHECK(graph::attrs_equal(*d, a));
  CHECK_THROWS_WITH_AS(graph::assign(*d, {{"transpose_c", graph::AttrValue(true)}}),
                       doctest::Contains("unknown attribute 'transpose_c'"), ValueError);
  CHECK_THROWS_WITH_AS(graph::assign(*d, {{"transpose_a", graph::AttrValue(int64_t{1})}}),
                       doctest::Contains("attribute 'transpose_a' has the wrong kind"), ValueError);
}

TEST_CASE("tensor basics") {
  auto t = Tensor::from<float>({2, 2}, {1, 2, 3, 4});
  CHECK(t.type().str() == "f32[2, 2]");
  auto u = t.clone();
  u.data<float>()[0] = 9;
  CHECK(t.at(0) == 1);
  CHECK(t.reshaped({4}).at(3) == 4);
  CHECK_THROWS_AS(Tensor(f32({-1, 2})), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
