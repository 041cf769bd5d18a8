#include "models/bert.h"

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "models/json_fields.h"
#include "ops/gather.h"
#include "ops/slice.h"
#include "ops/masked_softmax.h"

namespace flowgrad::models {
namespace {

using json = nlohmann::json;

nn::LinearOptions dense(int64_t out, const BertConfig& c, int64_t seed) {
  return {.out_features = out, .init = "normal", .init_scale = c.initializer_range, .seed = seed};
}

Expr activation(const BertConfig& c, Expr x) {
  if (c.hidden_act == "relu") return ops::relu(x);
  return ops::gelu(x, {.approximate = c.hidden_act == "gelu_new" ? "tanh" : "none"});
}

// [B, T, H] -> [B, heads, T, d]
Expr split_heads(Expr x, int64_t heads) {
  int64_t b = x.dim(0), t = x.dim(1), d = x.dim(2) / heads;
  return ops::transpose(ops::reshape(x, {b, t, heads, d}), {0, 2, 1, 3});
}

// [B, heads, T, d] -> [B, T, H]
Expr merge_heads(Expr x) {
  int64_t b = x.dim(0), h = x.dim(1), t = x.dim(2), d = x.dim(3);
  return ops::reshape(ops::transpose(x, {0, 2, 1, 3}), {b, t, h * d});
}

// Sinusoidal position encodings (Vaswani et al.): PE[p, 2i] = sin(p / 10000^(2i/H)), PE[p, 2i+1] = cos(...)
Tensor sinusoidal_table(int64_t positions, int64_t h) {
  Tensor t({DType::f32, {positions, h}});
  for (int64_t p = 0; p < positions; ++p) {
    for (int64_t i = 0; i < h; ++i) {
      double angle = static_cast<double>(p) / std::pow(10000.0, static_cast<double>(2 * (i / 2)) / static_cast<double>(h));
      t.data<float>()[p * h + i] = static_cast<float>(i % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  }
  return t;
}

Expr embeddings(Builder& b, const BertConfig& c, const BertInputs& in, const BertOptions& o, Expr& word_table) {
  auto s = b.scope("embeddings");
  int64_t seq = in.ids.dim(1);
  nn::EmbeddingOptions init{.init_std = c.initializer_range, .seed = o.seed};
  word_table = nn::embedding_table(b, {.num_embeddings = c.vocab_size, .dim = c.hidden_size}, init, "word_embeddings");
  Expr words = ops::gather(word_table, in.ids);  // [B, T, H]
  Tensor pos_ids({DType::i32, {seq}});
  for (int64_t i = 0; i < seq; ++i) pos_ids.data<int32_t>()[i] = static_cast<int32_t>(i);
  Expr positions;
  if (c.position_embedding_type == "sinusoidal") {
    positions = ops::gather(b.constant(sinusoidal_table(c.max_position_embeddings, c.hidden_size)), b.constant(pos_ids));
  } else {
    positions = nn::embedding(b, b.constant(pos_ids), {.num_embeddings = c.max_position_embeddings, .dim = c.hidden_size},
                              init, "position_embeddings");  // [T, H], broadcast over B
  }
  Expr types = nn::embedding(b, in.segments, {.num_embeddings = c.type_vocab_size, .dim = c.hidden_size}, init,
                             "token_type_embeddings");
  Expr sum = words + positions + types;  // [B, T, H] (+ [T, H] broadcast)
  Expr normed = nn::layer_norm(b, sum, {.eps = c.layer_norm_eps}, "LayerNorm");
  return nn::dropout(b, normed, {.p = c.hidden_dropout_prob, .training = o.training, .seed = o.seed});
}

// Multi-head self-attention with a padding mask [B, 1, 1, T] (0 keep, -10000 drop).
Expr attention(Builder& b, const BertConfig& c, Expr x, Expr mask, const BertOptions& o, int64_t seed) {
  auto s = b.scope("attention");
  int64_t heads = c.num_attention_heads, d = c.hidden_size / heads;
  Expr context;
  {
    auto self = b.scope("self");
    Expr q = split_heads(nn::linear(b, x, dense(c.hidden_size, c, seed + 1), "query"), heads);  // [B, h, T, d]
    Expr k = split_heads(nn::linear(b, x, dense(c.hidden_size, c, seed + 2), "key"), heads);
    Expr v = split_heads(nn::linear(b, x, dense(c.hidden_size, c, seed + 3), "value"), heads);
    Expr scores = ops::matmul(q, k, {.transpose_b = true});  // [B, h, T, T]
    Expr probs = ops::masked_softmax(scores, mask, {.scale = 1.0 / std::sqrt(static_cast<double>(d))});
    probs = nn::dropout(b, probs, {.p = c.attention_probs_dropout_prob, .training = o.training, .seed = o.seed + seed});
    context = merge_heads(ops::matmul(probs, v));  // [B, T, H]
  }
  auto out = b.scope("output");
  Expr h = nn::linear(b, context, dense(c.hidden_size, c, seed + 4), "dense");
  h = nn::dropout(b, h, {.p = c.hidden_dropout_prob, .training = o.training, .seed = o.seed + seed + 1});
  return nn::layer_norm(b, h + x, {.eps = c.layer_norm_eps}, "LayerNorm");
}

Expr feed_forward(Builder& b, const BertConfig& c, Expr x, const BertOptions& o, int64_t seed) {
  Expr inter;
  {
    auto s = b.scope("intermediate");
    inter = activation(c, nn::linear(b, x, dense(c.intermediate_size, c, seed + 5), "dense"));  // [B, T, I]
  }
  auto s = b.scope("output");
  Expr h = nn::linear(b, inter, dense(c.hidden_size, c, seed + 6), "dense");
  h = nn::dropout(b, h, {.p = c.hidden_dropout_prob, .training = o.training, .seed = o.seed + seed + 2});
  return nn::layer_norm(b, h + x, {.eps = c.layer_norm_eps}, "LayerNorm");
}

}  // namespace

std::string hf_name(const std::string& path) {
  std::string s = path;
  std::replace(s.begin(), s.end(), '/', '.');
  return s;
}

std::string variable_path(const std::string& hf) {
  std::string s = hf;
  std::replace(s.begin(), s.end(), '.', '/');
  // "layer/3" was "layer.3": layer indices keep their dot
  for (size_t i = s.find("layer/"); i != std::string::npos; i = s.find("layer/", i + 1)) s[i + 5] = '.';
  return s;
}

BertConfig BertConfig::from_json_file(const std::string& path) {
  json j = read_json_object(path);
  BertConfig c;
  read_field(j, "vocab_size", c.vocab_size, path);
  read_field(j, "hidden_size", c.hidden_size, path);
  read_field(j, "num_hidden_layers", c.num_hidden_layers, path);
  read_field(j, "num_attention_heads", c.num_attention_heads, path);
  read_field(j, "intermediate_size", c.intermediate_size, path);
  read_field(j, "hidden_act", c.hidden_act, path);
  read_field(j, "hidden_dropout_prob", c.hidden_dropout_prob, path);
  read_field(j, "attention_probs_dropout_prob", c.attention_probs_dropout_prob, path);
  read_field(j, "max_position_embeddings", c.max_position_embeddings, path);
  read_field(j, "type_vocab_size", c.type_vocab_size, path);
  read_field(j, "layer_norm_eps", c.layer_norm_eps, path);
  read_field(j, "initializer_range", c.initializer_range, path);
  read_field(j, "position_embedding_type", c.position_embedding_type, path);
  read_field(j, "num_labels", c.num_labels, path);
  c.validate();
  return c;
}

void BertConfig::to_json_file(const std::string& path) const {
  json j = {{"model_type", "bert"},
            {"architectures", {"BertForPreTraining"}},
            {"vocab_size", vocab_size},
            {"hidden_size", hidden_size},
            {"num_hidden_layers", num_hidden_layers},
            {"num_attention_heads", num_attention_heads},
            {"intermediate_size", intermediate_size},
            {"hidden_act", hidden_act},
            {"hidden_dropout_prob", hidden_dropout_prob},
            {"attention_probs_dropout_prob", attention_probs_dropout_prob},
            {"max_position_embeddings", max_position_embeddings},
            {"type_vocab_size", type_vocab_size},
            {"layer_norm_eps", layer_norm_eps},
            {"initializer_range", initializer_range},
            {"position_embedding_type", position_embedding_type},
            {"num_labels", num_labels}};
  std::ofstream f(path);
  if (!f) throw Error("cannot write '" + path + "'");
  f << j.dump(2) << "\n";
}

void BertConfig::validate() const {
  auto positive = [](int64_t v, const char* name) {
    if (v <= 0) throw ValueError(std::string("BertConfig: expected ") + name + " > 0, got " + std::to_string(v));
  };
  positive(vocab_size, "vocab_size");
  positive(hidden_size, "hidden_size");
  positive(num_hidden_layers, "num_hidden_layers");
  positive(num_attention_heads, "num_attention_heads");
  positive(intermediate_size, "intermediate_size");
  positive(max_position_embeddings, "max_position_embeddings");
  positive(type_vocab_size, "type_vocab_size");
  if (hidden_size % num_attention_heads != 0) {
    throw ValueError("BertConfig: hidden_size " + std::to_string(hidden_size) + " is not a multiple of num_attention_heads " +
                     std::to_string(num_attention_heads));
  }
  if (hidden_act != "gelu" && hidden_act != "gelu_new" && hidden_act != "relu") {
    throw ValueError("BertConfig: expected hidden_act gelu|gelu_new|relu, got '" + hidden_act + "'");
  }
  if (position_embedding_type != "absolute" && position_embedding_type != "sinusoidal") {
    throw ValueError("BertConfig: expected position_embedding_type absolute|sinusoidal, got '" + position_embedding_type + "'");
  }
}

BertInputs bert_inputs(Builder& b, int64_t batch, int64_t seq) {
  return {b.input("ids", {DType::i32, {batch, seq}}), b.input("segments", {DType::i32, {batch, seq}}),
          b.input("attention", {DType::f32, {batch, seq}})};
}

BertOutputs bert_encoder(Builder& b, const BertConfig& c, const BertInputs& in, const BertOptions& o) {
  c.validate();
  auto s = b.scope("bert");
  int64_t batch = in.ids.dim(0), seq = in.ids.dim(1);
  // [B, T] with 1 = token -> additive mask [B, 1, 1, T]: 0 keep, -10000 drop (as BERT does)
  Expr mask = ops::reshape((in.attention - 1.0f) * 10000.0f, {batch, 1, 1, seq});
  Expr word_table;
  Expr h = embeddings(b, c, in, o, word_table);
  {
    auto enc = b.scope("encoder");
    for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
      auto layer = b.scope("layer." + std::to_string(l));
      h = feed_forward(b, c, attention(b, c, h, mask, o, 100 * l), o, 100 * l);
    }
  }
  auto p = b.scope("pooler");
  Expr cls = ops::reshape(ops::slice(h, {.axes = {1}, .starts = {0}, .ends = {1}}), {batch, c.hidden_size});  // [CLS]: [B, H]
  Expr pooled = ops::tanh(nn::linear(b, cls, dense(c.hidden_size, c, 7), "dense"));
  return {h, pooled, word_table};
}

PretrainingHeads bert_pretraining_heads(Builder& b, const BertConfig& c, const BertOutputs& enc, Expr positions,
                                        Expr mlm_labels, Expr nsp_labels) {
  auto s = b.scope("cls");
  PretrainingHeads out;
  {
    auto p = b.scope("predictions");
    Expr picked = ops::gather_positions(enc.sequence, positions);  // [B, P, H]
    Expr t;
    {
      auto tr = b.scope("transform");
      t = activation(c, nn::linear(b, picked, dense(c.hidden_size, c, 11), "dense"));
      t = nn::layer_norm(b, t, {.eps = c.layer_norm_eps}, "LayerNorm");
    }
    // decoder tied to the word embeddings: [B, P, H] x [V, H]^T + bias
    Expr table = enc.word_embeddings;
    Expr bias = b.variable("bias", {.shape = {c.vocab_size}, .init = "zeros"});
    out.mlm_logits = ops::matmul(t, table, {.transpose_b = true}) + bias;  // [B, P, V]
    out.mlm_loss = ops::softmax_cross_entropy(out.mlm_logits, mlm_labels, {.ignore_index = -100});
  }
  out.nsp_logits = nn::linear(b, enc.pooled, dense(2, c, 12), "seq_relationship");  // [B, 2]
  out.nsp_loss = ops::softmax_cross_entropy(out.nsp_logits, nsp_labels);
  out.loss = out.mlm_loss + out.nsp_loss;
  return out;
}

ClassifierHead bert_classifier_head(Builder& b, const BertConfig& c, const BertOutputs& enc, Expr labels,
                                    const BertOptions& o) {
  Expr x = nn::dropout(b, enc.pooled, {.p = c.hidden_dropout_prob, .training = o.training, .seed = o.seed + 9});
  Expr logits = nn::linear(b, x, dense(c.num_labels, c, 13), "classifier");
  return {logits, ops::softmax_cross_entropy(logits, labels)};
}

}  // namespace flowgrad::models
