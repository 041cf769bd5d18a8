// BERT against a plain-PyTorch implementation with Hugging Face's parameter
// names (tests/fixtures/make_models.py): MLM and NSP logits, the loss, every
// parameter gradient (rel. 1e-4), and the loss over 3 AdamW steps.

#include "models/bert.h"

#include <filesystem>
#include <cmath>
#include <fstream>

#include "fixtures_util.h"
#include "ops/reduce.h"
#include "runtime/safetensors.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

const models::BertConfig kTiny{.vocab_size = 100, .hidden_size = 32, .num_hidden_layers = 2, .num_attention_heads = 4,
                               .intermediate_size = 64, .hidden_dropout_prob = 0, .attention_probs_dropout_prob = 0,
                               .max_position_embeddings = 16, .type_vocab_size = 2, .layer_norm_eps = 1e-12};

struct TinyBert {
  Builder b;
  models::PretrainingHeads heads;
  TinyBert() {
    auto in = models::bert_inputs(b, 3, 8);
    Expr positions = b.input("mlm_positions", {DType::i32, {3, 2}});
    Expr labels = b.input("mlm_labels", {DType::i32, {3, 2}});
    Expr nsp = b.input("nsp_labels", {DType::i32, {3}});
    auto enc = models::bert_encoder(b, kTiny, in, {.training = false});
    heads = models::bert_pretraining_heads(b, kTiny, enc, positions, labels, nsp);
  }
};

runtime::Safetensors fixture() { return runtime::read_safetensors(fixture_path("bert_tiny.safetensors")); }

runtime::Feeds feeds(const runtime::Safetensors& fx) {
  runtime::Feeds f;
  for (const char* n : {"ids", "segments", "attention", "mlm_positions", "mlm_labels", "nsp_labels"}) f.emplace_back(n, fx.tensors.at(n));
  return f;
}

// Loads the Hugging Face-named initial weights into the workspace.
void load_weights(const runtime::Safetensors& fx, runtime::Workspace& ws) {
  for (const auto& [name, t] : fx.tensors) {
    if (name.rfind("init/", 0) == 0) ws.set(models::variable_path(name.substr(5)), t);
  }
}

TEST_CASE("BERT pre-training forward and every gradient match PyTorch") {
  auto fx = fixture();
  TinyBert m;
  auto params = optim::trainable_variables(m.b, m.heads.loss);
  auto grads = autodiff::grad(m.heads.loss, params);
  runtime::Workspace ws;
  load_weights(fx, ws);
  runtime::Session sess(m.b.graph(), ws);
  std::vector<graph::ValueId> fetch{m.heads.mlm_logits.id(), m.heads.nsp_logits.id(), m.heads.loss.id()};
  for (auto& g : grads) fetch.push_back(g.id());
  auto out = sess.run(feeds(fx), fetch);
  CHECK_CLOSE(out[0], fx.tensors.at("mlm_logits"), 1e-4);
  CHECK_CLOSE(out[1], fx.tensors.at("nsp_logits"), 1e-4);
  CHECK_CLOSE(out[2], fx.tensors.at("loss"), 1e-4);
  REQUIRE(params.size() + 1 == static_cast<size_t>(std::count_if(fx.tensors.begin(), fx.tensors.end(), [](const auto& kv) {
            return kv.first.rfind("init/", 0) == 0;
          })) + 1);
  for (size_t i = 0; i < params.size(); ++i) {
    std::string hf = models::hf_name(params[i].producer().name);
    INFO(hf);
    const Tensor& want = fx.tensors.at("grad/" + hf);
    double scale = 0, got_max = 0;
    for (int64_t j = 0; j < want.numel(); ++j) {
      scale = std::max(scale, std::abs(want.at(j)));
      got_max = std::max(got_max, std::abs(out[3 + i].at(j)));
    }
    if (scale < 1e-7) {
      CHECK(got_max < 1e-7);  // the key biases: zero up to rounding (softmax is shift-invariant)
    } else {
      CHECK_CLOSE(out[3 + i], want, 1e-4);
    }
  }
}

TEST_CASE("BERT: three AdamW steps follow PyTorch's losses") {
  auto fx = fixture();
  TinyBert m;
  auto train = optim::minimize(m.b, m.heads.loss, optim::AdamW{.lr = 1e-2, .weight_decay = 0.01});
  runtime::Workspace ws;
  load_weights(fx, ws);
  runtime::Session sess(m.b.graph(), ws);
  const Tensor& want = fx.tensors.at("losses_adamw");
  for (int i = 0; i < 4; ++i) {
    double loss = sess.run(feeds(fx), {m.heads.loss.id(), (i < 3 ? train.step : m.heads.loss).id()})[0].at(0);
    CHECK(loss == doctest::Approx(want.at(i)).epsilon(1e-4));
  }
}

TEST_CASE("Hugging Face names map to variable paths and back") {
  CHECK(models::variable_path("bert.encoder.layer.1.attention.output.LayerNorm.weight") ==
        "bert/encoder/layer.1/attention/output/LayerNorm/weight");
  CHECK(models::hf_name("bert/encoder/layer.1/attention/self/query/bias") == "bert.encoder.layer.1.attention.self.query.bias");
}

TEST_CASE("config.json: round trip and a wrong field type") {
  std::string path = std::filesystem::temp_directory_path() / "flowgrad_bert_config.json";
  kTiny.to_json_file(path);
  auto back = models::BertConfig::from_json_file(path);
  CHECK(back.hidden_size == 32);
  CHECK(back.num_attention_heads == 4);
  {
    std::ofstream f(path);
    f << R"({"hidden_size": "big"})";
  }
  CHECK_THROWS_WITH_AS(models::BertConfig::from_json_file(path), doctest::Contains("field 'hidden_size' has the wrong type"), FormatError);
  CHECK_THROWS_WITH_AS((models::BertConfig{.hidden_size = 30, .num_attention_heads = 4}.validate()),
                       doctest::Contains("hidden_size 30 is not a multiple of num_attention_heads 4"), ValueError);
}

}  // namespace
}  // namespace flowgrad::testing
