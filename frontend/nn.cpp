#include "frontend/nn.h"

#include "ops/dropout.h"
#include "ops/gather.h"
#include "ops/layer_norm.h"

namespace flowgrad::frontend::nn {
namespace {

[[noreturn]] void fail(Builder& b, std::string_view name, const char* layer, const std::string& what, const Loc& loc) {
  throw ShapeError(b.path(name) + " (" + layer + "): " + what + " (at " + SourceLoc::from(loc).str() + ")");
}

}  // namespace

Expr linear(Builder& b, Expr x, LinearOptions o, std::string_view name, const Loc& loc) {
  if (o.out_features <= 0) fail(b, name, "linear", "expected out_features > 0, got " + std::to_string(o.out_features), loc);
  if (x.rank() < 2) fail(b, name, "linear", "expected an input of rank >= 2, got " + x.type().str(), loc);
  auto s = b.scope(std::string(name));
  int64_t in = x.dim(-1);
  Expr w = b.variable("weight", {.shape = {o.out_features, in}, .init = o.init, .scale = o.init_scale, .seed = o.seed}, loc);
  Expr y = ops::matmul(x, w, {.transpose_b = true}, loc);  // [..., in] x [out, in]^T -> [..., out]
  if (!o.bias) return y;
  Expr bias = b.variable("bias", {.shape = {o.out_features}, .init = "zeros"}, loc);
  return ops::add(y, bias, loc);
}

Expr embedding_table(Builder& b, EmbeddingShape shape, EmbeddingOptions o, std::string_view name, const Loc& loc) {
  if (shape.num_embeddings <= 0 || shape.dim <= 0) {
    fail(b, name, "embedding", "expected num_embeddings and dim > 0, got " + std::to_string(shape.num_embeddings) + " and " +
                                   std::to_string(shape.dim), loc);
  }
  auto s = b.scope(std::string(name));
  return b.variable("weight", {.shape = {shape.num_embeddings, shape.dim}, .init = "normal", .scale = o.init_std, .seed = o.seed},
                    loc);
}

Expr embedding(Builder& b, Expr ids, EmbeddingShape shape, EmbeddingOptions o, std::string_view name, const Loc& loc) {
  return ops::gather(embedding_table(b, shape, o, name, loc), ids, loc);
}

Expr layer_norm(Builder& b, Expr x, LayerNormOptions o, std::string_view name, const Loc& loc) {
  auto s = b.scope(std::string(name));
  int64_t h = x.dim(-1);
  Expr gamma = b.variable("weight", {.shape = {h}, .init = "ones"}, loc);
  Expr beta = b.variable("bias", {.shape = {h}, .init = "zeros"}, loc);
  return ops::layer_norm(x, gamma, beta, {.eps = o.eps}, loc);
}

Expr dropout(Builder& b, Expr x, DropoutOptions o, const Loc& loc) {
  if (!o.training || o.p == 0.0) return x;
  return ops::dropout(x, {.p = o.p, .seed = o.seed, .training = true}, loc);
}

}  // namespace flowgrad::frontend::nn
