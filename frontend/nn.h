#pragma once
// Layers built from ops, as in torch.nn.

#include "frontend/builder.h"

namespace flowgrad::frontend::nn {

struct LinearOptions {
  int64_t out_features = 0;
  bool bias = true;
  int64_t seed = 0;
};

// y = x · Wᵀ + b, as torch.nn.Linear: weight [out, in] (Xavier-uniform),
// bias [out] (zeros). Variables "<scope>/<name>/weight" and ".../bias".
//   x: [..., in] -> [..., out]
Expr linear(Builder& b, Expr x, LinearOptions options, std::string_view name = "linear",
            const Loc& loc = Loc::current());

}  // namespace flowgrad::frontend::nn
