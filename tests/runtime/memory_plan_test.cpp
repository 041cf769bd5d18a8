#include "runtime/memory_plan.h"

#include "frontend/flowgrad.h"
#include "mlp_fixture.h"
#include "ops/reshape.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

struct Mlp : MlpStep {
  Mlp() : MlpStep({.feed_seed = 21}) {}
};

TEST_CASE("the MLP training step: planned peak below the no-reuse total, identical results without planning") {
  Mlp m;
  runtime::Session planned(m.b.graph()), unplanned(m.b.graph(), {.plan_memory = false});
  for (int step = 0; step < 5; ++step) {
    Tensor a = planned.run(m.feeds(), {m.loss.id(), m.train.step.id()})[0].clone();
    Tensor b = unplanned.run(m.feeds(), {m.loss.id(), m.train.step.id()})[0].clone();
    CHECK(graph::identical(a, b));
  }
  for (const std::string& name : planned.workspace().names()) {
    CHECK(graph::identical(planned.workspace().get(name), unplanned.workspace().get(name)));
  }
  const runtime::MemoryReport& r = planned.last_plan()->memory();
  const runtime::MemoryReport& base = unplanned.last_plan()->memory();
  MESSAGE("MLP training step: planned peak " << r.planned_peak << " bytes, no reuse " << r.no_reuse_total
          << " bytes, " << r.in_place << " values in place\n" << runtime::format_memory_report(r));
  CHECK(r.planned_peak < r.no_reuse_total);
  CHECK(base.planned_peak == base.no_reuse_total);
  CHECK(r.in_place > 0);
  // 2·32 + 32 + 32·32 + 32 + 32·2 + 2 parameters; AdamW keeps two moments each and a step counter
  size_t params = 4 * (2 * 32 + 32 + 32 * 32 + 32 + 32 * 2 + 2);
  CHECK(r.parameters == params);
  CHECK(r.optimizer_state == 2 * params + 4);
  CHECK(r.activations >= 4 * 256 * (32 + 32));  // the two hidden layers, kept for backward at least
  CHECK(r.gradients > 0);
  CHECK(r.activations + r.gradients + r.temporaries <= r.no_reuse_total);
  CHECK(runtime::format_memory_report(r).find("planned peak") != std::string::npos);

  runtime::Session fused(m.b.graph(), frontend::with_passes({}, {.verify = true}));
  fused.run(m.feeds(), {m.loss.id(), m.train.step.id()});
  const runtime::MemoryReport& f = fused.last_plan()->memory();
  MESSAGE("with the pass pipeline: planned peak " << f.planned_peak << " bytes, no reuse " << f.no_reuse_total << " bytes");
  CHECK(f.planned_peak < f.no_reuse_total);
  CHECK(f.no_reuse_total < r.no_reuse_total);  // fusion leaves fewer values to store
}

TEST_CASE("elementwise chains run in place; a fetched value is never overwritten") {
  Builder b;
  Expr x = b.input("x", f32({1000}));
  Expr a = x * 2.0f;                          // x is fed: a gets its own block
  Expr c = ops::sigmoid(ops::tanh(ops::relu(a)));  // each takes the block of the one before
  Expr d = ops::exp(c);                        // c is fetched: exp may not take its block
  runtime::Session sess(b.graph()), plain(b.graph(), {.plan_memory = false});
  Tensor xs = random_tensor(f32({1000}), 23);
  auto got = sess.run({{"x", xs}}, {c.id(), d.id()});
  auto want = plain.run({{"x", xs}}, {c.id(), d.id()});
  CHECK(graph::identical(got[0], want[0]));
  CHECK(graph::identical(got[1], want[1]));
  const runtime::MemoryReport& r = sess.last_plan()->memory();
  CHECK(r.in_place == 3);
  CHECK(r.planned_peak == 2 * 4032);  // two 64-byte aligned blocks of 4000 bytes
  CHECK(r.no_reuse_total == 5 * 4032);
}

TEST_CASE("a reshape of a dying value runs in place and copies nothing") {
  Builder b;
  Expr x = b.input("x", f32({10, 100}));
  Expr a = x * 2.0f;                                    // x is fed: a gets its own block
  Expr r = ops::reshape(a, {1000});                     // a dies here: r takes its block
  Expr y = ops::reshape(ops::tanh(r), {4, 250}) + 1.0f;  // tanh, reshape and add: in place too
  runtime::Session sess(b.graph()), plain(b.graph(), {.plan_memory = false});
  Tensor xs = random_tensor(f32({10, 100}), 29);
  CHECK(graph::identical(sess.run({{"x", xs}}, {y.id()})[0], plain.run({{"x", xs}}, {y.id()})[0]));
  const runtime::MemoryReport& rep = sess.last_plan()->memory();
  CHECK(rep.in_place == 4);
  CHECK(rep.planned_peak == 4032);  // one 64-byte aligned block of 4000 bytes for the whole chain
}

TEST_CASE("a value twice the size of two that died before it takes the bytes of both") {
  // a and b (1000 floats each) are live together, then die; c (2000 floats)
  // is written after them. The most bytes live at once: 8064 and a few
  // scalars. (Blocks that pass whole from one value to the next cannot hold c
  // in a's and b's: such a planner needs 12 KB here.)
  Builder bld;
  Expr x = bld.input("x", f32({1000}));
  Expr y = bld.input("y", f32({2000}));
  Expr a = x * 2.0f;
  Expr b = x * 3.0f;
  Expr sa = ops::reduce_sum(a * b);
  Expr sb = ops::reduce_sum(b);
  Expr c = y * (sa + sb);
  runtime::Session sess(bld.graph()), plain(bld.graph(), {.plan_memory = false});
  Tensor xs = random_tensor(f32({1000}), 31), ys = random_tensor(f32({2000}), 32);
  CHECK(graph::identical(sess.run({{"x", xs}, {"y", ys}}, {c.id()})[0], plain.run({{"x", xs}, {"y", ys}}, {c.id()})[0]));
  const runtime::MemoryReport& r = sess.last_plan()->memory();
  CHECK(r.in_place == 2);  // a * b in a, sa + sb in sa
  CHECK(r.planned_peak <= 2 * 4032 + 3 * 64);
}

TEST_CASE("reusing bytes orders the new writer after the old readers (parallel runs stay correct)") {
  // Two independent branches: b1's block dies early and is reused by b2,
  // whose steps could otherwise run concurrently with b1's readers.
  Builder b;
  Expr x = b.input("x", f32({64, 64}));
  Expr w = b.variable("w", {.shape = {64, 64}, .init = "normal", .scale = 0.1});
  Expr b1 = ops::matmul(x, w);
  Expr s1 = ops::reduce_sum(b1);
  Expr b2 = ops::matmul(w, x);
  Expr s2 = ops::reduce_sum(b2 * b2);
  Expr y = s1 + s2;
  Tensor xs = random_tensor(f32({64, 64}), 24);
  runtime::Workspace ws;
  runtime::Session serial(b.graph(), ws, {.threads = 2, .mode = runtime::ExecMode::serial, .plan_memory = false});
  runtime::Session parallel(b.graph(), ws, {.threads = 2});
  Tensor want = serial.run({{"x", xs}}, {y.id()})[0].clone();
  for (int i = 0; i < 20; ++i) CHECK(graph::identical(parallel.run({{"x", xs}}, {y.id()})[0], want));
  const runtime::Plan& plan = *parallel.last_plan();
  CHECK(plan.memory().planned_peak < plan.memory().no_reuse_total);
}

}  // namespace
}  // namespace flowgrad::testing
