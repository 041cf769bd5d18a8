#pragma once
// BERT (Devlin et al., 2018) in the flowgrad DSL.
//
//   ids, segments [B, T] ─► word + position + token-type embeddings ─► LayerNorm ─► dropout
//     ─► N × [ multi-head self-attention (padding mask) ─► dense ─► dropout ─► +residual ─► LayerNorm
//              ─► dense (intermediate) ─► GELU ─► dense ─► dropout ─► +residual ─► LayerNorm ]
//     ─► sequence output [B, T, H];  pooler: tanh(dense([CLS])) [B, H]
//   heads: masked-LM (transform ─► LayerNorm ─► decoder tied to the word embeddings + bias)
//          next-sentence prediction (dense on the pooled [CLS], 2 classes)
//          sequence classification (dropout ─► dense, num_labels)
//
// Variables are named like Hugging Face's BertForPreTraining state dict with
// "/" for "." ("bert/encoder/layer.0/attention/self/query/weight"), so
// hf_name() maps one to the other and model.safetensors loads directly.

#include <optional>
#include <string>

#include "frontend/flowgrad.h"

namespace flowgrad::models {

// Field names as in Hugging Face's config.json.
struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";  // gelu | gelu_new (tanh form) | relu
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  double initializer_range = 0.02;
  std::string position_embedding_type = "absolute";  // absolute (learned) | sinusoidal
  int64_t num_labels = 2;                             // sequence classification head

  // Throws FormatError naming the file and the field for a wrong type.
  static BertConfig from_json_file(const std::string& path);
  void to_json_file(const std::string& path) const;
  void validate() const;  // ValueError on inconsistent sizes
};

// "bert/encoder/layer.0/attention/self/query/weight" <-> "bert.encoder.layer.0.attention.self.query.weight"
std::string hf_name(const std::string& variable_path);
std::string variable_path(const std::string& hf_name);

struct BertInputs {
  Expr ids;        // i32 [B, T]
  Expr segments;   // i32 [B, T]
  Expr attention;  // f32 [B, T]: 1 for tokens, 0 for padding
};

struct BertOptions {
  bool training = true;  // dropout on
  int64_t seed = 0;
};

struct BertOutputs {
  Expr sequence;         // [B, T, H]
  Expr pooled;           // [B, H]
  Expr word_embeddings;  // [V, H], tied to the masked-LM decoder
};

// Declares inputs "ids", "segments", "attention" of shape [batch, seq].
BertInputs bert_inputs(Builder& b, int64_t batch, int64_t seq);
BertOutputs bert_encoder(Builder& b, const BertConfig& c, const BertInputs& in, const BertOptions& o);

// Pre-training: masked-LM on `positions` [B, P] (i32) with labels [B, P]
// (i32, -100 = not a prediction) and NSP with labels [B]. Returns the summed
// loss; mlm_loss/nsp_loss/logits are exposed for tests.
struct PretrainingHeads {
  Expr mlm_logits;  // [B, P, V]
  Expr nsp_logits;  // [B, 2]
  Expr mlm_loss, nsp_loss, loss;
};
PretrainingHeads bert_pretraining_heads(Builder& b, const BertConfig& c, const BertOutputs& enc, Expr positions,
                                        Expr mlm_labels, Expr nsp_labels);

struct ClassifierHead {
  Expr logits;  // [B, num_labels]
  Expr loss;
};
ClassifierHead bert_classifier_head(Builder& b, const BertConfig& c, const BertOutputs& enc, Expr labels,
                                    const BertOptions& o);

}  // namespace flowgrad::models
