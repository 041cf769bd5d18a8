// Ops against PyTorch (tests/fixtures/make_ops.py): a BERT self-attention
// block with a padding mask, layer_norm, gelu (both forms), cross entropy
// with ignore_index, log-sigmoid — values and gradients, rel. 1e-4.

#include <functional>
#include <map>

#include "autodiff/grad.h"
#include "frontend/flowgrad.h"
#include "ops/layer_norm.h"
#include "ops/masked_softmax.h"
#include "ops/math.h"
#include "runtime/safetensors.h"
#include "fixtures_util.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using Inputs = std::map<std::string, Expr>;

const runtime::Safetensors& fixture() {
  static const runtime::Safetensors fx = runtime::read_safetensors(fixture_path("ops.safetensors"));
  return fx;
}

// Feeds prefix/<name> for each input, builds y, differentiates (y ⊙ R).sum()
// and compares y and every input gradient with PyTorch's.
void check_against_pytorch(const std::string& prefix, const std::vector<std::string>& names,
                           const std::function<Expr(Builder&, Inputs&)>& build) {
  const auto& fx = fixture().tensors;
  Builder b;
  Inputs in;
  runtime::Feeds feeds;
  std::vector<Expr> wrt;
  for (const auto& n : names) {
    const Tensor& t = fx.at(prefix + "/" + n);
    in[n] = b.input(n, t.type());
    feeds.emplace_back(n, t);
    wrt.push_back(in[n]);
  }
  Expr y = build(b, in);
  Expr loss = ops::reduce_sum(y * b.constant(fx.at(prefix + "/R")));
  auto grads = autodiff::grad(loss, wrt);
  std::vector<graph::ValueId> fetch{y.id()};
  for (auto& g : grads) fetch.push_back(g.id());
  runtime::Session sess(b.graph());
  auto out = sess.run(feeds, fetch);
  INFO(prefix);
  CHECK_CLOSE(out[0], fx.at(prefix + "/y"), 1e-4);
  for (size_t i = 0; i < names.size(); ++i) {
    INFO("d/d " << names[i]);
    // the key bias's gradient is zero up to rounding (softmax is shift-invariant)
    std::string why = compare(out[1 + i], fx.at(prefix + "/grad/" + names[i]), 1e-4, 1e-6);
    CHECK_MESSAGE(why.empty(), why);
  }
}

Expr split_heads(Expr x, int64_t heads) {  // [B, T, H] -> [B, heads, T, d]
  return ops::transpose(ops::reshape(x, {x.dim(0), x.dim(1), heads, x.dim(2) / heads}), {0, 2, 1, 3});
}

TEST_CASE("a BERT self-attention block with a padding mask matches PyTorch") {
  std::vector<std::string> names{"x"};
  for (const char* n : {"query", "key", "value", "dense"}) {
    names.push_back(std::string(n) + ".weight");
    names.push_back(std::string(n) + ".bias");
  }
  check_against_pytorch("attn", names, [](Builder& b, Inputs& in) {
    Expr x = in["x"];
    auto proj = [&](const std::string& n) {
      return ops::matmul(x, in[n + ".weight"], {.transpose_b = true}) + in[n + ".bias"];  // [B, T, H]
    };
    Expr q = split_heads(proj("query"), 2), k = split_heads(proj("key"), 2), v = split_heads(proj("value"), 2);
    const Tensor& attention = fixture().tensors.at("attn/attention");
    Expr mask = ops::reshape((b.constant(attention) - 1.0f) * 10000.0f, {2, 1, 1, 5});
    Expr probs = ops::masked_softmax(ops::matmul(q, k, {.transpose_b = true}), mask, {.scale = 0.5});  // 1/sqrt(4)
    Expr ctx = ops::reshape(ops::transpose(ops::matmul(probs, v), {0, 2, 1, 3}), {2, 5, 8});
    return ops::matmul(ctx, in["dense.weight"], {.transpose_b = true}) + in["dense.bias"];
  });
}

TEST_CASE("layer_norm matches F.layer_norm") {
  check_against_pytorch("ln", {"x", "weight", "bias"},
                        [](Builder&, Inputs& in) { return ops::layer_norm(in["x"], in["weight"], in["bias"], {.eps = 1e-5}); });
}

TEST_CASE("gelu matches F.gelu, erf and tanh forms") {
  check_against_pytorch("gelu", {"x"}, [](Builder&, Inputs& in) { return ops::gelu(in["x"]); });
  check_against_pytorch("gelu_tanh", {"x"}, [](Builder&, Inputs& in) { return ops::gelu(in["x"], {.approximate = "tanh"}); });
}

TEST_CASE("log_sigmoid matches F.logsigmoid, including |x| = 100") {
  check_against_pytorch("logsigmoid", {"x"}, [](Builder&, Inputs& in) { return ops::log_sigmoid(in["x"]); });
}

TEST_CASE("softmax_cross_entropy matches F.cross_entropy with ignore_index") {
  const auto& fx = fixture().tensors;
  Builder b;
  Expr x = b.input("logits", fx.at("ce/logits").type());
  Expr y = b.input("labels", fx.at("ce/labels").type());
  Expr loss = ops::softmax_cross_entropy(x, y, {.ignore_index = -100});
  Expr dx = autodiff::grad(loss, {x})[0];
  runtime::Session sess(b.graph());
  auto out = sess.run({{"logits", fx.at("ce/logits")}, {"labels", fx.at("ce/labels")}}, {loss.id(), dx.id()});
  CHECK_CLOSE(out[0], fx.at("ce/y"), 1e-5);
  CHECK_CLOSE(out[1], fx.at("ce/grad/logits"), 1e-5);
}

}  // namespace
}  // namespace flowgrad::testing
