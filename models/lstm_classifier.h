#pragma once
// An LSTM text classifier in the flowgrad DSL:
//
//   ids [B, T] ─► embedding [B, T, E] ─► (bi)LSTM × L (oneDNN, per-sequence lengths)
//     ─► final hidden states of the last layer, both directions [B, D·H]
//     ─► dropout ─► linear ─► logits [B, num_labels]
//
// Variables: "lstm_classifier/embedding/weight", "lstm_classifier/lstm/weight_ih_l0"
// (PyTorch's nn.LSTM names, "_reverse" for the backward direction), ...,
// "lstm_classifier/classifier/weight|bias".

#include "frontend/flowgrad.h"

namespace flowgrad::models {

struct LstmClassifierConfig {
  int64_t vocab_size = 0;
  int64_t embedding_dim = 64;
  int64_t hidden_size = 64;
  int64_t num_layers = 1;
  bool bidirectional = true;
  double dropout = 0.1;
  int64_t num_labels = 2;
  int64_t seed = 1;

  // config.json with these field names; FormatError naming the file and a
  // field of the wrong type, ValueError for a size <= 0.
  static LstmClassifierConfig from_json_file(const std::string& path);
  void to_json_file(const std::string& path) const;
  void validate() const;
};

struct LstmClassifier {
  Expr ids;       // input "ids" i32 [B, T]
  Expr lengths;   // input "lengths" i32 [B]
  Expr labels;    // input "labels" i32 [B]
  Expr logits;    // [B, num_labels]
  Expr loss;
};

LstmClassifier lstm_classifier(Builder& b, const LstmClassifierConfig& c, int64_t batch, int64_t seq, bool training);

}  // namespace flowgrad::models
