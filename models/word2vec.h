#pragma once
// Word2vec (Mikolov et al., 2013): skip-gram or CBOW with negative sampling,
// in the flowgrad DSL.
//
//   skip-gram: h = in[context word]                                [B, D]
//   CBOW:      h = Σ_c mask_c · in[context_c] / Σ_c mask_c          [B, D]
//   candidates = [target, negative_1 .. negative_K]                 [B, 1+K]
//   logits = h · out[candidates]ᵀ (batched_dot)                     [B, 1+K]
//   loss = Σ BCE-with-logits(logits, [1, 0, .., 0])  (summed, as word2vec.c applies
//          each example's gradient at the full rate; reported / B)
//
// Both tables get sparse row gradients (gather), so an SGD step touches only
// the rows of the batch — never a dense V×D gradient. The learning rate
// decays linearly to 0 over the run, as in word2vec.c.

#include "frontend/flowgrad.h"

namespace flowgrad::models {

struct Word2VecConfig {
  std::string mode = "skipgram";  // skipgram | cbow
  int64_t dim = 64;
  int32_t window = 5;
  int32_t negatives = 5;
  double sample = 1e-3;
  int64_t min_count = 5;
  double lr = 0.025;
  int64_t seed = 1;

  // config.json with these field names; FormatError naming the file and a
  // field of the wrong type, ValueError for a bad value.
  static Word2VecConfig from_json_file(const std::string& path);
  void validate() const;
};

struct Word2Vec {
  Expr inputs;     // skip-gram: "inputs" i32 [B]; CBOW: "contexts" i32 [B, 2W] + "context_mask" f32 [B, 2W]
  Expr mask;       // CBOW only
  Expr targets;    // "targets" i32 [B]
  Expr negatives;  // "negatives" i32 [B, K]
  Expr input_vectors, output_vectors;
  Expr loss;
  optim::TrainStep train;
};

// With `data_parallel`, `batch` is one worker's part of the global batch, and
// the gradients are exchanged between workers (sparse rows, optim.h).
Word2Vec word2vec(Builder& b, const Word2VecConfig& c, int64_t vocab_size, int64_t batch, int64_t total_steps,
                  std::optional<optim::DataParallel> data_parallel = std::nullopt);

}  // namespace flowgrad::models
