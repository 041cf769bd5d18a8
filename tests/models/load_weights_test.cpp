// Hugging Face BERT weights into a flowgrad graph (models/load_weights.h),
// against tests/fixtures/hf_bert_tiny made by make_hf_bert.py (the layout of
// bert-base-uncased: config.json, vocab.txt, model.safetensors with
// gamma/beta LayerNorm names, the position_ids buffer and the cls.* heads):
// BertModel's sequence and pooled outputs match PyTorch (rel. 1e-4), and a
// config that does not fit the file is an error naming the tensor.

#include "models/load_weights.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "fixtures_util.h"
#include "models/bert.h"
#include "models/lstm_classifier.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

std::string hf_dir() { return fixture_path("hf_bert_tiny"); }

struct Encoder {
  Builder b;
  models::BertOutputs out;
  Encoder(const models::BertConfig& c, int64_t batch, int64_t seq) {
    out = models::bert_encoder(b, c, models::bert_inputs(b, batch, seq), {.training = false});
  }
};

TEST_CASE("Hugging Face BERT folder: the loaded encoder matches PyTorch's outputs") {
  auto c = models::BertConfig::from_json_file(hf_dir() + "/config.json");
  auto want = read_safetensors(fixture_path("hf_bert_tiny_expected.safetensors"));
  Encoder m(c, 2, 12);
  runtime::Workspace ws;
  auto loaded = models::load_hf_bert_weights(hf_dir() + "/model.safetensors", m.b.graph(), ws);
  CHECK(loaded.loaded == 5 + 16 * 2 + 2);  // embeddings, 16 tensors per layer, pooler
  // the pre-training heads (7 tensors) and the position_ids buffer are not part of the encoder
  CHECK(loaded.unused.size() == 8);
  CHECK(std::find(loaded.unused.begin(), loaded.unused.end(), "bert.embeddings.position_ids") != loaded.unused.end());
  runtime::Session sess(m.b.graph(), ws);
  auto got = sess.run({{"ids", want.at("ids")}, {"segments", want.at("segments")}, {"attention", want.at("attention")}},
                      {m.out.sequence.id(), m.out.pooled.id()});
  CHECK_CLOSE(got[0], want.at("sequence"), 1e-4);
  CHECK_CLOSE(got[1], want.at("pooled"), 1e-4);
}

TEST_CASE("Hugging Face BERT folder: a config that does not fit the weights names the tensor") {
  auto c = models::BertConfig::from_json_file(hf_dir() + "/config.json");
  const std::string file = hf_dir() + "/model.safetensors";
  runtime::Workspace ws;
  SUBCASE("a different intermediate_size") {
    c.intermediate_size = 48;
    Encoder m(c, 2, 12);
    CHECK_THROWS_WITH_AS(models::load_hf_bert_weights(file, m.b.graph(), ws),
                         doctest::Contains("model.safetensors: tensor 'bert.encoder.layer.0.intermediate.dense.bias' is f32[64], "
                                           "the model built from its config expects f32[48]"),
                         FormatError);
  }
  SUBCASE("one layer more than the file holds") {
    c.num_hidden_layers = 3;
    Encoder m(c, 2, 12);
    CHECK_THROWS_WITH_AS(models::load_hf_bert_weights(file, m.b.graph(), ws),
                         doctest::Contains("model.safetensors: missing tensor 'bert.encoder.layer.2."), FormatError);
  }
}

TEST_CASE("old LayerNorm names gamma and beta read as weight and bias") {
  CHECK(models::modern_hf_name("bert.encoder.layer.3.output.LayerNorm.gamma") == "bert.encoder.layer.3.output.LayerNorm.weight");
  CHECK(models::modern_hf_name("bert.embeddings.LayerNorm.beta") == "bert.embeddings.LayerNorm.bias");
  CHECK(models::modern_hf_name("cls.predictions.bias") == "cls.predictions.bias");
}

TEST_CASE("LSTM classifier config.json: round trip and a wrong field type") {
  std::string path = std::filesystem::temp_directory_path() / "flowgrad_lstm_config.json";
  models::LstmClassifierConfig{.vocab_size = 50, .hidden_size = 7, .bidirectional = false}.to_json_file(path);
  auto back = models::LstmClassifierConfig::from_json_file(path);
  CHECK(back.vocab_size == 50);
  CHECK(back.hidden_size == 7);
  CHECK_FALSE(back.bidirectional);
  {
    std::ofstream f(path);
    f << R"({"bidirectional": 1})";
  }
  CHECK_THROWS_WITH_AS(models::LstmClassifierConfig::from_json_file(path), doctest::Contains("field 'bidirectional' has the wrong type"),
                       FormatError);
}

}  // namespace
}  // namespace flowgrad::testing
