#include "models/word2vec.h"

#include "runtime/comm.h"

#include "models/json_fields.h"
#include "ops/concat.h"
#include "ops/gather.h"
#include "ops/word2vec.h"

namespace flowgrad::models {

Word2VecConfig Word2VecConfig::from_json_file(const std::string& path) {
  nlohmann::json j = read_json_object(path);
  Word2VecConfig c;
  read_field(j, "mode", c.mode, path);
  read_field(j, "dim", c.dim, path);
  read_field(j, "window", c.window, path);
  read_field(j, "negatives", c.negatives, path);
  read_field(j, "sample", c.sample, path);
  read_field(j, "min_count", c.min_count, path);
  read_field(j, "lr", c.lr, path);
  read_field(j, "seed", c.seed, path);
  c.validate();
  return c;
}

void Word2VecConfig::validate() const {
  if (mode != "skipgram" && mode != "cbow") throw ValueError("word2vec: expected mode skipgram|cbow, got '" + mode + "'");
  using Field = std::pair<const char*, int64_t>;
  for (auto [name, v] : std::initializer_list<Field>{{"dim", dim}, {"window", window}, {"negatives", negatives}, {"min_count", min_count}}) {
    if (v <= 0) throw ValueError(std::string("word2vec: expected ") + name + " > 0, got " + std::to_string(v));
  }
  if (lr <= 0) throw ValueError("word2vec: expected lr > 0, got " + std::to_string(lr));
  if (sample < 0) throw ValueError("word2vec: expected sample >= 0, got " + std::to_string(sample));
}

Word2Vec word2vec(Builder& b, const Word2VecConfig& c, int64_t vocab_size, int64_t batch, int64_t total_steps,
                  std::optional<optim::DataParallel> data_parallel) {
  c.validate();
  Word2Vec m;
  int64_t k = c.negatives, d = c.dim;
  bool cbow = c.mode == "cbow";
  if (cbow) {
    m.inputs = b.input("contexts", {DType::i32, {batch, 2 * c.window}});
    m.mask = b.input("context_mask", {DType::f32, {batch, 2 * c.window}});
  } else {
    m.inputs = b.input("inputs", {DType::i32, {batch}});
  }
  m.targets = b.input("targets", {DType::i32, {batch}});
  m.negatives = b.input("negatives", {DType::i32, {batch, k}});
  auto s = b.scope("word2vec");
  // word2vec.c: input vectors uniform in ±0.5/D, output vectors zero
  m.input_vectors = b.variable("input_vectors", {.shape = {vocab_size, d}, .init = "uniform", .scale = 0.5 / static_cast<double>(d), .seed = c.seed});
  m.output_vectors = b.variable("output_vectors", {.shape = {vocab_size, d}, .init = "zeros"});
  Expr h;
  if (cbow) {
    Expr rows = ops::gather(m.input_vectors, m.inputs);                  // [B, 2W, D]
    Expr masked = rows * ops::reshape(m.mask, {batch, 2 * c.window, 1});  // padding rows -> 0
    Expr count = ops::reduce_sum(m.mask, {.axes = {1}, .keepdims = true}) + 1e-6f;  // [B, 1]
    h = ops::reduce_sum(masked, {.axes = {1}}) / count;                  // [B, D]
  } else {
    h = ops::gather(m.input_vectors, m.inputs);  // [B, D]
  }
  Expr candidates = ops::concat({ops::reshape(m.targets, {batch, 1}), m.negatives}, 1);  // [B, 1+K]
  Expr logits = ops::gathered_dot(h, m.output_vectors, candidates);                     // [B, 1+K]
  Tensor labels({DType::f32, {batch, 1 + k}});
  for (int64_t i = 0; i < batch; ++i) labels.data<float>()[i * (1 + k)] = 1.0f;
  // word2vec.c applies every example's gradient at the full rate: sum, not mean
  Expr total = ops::sigmoid_binary_cross_entropy(logits, b.constant(labels), {.reduction = "sum"});
  m.loss = total * (1.0f / static_cast<float>(batch));  // reported per example
  optim::Sgd sgd{.lr = c.lr, .schedule = {.kind = "linear", .total_steps = std::max<int64_t>(total_steps, 1)}};
  if (data_parallel) {
    // Workers average their gradients; x workers makes that average the sum
    // over the global batch, as one process with every example would apply.
    const int64_t workers = data_parallel->workers > 0 ? data_parallel->workers : runtime::world().size();
    m.train = optim::minimize(b, total * static_cast<float>(workers), sgd, *data_parallel);
  } else {
    m.train = optim::minimize(b, total, sgd);
  }
  return m;
}

}  // namespace flowgrad::models
