// The LSTM classifier against PyTorch (tests/fixtures/make_lstm_classifier.py:
// nn.Embedding -> nn.LSTM on a packed batch -> nn.Linear -> cross-entropy):
// logits, loss and every parameter gradient, then 3 training steps with the
// optimizer `flowgrad train lstm` uses (clip to global norm 1 + AdamW) and
// with plain Adam (the sparse embedding update): the losses and every weight
// afterwards. Tolerance: rel. 1e-5 of each tensor's largest magnitude (all pass at
// 1e-6 here; the losses at 1e-5).

#include "models/lstm_classifier.h"

#include "fixtures_util.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

const models::LstmClassifierConfig kTiny{.vocab_size = 20, .embedding_dim = 6, .hidden_size = 5, .num_layers = 2,
                                         .bidirectional = true, .dropout = 0, .num_labels = 3};
constexpr int64_t kBatch = 4, kSeq = 7;

struct Fixture {
  std::map<std::string, Tensor> tensors = read_safetensors(fixture_path("lstm_classifier.safetensors"));
  const Tensor& at(const std::string& name) const {
    auto it = tensors.find(name);
    REQUIRE_MESSAGE(it != tensors.end(), "fixture has no tensor " << name);
    return it->second;
  }
  runtime::Feeds feeds() const { return {{"ids", at("ids")}, {"lengths", at("lengths")}, {"labels", at("labels")}}; }
  void load_weights(runtime::Workspace& ws) const {
    for (const auto& [name, t] : tensors) {
      if (name.rfind("init/", 0) == 0) ws.set(name.substr(5), t);
    }
  }
};

TEST_CASE("LSTM classifier: logits, loss and every gradient match PyTorch") {
  Fixture fx;
  Builder b;
  auto m = models::lstm_classifier(b, kTiny, kBatch, kSeq, true);
  auto params = optim::trainable_variables(b, m.loss);
  REQUIRE(params.size() == 3 + 4 * 2 * 2);  // embedding, classifier weight + bias, 4 per layer and direction
  auto grads = autodiff::grad(m.loss, params);
  runtime::Workspace ws;
  fx.load_weights(ws);
  runtime::Session sess(b.graph(), ws);
  std::vector<graph::ValueId> fetch{m.logits.id(), m.loss.id()};
  for (auto& g : grads) fetch.push_back(g.id());
  auto out = sess.run(fx.feeds(), fetch);
  CHECK_CLOSE(out[0], fx.at("logits"), 1e-5);
  CHECK_CLOSE(out[1], fx.at("loss"), 1e-5);
  for (size_t i = 0; i < params.size(); ++i) {
    std::string name = params[i].producer().name;
    INFO(name);
    CHECK_CLOSE(out[2 + i], fx.at("grad/" + name), 1e-5);
  }
}

void check_training(const std::string& prefix, const optim::Optimizer& optimizer) {
  Fixture fx;
  Builder b;
  auto m = models::lstm_classifier(b, kTiny, kBatch, kSeq, true);
  auto train = optim::minimize(b, m.loss, optimizer);
  runtime::Workspace ws;
  fx.load_weights(ws);
  runtime::Session sess(b.graph(), ws);
  const Tensor& losses = fx.at(prefix + "/losses");
  for (int i = 0; i < 4; ++i) {
    double loss = sess.run(fx.feeds(), {m.loss.id(), (i < 3 ? train.step : m.loss).id()})[0].at(0);
    CHECK(loss == doctest::Approx(losses.at(i)).epsilon(1e-5));
  }
  for (const auto& p : train.params) {
    std::string name = p.producer().name;
    INFO(prefix << " " << name);
    CHECK_CLOSE(ws.get(name), fx.at(prefix + "/" + name), 1e-5);
  }
}

TEST_CASE("LSTM classifier: 3 steps of clipped AdamW (flowgrad train's optimizer) follow PyTorch") {
  check_training("adamw", optim::AdamW{.lr = 1e-2, .weight_decay = 0.01, .clip_norm = 1.0});
}

TEST_CASE("LSTM classifier: 3 steps of Adam with the sparse embedding update follow PyTorch") {
  check_training("adam", optim::Adam{.lr = 1e-2});
}

}  // namespace
}  // namespace flowgrad::testing
