#include "models/lstm_classifier.h"

#include <cmath>
#include <fstream>

#include "models/json_fields.h"

#include "ops/lstm.h"
#include "ops/slice.h"

namespace flowgrad::models {

LstmClassifierConfig LstmClassifierConfig::from_json_file(const std::string& path) {
  nlohmann::json j = read_json_object(path);
  LstmClassifierConfig c;
  read_field(j, "vocab_size", c.vocab_size, path);
  read_field(j, "embedding_dim", c.embedding_dim, path);
  read_field(j, "hidden_size", c.hidden_size, path);
  read_field(j, "num_layers", c.num_layers, path);
  read_field(j, "bidirectional", c.bidirectional, path);
  read_field(j, "dropout", c.dropout, path);
  read_field(j, "num_labels", c.num_labels, path);
  read_field(j, "seed", c.seed, path);
  return c;
}

void LstmClassifierConfig::to_json_file(const std::string& path) const {
  nlohmann::json j = {{"model_type", "lstm_classifier"}, {"vocab_size", vocab_size},       {"embedding_dim", embedding_dim},
                      {"hidden_size", hidden_size},      {"num_layers", num_layers},       {"bidirectional", bidirectional},
                      {"dropout", dropout},              {"num_labels", num_labels},       {"seed", seed}};
  std::ofstream f(path);
  if (!f) throw Error("cannot write '" + path + "'");
  f << j.dump(2) << "\n";
}

void LstmClassifierConfig::validate() const {
  using Field = std::pair<const char*, int64_t>;
  for (auto [name, v] : std::initializer_list<Field>{{"vocab_size", vocab_size}, {"embedding_dim", embedding_dim},
                                                     {"hidden_size", hidden_size}, {"num_layers", num_layers},
                                                     {"num_labels", num_labels}}) {
    if (v <= 0) throw ValueError(std::string("lstm classifier: expected ") + name + " > 0, got " + std::to_string(v));
  }
  if (dropout < 0 || dropout >= 1) throw ValueError("lstm classifier: expected dropout in [0, 1), got " + std::to_string(dropout));
}

LstmClassifier lstm_classifier(Builder& b, const LstmClassifierConfig& c, int64_t batch, int64_t seq, bool training) {
  c.validate();
  LstmClassifier m;
  m.ids = b.input("ids", {DType::i32, {batch, seq}});
  m.lengths = b.input("lengths", {DType::i32, {batch}});
  m.labels = b.input("labels", {DType::i32, {batch}});
  auto s = b.scope("lstm_classifier");
  Expr x = nn::embedding(b, m.ids, {.num_embeddings = c.vocab_size, .dim = c.embedding_dim},
                         {.init_std = 0.1, .seed = c.seed}, "embedding");  // [B, T, E]

  ops::LstmAttrs attrs{.hidden_size = c.hidden_size, .num_layers = c.num_layers, .bidirectional = c.bidirectional};
  std::vector<Expr> params;
  {
    auto l = b.scope("lstm");
    auto names = ops::lstm_parameter_names(attrs);
    auto shapes = ops::lstm_parameter_shapes(attrs, c.embedding_dim);
    double bound = 1.0 / std::sqrt(static_cast<double>(c.hidden_size));  // nn.LSTM's init
    for (size_t i = 0; i < names.size(); ++i) {
      params.push_back(b.variable(names[i], {.shape = shapes[i], .init = "uniform", .scale = bound, .seed = c.seed + 10 + static_cast<int64_t>(i)}));
    }
  }
  ops::LstmResult r = ops::lstm(x, params, attrs, {.lengths = m.lengths, .batch_first = true});
  int64_t dirs = c.bidirectional ? 2 : 1;
  // h_n [L·D, B, H]: the last layer's directions -> [B, D·H]
  Expr last = ops::slice(r.h_n, {.axes = {0}, .starts = {(c.num_layers - 1) * dirs}, .ends = {c.num_layers * dirs}});
  Expr features = ops::reshape(ops::transpose(last, {1, 0, 2}), {batch, dirs * c.hidden_size});
  features = nn::dropout(b, features, {.p = c.dropout, .training = training, .seed = c.seed});
  m.logits = nn::linear(b, features, {.out_features = c.num_labels, .seed = c.seed + 2}, "classifier");
  m.loss = ops::softmax_cross_entropy(m.logits, m.labels);
  return m;
}

}  // namespace flowgrad::models
