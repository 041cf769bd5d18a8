#pragma once
// Layers built from ops, as in torch.nn. Each creates its variables under
// "<scope>/<name>/..." with PyTorch's parameter names (weight, bias).

#include "frontend/builder.h"

namespace flowgrad::frontend::nn {

// Options of linear().
struct LinearOptions {
  int64_t out_features = 0;             // required: the width of the output
  bool bias = true;                     // add a bias [out] (zeros at first)
  std::string init = "xavier_uniform";  // or "normal" with std init_scale (BERT: 0.02)
  double init_scale = 0.0;              // std of "normal"
  int64_t seed = 0;                     // of the weight's initializer
};

// y = x · Wᵀ + b, as torch.nn.Linear: weight [out, in], bias [out] (zeros).
//   x: [..., in] -> [..., out]
Expr linear(Builder& b, Expr x, LinearOptions options, std::string_view name = "linear",
            const Loc& loc = Loc::current());

// The size of an embedding table.
struct EmbeddingShape {
  int64_t num_embeddings = 0;  // rows (vocabulary size)
  int64_t dim = 0;             // columns (embedding width)
};
// How an embedding table is initialized.
struct EmbeddingOptions {
  double init_std = 1.0;  // normal(0, init_std), as torch.nn.Embedding (BERT: 0.02)
  int64_t seed = 0;       // of the initializer
};

// The table variable "<scope>/<name>/weight" [num_embeddings, dim].
Expr embedding_table(Builder& b, EmbeddingShape shape, EmbeddingOptions options, std::string_view name = "embedding",
                     const Loc& loc = Loc::current());
// Rows of a new table by integer ids: ids [...] -> [..., dim]. The table's
// gradient is sparse (only the looked-up rows).
Expr embedding(Builder& b, Expr ids, EmbeddingShape shape, EmbeddingOptions options, std::string_view name = "embedding",
               const Loc& loc = Loc::current());

// Options of layer_norm().
struct LayerNormOptions {
  double eps = 1e-5;  // added to the variance
};
// Over the last axis with weight (ones) and bias (zeros) [H]: x [..., H] -> [..., H]
Expr layer_norm(Builder& b, Expr x, LayerNormOptions options, std::string_view name = "LayerNorm",
                const Loc& loc = Loc::current());

// Options of dropout().
struct DropoutOptions {
  double p = 0.1;        // probability of zeroing an element
  bool training = true;  // false: the identity (evaluation graphs)
  int64_t seed = 0;      // of the counter-based random stream
};
// Inverted dropout; the identity when !training or p == 0 (no node emitted).
Expr dropout(Builder& b, Expr x, DropoutOptions options, const Loc& loc = Loc::current());

}  // namespace flowgrad::frontend::nn
