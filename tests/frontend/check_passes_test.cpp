#include "frontend/check_passes.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "frontend/flowgrad.h"
#include "mlp_fixture.h"
#include "passes/rewrite.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

struct Mlp : MlpStep {
  Mlp() : MlpStep({.batch = 32, .features = 3, .hidden = 8, .optimizer = optim::Adam{.lr = 0.01}, .feed_seed = 31}) {}
};

// The real pipeline, with a bug planted in "cse": the first relu becomes a tanh.
bool broken_pipeline(graph::Graph& g, const passes::PipelineOptions& o) {
  bool changed = passes::optimize(g, o);
  if (std::find(o.disabled.begin(), o.disabled.end(), "cse") != o.disabled.end()) return changed;
  for (graph::NodeId id : g.node_ids()) {
    if (g.node(id).op != "relu") continue;
    const graph::Node relu = g.node(id);
    graph::NodeId t = passes::add_node_like(g, relu, "tanh", graph::NoAttrs{}, relu.inputs, "_bug");
    passes::replace_value(g, relu.output(), g.node(t).output());
    return true;
  }
  return changed;
}

TEST_CASE("check_passes: the pipeline keeps a training step's results") {
  Mlp m;
  runtime::Workspace ws;
  auto mismatch = frontend::check_passes(m.b.graph(), m.feeds(), {m.loss.id(), m.train.step.id()}, ws, {.verify = true});
  CHECK_MESSAGE(!mismatch, (mismatch ? mismatch->str() : ""));
}

TEST_CASE("check_passes names the pass that changed a result and the first value that differs") {
  Mlp m;
  runtime::Workspace ws;
  auto mismatch = frontend::check_passes(m.b.graph(), m.feeds(), {m.loss.id(), m.train.step.id()}, ws, {.verify = true},
                                         1e-4, broken_pipeline);
  REQUIRE(mismatch);
  MESSAGE(mismatch->str());
  CHECK(mismatch->pass == "cse");
  // The relu itself is gone (replaced), so the first common value that
  // differs is the matmul reading its output.
  CHECK(mismatch->value.find("fc2/") != std::string::npos);
  CHECK(mismatch->str().find("pass 'cse' changed the results: first differing value") == 0);
}

TEST_CASE("FLOWGRAD_CHECK_PASSES=1 checks each new plan of a with_passes session") {
  Mlp m;
  setenv("FLOWGRAD_CHECK_PASSES", "1", 1);
  runtime::SessionOptions options = frontend::with_passes({}, {.verify = true});
  unsetenv("FLOWGRAD_CHECK_PASSES");
  REQUIRE(options.before_compile);
  runtime::Session sess(m.b.graph(), options);
  Tensor loss = sess.run(m.feeds(), {m.loss.id(), m.train.step.id()})[0];
  CHECK(std::isfinite(loss.at(0)));
  CHECK_FALSE(frontend::with_passes().before_compile);  // off without the variable
}

}  // namespace
}  // namespace flowgrad::testing
