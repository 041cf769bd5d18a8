#include "runtime/session.h"

#include "frontend/flowgrad.h"
#include "ops/dnnl_util.h"
#include "ops/control.h"
#include "ops/lstm.h"
#include "ops/sgd_update.h"
#include "runtime/reference.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

// x -> two independent matmul branches -> add -> tanh: gives the executor
// concurrent big nodes.
struct TwoBranch {
  Builder b;
  Expr x, y;
  TwoBranch() {
    x = b.input("x", f32({64, 128}));
    auto s = b.scope("net");
    Expr l = ops::relu(nn::linear(b, x, {.out_features = 256, .seed = 1}, "left"));
    Expr r = ops::sigmoid(nn::linear(b, x, {.out_features = 256, .seed = 2}, "right"));
    y = ops::tanh(nn::linear(b, l * r, {.out_features = 32, .seed = 3}, "out"));
  }
};

TEST_CASE("running a plan again creates no oneDNN primitive and no new plan") {
  TwoBranch net;
  runtime::Session sess(net.b.graph());
  Tensor x = random_tensor(f32({64, 128}), 1);
  int64_t before = ops::dnnl_primitive_count();
  sess.run({{"x", x}}, {net.y.id()});
  int64_t after_first = ops::dnnl_primitive_count();
  CHECK(after_first > before);  // built at compile time
  for (int i = 0; i < 3; ++i) sess.run({{"x", x}}, {net.y.id()});
  CHECK(ops::dnnl_primitive_count() == after_first);
  CHECK(sess.num_plans() == 1);
}

TEST_CASE("1 thread, 2 threads and serial execution give bit-identical results") {
  TwoBranch net;
  Tensor x = random_tensor(f32({64, 128}), 2);
  runtime::Workspace ws;  // shared, so all three see the same weights
  runtime::Session one(net.b.graph(), ws, {.threads = 1});
  runtime::Session two(net.b.graph(), ws, {.threads = 2});
  runtime::Session serial(net.b.graph(), ws, {.threads = 2, .mode = runtime::ExecMode::serial});
  Tensor a = one.run({{"x", x}}, {net.y.id()})[0].clone();
  Tensor b = two.run({{"x", x}}, {net.y.id()})[0].clone();
  Tensor c = serial.run({{"x", x}}, {net.y.id()})[0].clone();
  CHECK(graph::identical(a, b));
  CHECK(graph::identical(a, c));
  for (int i = 0; i < 5; ++i) CHECK(graph::identical(two.run({{"x", x}}, {net.y.id()})[0], a));
  auto want = runtime::run_reference(net.b.graph(), {{"x", x}}, {net.y.id()}, ws);
  CHECK_CLOSE(a, want[0], 1e-5);
}

TEST_CASE("concurrent big GEMMs each get the whole thread budget") {
  TwoBranch net;
  runtime::Session sess(net.b.graph(), {.threads = 2});
  sess.run({{"x", random_tensor(f32({64, 128}), 3)}}, {net.y.id()});
  int checked = 0;
  for (const runtime::Step& s : sess.last_plan()->steps()) {
    if (s.name == "net/left/matmul" || s.name == "net/right/matmul") {
      CHECK(s.threads == 2);
      ++checked;
    }
  }
  CHECK(checked == 2);
}

TEST_CASE("concurrent big LSTMs split the thread budget, as their small per-step GEMMs do not scale") {
  Builder b;
  ops::LstmAttrs attrs{.hidden_size = 64};
  Expr x = b.input("x", f32({16, 8, 32}));  // [T, B, I]
  runtime::Feeds feeds{{"x", random_tensor(f32({16, 8, 32}), 4)}};
  std::vector<graph::ValueId> fetches;  // every output, so that the memory planner orders neither after the other
  for (std::string side : {"left", "right"}) {
    std::vector<Expr> params;
    auto names = ops::lstm_parameter_names(attrs);
    auto shapes = ops::lstm_parameter_shapes(attrs, 32);
    for (size_t i = 0; i < names.size(); ++i) {
      params.push_back(b.input(side + "_" + names[i], f32(shapes[i])));
      feeds.emplace_back(side + "_" + names[i], random_tensor(f32(shapes[i]), 5 + i));
    }
    auto s = b.scope(side);
    ops::LstmResult r = ops::lstm(x, params, attrs);
    for (Expr e : {r.y, r.h_n, r.c_n, r.workspace}) fetches.push_back(e.id());
  }
  runtime::Session sess(b.graph(), {.threads = 2});
  sess.run(feeds, fetches);
  int lstms = 0;
  for (const runtime::Step& s : sess.last_plan()->steps()) {
    if (s.name.find("lstm") == std::string::npos) continue;
    CHECK(s.threads == 1);
    ++lstms;
  }
  CHECK(lstms == 2);
}

