// The model summary (frontend/summary.h): rows, parameter counts and totals
// of a small training graph.

#include "frontend/summary.h"

#include "frontend/flowgrad.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

// 2 -> 32 -> 2 MLP with AdamW: parameters 2*32 + 32 + 32*2 + 2 = 162.
struct Mlp {
  Builder b;
  Mlp() {
    Expr x = b.input("x", f32({8, 2}));
    Expr y = b.input("y", {DType::i32, {8}});
    auto s = b.scope("mlp");
    Expr h = ops::relu(nn::linear(b, x, {.out_features = 32, .seed = 1}, "layer1"));
    Expr logits = nn::linear(b, h, {.out_features = 2, .seed = 2}, "layer2");
    optim::minimize(b, ops::softmax_cross_entropy(logits, y), optim::AdamW{.lr = 0.01});
  }
};

const frontend::SummaryRow* row(const frontend::GraphSummary& s, const std::string& name) {
  for (const auto& r : s.rows) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

TEST_CASE("the summary lists the forward nodes with their parameters and totals") {
  Mlp m;
  frontend::GraphSummary s = frontend::summarize(m.b.graph());
  CHECK(s.params == 162);
  CHECK(s.param_tensors == 4);
  CHECK(s.param_bytes == 162 * 4);
  CHECK(s.state == 2 * 162 + 1);  // AdamW's m and v, and the step counter
  const frontend::SummaryRow* w = row(s, "mlp/layer1/weight");
  REQUIRE(w != nullptr);
  CHECK(w->op == "variable");
  CHECK(w->params == 64);
  CHECK(w->output == "f32[32, 2]");
  const frontend::SummaryRow* relu = row(s, "mlp/relu");
  REQUIRE(relu != nullptr);
  CHECK(relu->output == "f32[8, 32]");
  CHECK(relu->params == 0);
  for (const auto& r : s.rows) {
    CHECK_FALSE(frontend::is_gradient_node(*m.b.graph().find(r.name)));
    CHECK_FALSE(frontend::is_optimizer_node(*m.b.graph().find(r.name)));
  }
  // x, y; weight, matmul, bias, add per layer; relu; the loss
  CHECK(s.rows.size() == 12);
  CHECK(s.rows.size() + s.hidden_nodes == m.b.graph().num_nodes());
  CHECK(s.hidden_nodes > s.rows.size());  // the backward pass and updates outweigh the forward

  std::string text = s.str();
  CHECK(text.find("parameters: 162 (648 B) in 4 tensors; optimizer state: 325 (1.27 KiB)") != std::string::npos);
  CHECK(text.find("mlp/layer1/weight") != std::string::npos);
}

TEST_CASE("the summary lists every node on request") {
  Mlp m;
  frontend::GraphSummary all = frontend::summarize(m.b.graph(), {.training_nodes = true});
  CHECK(all.hidden_nodes == 0);
  CHECK(all.rows.size() == m.b.graph().num_nodes());
  CHECK(all.params == 162);
  CHECK(row(all, "mlp/optimizer/step") != nullptr);  // minimize() ran inside the "mlp" scope
}

TEST_CASE("the summary groups nodes by scope like layers") {
  Mlp m;
  frontend::GraphSummary s = frontend::summarize(m.b.graph(), {.depth = 2});
  std::vector<std::string> names;
  for (const auto& r : s.rows) names.push_back(r.name);
  CHECK(names == std::vector<std::string>{"x", "y", "mlp/layer1", "mlp/relu", "mlp/layer2", "mlp/softmax_cross_entropy"});
  const frontend::SummaryRow* layer1 = row(s, "mlp/layer1");
  REQUIRE(layer1 != nullptr);
  CHECK(layer1->params == 2 * 32 + 32);
  CHECK(layer1->op == "matmul, add");
  CHECK(layer1->output == "f32[8, 32]");
  CHECK(row(s, "x")->op == "input");
  CHECK(s.params == 162);
  int64_t sum = 0;
  for (const auto& r : s.rows) sum += r.params;
  CHECK(sum == s.params);
  CHECK(s.shown_nodes == 12);
  CHECK(s.str().find("12 nodes shown in 6 scopes") != std::string::npos);
}

}  // namespace
}  // namespace flowgrad::testing
