#include "passes/pipeline.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "frontend/flowgrad.h"
#include "mlp_fixture.h"
#include "models/bert.h"
#include "ops/matmul_bias_act.h"
#include "pass_testing.h"
#include "graph/serialize.h"
#include "runtime/graph_io.h"

namespace flowgrad::testing {
namespace {

// The MLP of tests/frontend/optim_test.cpp, as a training step with its outputs marked.
struct Mlp : MlpStep {
  Mlp() : MlpStep({.feed_seed = 11}) {
    b.output(loss);
    b.output(train.step);
  }
};

TEST_CASE("the pipeline lists its passes in order") {
  std::vector<std::string_view> want{"constant_fold", "algebraic", "cse", "dce",
                                     "fuse_masked_softmax", "fuse_add_layer_norm", "fuse_matmul_bias_act",
                                     "fuse_matmul_residual", "fuse_elementwise"};
  CHECK(passes::pass_names() == want);
}

TEST_CASE("the MLP training graph: fewer nodes after the pipeline, the same training") {
  Mlp m;
  graph::Graph g = m.b.graph();
  size_t before = g.num_nodes();
  CHECK(passes::optimize(g, {.verify = true}));
  MESSAGE("MLP training graph: " << before << " nodes before the pipeline, " << g.num_nodes() << " after ("
          << count_op(g, "matmul_bias_act") << " matmul_bias_act)");
  CHECK(g.num_nodes() < before);
  CHECK(count_op(g, "matmul_bias_act") == 3);
  runtime::Workspace w1, w2;
  for (int step = 0; step < 3; ++step) {
    auto a = run_outputs(m.b.graph(), m.feeds(), w1);
    auto b = run_outputs(g, m.feeds(), w2);
    CHECK_CLOSE(b[0], a[0], 1e-5);
  }
  for (const std::string& name : w1.names()) CHECK_CLOSE(w2.get(name), w1.get(name), 1e-5);
}

TEST_CASE("with each single pass disabled the pipeline still trains the MLP identically") {
  Mlp m;
  runtime::Workspace reference_ws;
  std::vector<Tensor> reference;
  for (int step = 0; step < 3; ++step) reference.push_back(run_outputs(m.b.graph(), m.feeds(), reference_ws)[0].clone());
  for (std::string_view pass : passes::pass_names()) {
    INFO("disabled: " << pass);
    graph::Graph g = m.b.graph();
    passes::optimize(g, {.disabled = {std::string(pass)}, .verify = true});
    runtime::Workspace ws;
    for (int step = 0; step < 3; ++step) CHECK_CLOSE(run_outputs(g, m.feeds(), ws)[0], reference[step], 1e-5);
    for (const std::string& name : reference_ws.names()) CHECK_CLOSE(ws.get(name), reference_ws.get(name), 1e-5);
  }
}

// A 2-layer BERT classifier as a training step (dropout on): the fusion
// passes fire on it (residual add + layer norm, matmul + bias, matmul +
// residual on the gradient sums, the mask's elementwise chain) except
// fuse_masked_softmax, as models/bert.cpp calls masked_softmax itself.
struct TinyBert {
  static constexpr int64_t kBatch = 4, kSeq = 8;
  Builder b;
  TinyBert() {
    models::BertConfig c{.vocab_size = 50, .hidden_size = 16, .num_hidden_layers = 2, .num_attention_heads = 2,
                         .intermediate_size = 32, .max_position_embeddings = kSeq};
    auto in = models::bert_inputs(b, kBatch, kSeq);
    Expr labels = b.input("labels", {DType::i32, {kBatch}});
    auto head = models::bert_classifier_head(b, c, models::bert_encoder(b, c, in, {.training = true}), labels, {});
    b.output(head.loss);
    b.output(optim::minimize(b, head.loss, optim::AdamW{.lr = 1e-2}).step);
  }
  runtime::Feeds feeds() const {
    Tensor att({DType::f32, {kBatch, kSeq}});
    for (int64_t i = 0; i < kBatch * kSeq; ++i) att.data<float>()[i] = (i % kSeq) < kSeq - i / kSeq ? 1.0f : 0.0f;
    return {{"ids", random_tensor({DType::i32, {kBatch, kSeq}}, 13, 0, 50)},
            {"segments", random_tensor({DType::i32, {kBatch, kSeq}}, 14, 0, 2)},
            {"attention", att},
            {"labels", random_tensor({DType::i32, {kBatch}}, 15, 0, 2)}};
  }
};

TEST_CASE("a tiny BERT training step: the fusions fire, and with each single pass disabled training is unchanged") {
  TinyBert m;
  graph::Graph all = m.b.graph();
  passes::optimize(all, {.verify = true});
  CHECK(count_op(all, "add_layer_norm") == 5);
  CHECK(count_op(all, "fused_elementwise") >= 1);
  int residual = 0;
  for (graph::NodeId id : all.node_ids()) {
    const graph::Node& n = all.node(id);
    residual += n.op == "matmul_bias_act" && n.attrs_as<ops::MatmulBiasActAttrs>().residual;
  }
  CHECK(residual >= 2);
  runtime::Workspace reference_ws;
  std::vector<Tensor> reference;
  for (int step = 0; step < 3; ++step) reference.push_back(run_outputs(m.b.graph(), m.feeds(), reference_ws)[0].clone());
  std::vector<std::vector<std::string>> configs{{}};
  for (std::string_view pass : passes::pass_names()) configs.push_back({std::string(pass)});
  for (const auto& disabled : configs) {
    INFO("disabled: " << (disabled.empty() ? "nothing" : disabled[0]));
    graph::Graph g = m.b.graph();
    passes::optimize(g, {.disabled = disabled, .verify = true});
    runtime::Workspace ws;
    for (int step = 0; step < 3; ++step) CHECK_CLOSE(run_outputs(g, m.feeds(), ws)[0], reference[step], 1e-5);
    for (const std::string& name : reference_ws.names()) {
      // The key bias adds q·b_k to every score of a row, which softmax
      // ignores: its true gradient is 0, its computed one rounding noise
      // (~1e-14) that any change of summation order changes. Not comparable.
      if (name.find("key/bias") != std::string::npos) continue;
      INFO(name);
      CHECK_CLOSE(ws.get(name), reference_ws.get(name), 1e-5);
    }
  }
}

TEST_CASE("an optimized graph with every fused op survives a serialization round trip") {
  TinyBert m;
  graph::Graph g = m.b.graph();
  passes::optimize(g, {.verify = true});
  graph::Graph back = runtime::parse_graph(graph::serialize(g));  // runs ops::verify
  for (const char* op : {"add_layer_norm", "matmul_bias_act", "fused_elementwise", "masked_softmax"}) {
    CHECK_MESSAGE(count_op(back, op) == count_op(g, op), op);
  }
  runtime::Workspace w1, w2;
  CHECK_CLOSE(run_outputs(back, m.feeds(), w2)[0], run_outputs(g, m.feeds(), w1)[0], 0);
}

TEST_CASE("passes can be switched off by name; an unknown name lists the passes") {
  Mlp m;
  graph::Graph g = m.b.graph();
  passes::PipelineOptions off{.disabled = {}, .verify = true};
  for (auto name : passes::pass_names()) off.disabled.emplace_back(name);
  CHECK_FALSE(passes::optimize(g, off));
  CHECK(g.num_nodes() == m.b.graph().num_nodes());
  off.disabled = {"cse", "fuse_matmul_bias"};
  CHECK_THROWS_WITH_AS(passes::optimize(g, off),
                       doctest::Contains("unknown pass 'fuse_matmul_bias'; the passes are: constant_fold, algebraic"),
                       ValueError);
}

TEST_CASE("PipelineOptions::from_env reads FLOWGRAD_DISABLE_PASSES and FLOWGRAD_PRINT_AFTER") {
  setenv("FLOWGRAD_DISABLE_PASSES", "cse,dce", 1);
  setenv("FLOWGRAD_PRINT_AFTER", "algebraic", 1);
  passes::PipelineOptions o = passes::PipelineOptions::from_env();
  unsetenv("FLOWGRAD_DISABLE_PASSES");
  unsetenv("FLOWGRAD_PRINT_AFTER");
  CHECK(o.disabled == std::vector<std::string>{"cse", "dce"});
  CHECK(o.print_after == "algebraic");
  CHECK(passes::PipelineOptions::from_env().disabled.empty());
}

TEST_CASE("print_after prints the graph, one node per line, to stderr") {
  Builder b;
  Expr x = b.input("x", f32({2, 3}));
  b.output(ops::relu(x * 1.0f));
  graph::Graph g = b.graph();
  std::ostringstream err;
  auto* old = std::cerr.rdbuf(err.rdbuf());
  passes::optimize(g, {.print_after = "algebraic", .verify = true});
  std::cerr.rdbuf(old);
  std::string text = err.str();
  CHECK(text.find("// graph after pass 'algebraic'\n") == 0);
  CHECK(text.find("%0 = input() {shape=[2, 3], dtype=f32} : f32[2, 3]   # x\n") != std::string::npos);
  CHECK(text.find(" = relu(%0) : f32[2, 3]   # relu\n") != std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 3);  // the header and two nodes
}

}  // namespace
}  // namespace flowgrad::testing