TEST_CASE("an LSTM takes no more threads than it has lanes") {
  Builder b;
  ops::LstmAttrs attrs{.hidden_size = 64};  // unidirectional: 2 lanes (the batch halves)
  Expr x = b.input("x", f32({16, 8, 32}));  // [T, B, I]
  runtime::Feeds feeds{{"x", random_tensor(f32({16, 8, 32}), 4)}};
  std::vector<Expr> params;
  auto names = ops::lstm_parameter_names(attrs);
  auto shapes = ops::lstm_parameter_shapes(attrs, 32);
  for (size_t i = 0; i < names.size(); ++i) {
    params.push_back(b.input(names[i], f32(shapes[i])));
    feeds.emplace_back(names[i], random_tensor(f32(shapes[i]), 5 + i));
  }
  ops::LstmResult r = ops::lstm(x, params, attrs);
  runtime::Session sess(b.graph(), {.threads = 4});
  sess.run(feeds, {r.y.id()});
  const runtime::Step* lstm = nullptr;
  for (const runtime::Step& s : sess.last_plan()->steps()) {
    if (s.name.find("lstm") != std::string::npos) lstm = &s;
  }
  REQUIRE(lstm != nullptr);
  CHECK(lstm->threads == 2);  // of a budget of 4
}

TEST_CASE("an unknown feed names the feed, the graph's inputs and the caller's line") {
  TwoBranch net;
  runtime::Session sess(net.b.graph());
  std::string msg;
  int line = __LINE__; try { sess.run({{"z", Tensor(f32({2}))}}, {net.y.id()}); } catch (const ValueError& e) { msg = e.what(); }  // NOLINT
  CHECK(msg.find("unknown feed 'z' f32[2]") != std::string::npos);
  CHECK(msg.find("the graph's inputs are: x f32[64, 128]") != std::string::npos);
  CHECK(msg.find("session_test.cpp:" + std::to_string(line)) != std::string::npos);
}

TEST_CASE("a missing feed and a wrong dtype are reported") {
  TwoBranch net;
  runtime::Session sess(net.b.graph());
  CHECK_THROWS_WITH_AS(sess.run({}, {net.y.id()}), doctest::Contains("input 'x' (f32[64, 128]) is needed by the fetches but was not fed"),
                       ValueError);
  CHECK_THROWS_WITH_AS(sess.run({{"x", Tensor({DType::i32, {64, 128}})}}, {net.y.id()}),
                       doctest::Contains("feed 'x': expected f32[64, 128], got i32[64, 128]"), ValueError);
}

TEST_CASE("feeding another batch size compiles a second plan with re-inferred shapes") {
  TwoBranch net;
  runtime::Session sess(net.b.graph());
  auto a = sess.run({{"x", random_tensor(f32({64, 128}), 4)}}, {net.y.id()});
  auto b = sess.run({{"x", random_tensor(f32({5, 128}), 4)}}, {net.y.id()});
  CHECK(a[0].shape() == Shape{64, 32});
  CHECK(b[0].shape() == Shape{5, 32});
  CHECK(sess.num_plans() == 2);
  CHECK_THROWS_WITH_AS(sess.run({{"x", Tensor(f32({5, 127}))}}, {net.y.id()}),
                       doctest::Contains("net/left/matmul (matmul) with inputs f32[5, 127], f32[256, 128]"), ShapeError);
}

TEST_CASE("variables live in the workspace across runs and sessions") {
  TwoBranch net;
  runtime::Workspace ws;
  runtime::Session s1(net.b.graph(), ws);
  Tensor x = random_tensor(f32({64, 128}), 5);
  Tensor y1 = s1.run({{"x", x}}, {net.y.id()})[0].clone();
  CHECK(ws.contains("net/left/weight"));
  CHECK(ws.get("net/left/weight").shape() == Shape{256, 128});
  Tensor zero(f32({256}));
  ws.set("net/out/bias", Tensor::from<float>({32}, std::span<const float>(std::vector<float>(32, 1.0f))));
  runtime::Session s2(net.b.graph(), ws);
  Tensor y2 = s2.run({{"x", x}}, {net.y.id()})[0];
  CHECK_FALSE(graph::identical(y1, y2));  // the new bias is seen without recompiling weights
  CHECK_THROWS_WITH_AS(ws.set("net/out/bias", zero), doctest::Contains("expected f32[32], got f32[256]"), ValueError);
}

TEST_CASE("workspaces that share a variable's storage see each other's updates") {
  Builder b;
  Expr x = b.input("x", f32({4}));
  Expr w = b.variable("w", {.shape = {4}, .init = "uniform", .scale = 1.0, .seed = 3});
  Expr counter = b.variable("count", {.shape = {}, .init = "zeros"});
  Expr updated = ops::group({ops::sgd_update(w, x, b.constant(Tensor::scalar(1.0f))), ops::increment(counter)});
  runtime::Workspace shared;
  shared.bind_variables(b.graph());
  CHECK(shared.names() == std::vector<std::string>{"count", "w"});
  const Tensor initial = shared.get("w").clone();
  runtime::Workspace mine;
  mine.share("w", shared.get("w"));
  CHECK_THROWS_WITH_AS(mine.share("w", shared.get("w")), doctest::Contains("already has a variable 'w'"), ValueError);
  runtime::Session worker(b.graph(), mine);
  Tensor ones = Tensor::from<float>({4}, {1.0f, 1.0f, 1.0f, 1.0f});
  worker.run({{"x", ones}}, {updated.id()});
  for (int64_t i = 0; i < 4; ++i) CHECK(shared.get("w").at(i) == doctest::Approx(initial.at(i) - 1.0));  // w -= lr * x
  CHECK(mine.get("count").at(0) == 1.0);  // not shared: each workspace counts its own steps
  CHECK(shared.get("count").at(0) == 0.0);
}

}  // namespace
}  // namespace flowgrad::testing
