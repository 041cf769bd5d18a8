#include "frontend/nn.h"

namespace flowgrad::frontend::nn {

Expr linear(Builder& b, Expr x, LinearOptions o, std::string_view name, const Loc& loc) {
  if (o.out_features <= 0) {
    throw ValueError(b.path(name) + " (linear): expected out_features > 0, got " + std::to_string(o.out_features) +
                     " (at " + SourceLoc::from(loc).str() + ")");
  }
  if (x.rank() < 1) throw ShapeError(b.path(name) + " (linear): expected an input of rank >= 1, got a scalar (at " + SourceLoc::from(loc).str() + ")");
  auto s = b.scope(std::string(name));
  int64_t in = x.dim(-1);
  Expr w = b.variable("weight", {.shape = {o.out_features, in}, .init = "xavier_uniform", .seed = o.seed}, loc);
  // matmul wants rank >= 2: [in] is treated as a batch of one by the caller.
  Expr y = ops::matmul(x, w, {.transpose_b = true}, loc);  // [..., in] x [out, in]^T -> [..., out]
  if (!o.bias) return y;
  Expr bias = b.variable("bias", {.shape = {o.out_features}, .init = "zeros"}, loc);
  return ops::add(y, bias, loc);
}

}  // namespace flowgrad::frontend::nn
