// Word2vec with negative sampling against PyTorch
// (tests/fixtures/make_word2vec.py), skip-gram and CBOW on one fixed batch
// with repeated words: the loss, the gradients of both tables (sparse rows,
// duplicates summed) and both whole tables after 1 and 3 SGD steps with the
// linearly decaying rate — untouched rows must not move. Tolerance: rel. 1e-5
// of each tensor's largest magnitude (all pass at 1e-6 here).

#include "models/word2vec.h"

#include "fixtures_util.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

constexpr int64_t kVocab = 12, kBatch = 5, kTotalSteps = 4;

void check_mode(const std::string& mode) {
  auto fx = read_safetensors(fixture_path("word2vec.safetensors"));
  auto at = [&](const std::string& name) -> const Tensor& {
    REQUIRE_MESSAGE(fx.contains(name), "fixture has no tensor " << name);
    return fx.at(name);
  };
  Builder b;
  auto m = models::word2vec(b, {.mode = mode, .dim = 4, .window = 2, .negatives = 3, .lr = 0.5}, kVocab, kBatch, kTotalSteps);
  runtime::Workspace ws;
  const std::string in = m.input_vectors.producer().name, out = m.output_vectors.producer().name;
  ws.set(in, at("input_vectors"));
  ws.set(out, at("output_vectors"));
  runtime::Session sess(b.graph(), ws);
  runtime::Feeds feeds{{"targets", at("targets")}, {"negatives", at("negatives")}};
  if (mode == "cbow") {
    feeds.emplace_back("contexts", at("contexts"));
    feeds.emplace_back("context_mask", at("context_mask"));
  } else {
    feeds.emplace_back("inputs", at("inputs"));
  }
  REQUIRE(m.train.params.size() == 2);
  REQUIRE(m.train.params[0].producer().name == in);
  const Tensor& losses = at(mode + "/losses");
  for (int step = 1; step <= 4; ++step) {
    CAPTURE(step);
    std::vector<graph::ValueId> fetch{m.loss.id()};
    if (step == 1) fetch.insert(fetch.end(), {m.train.grads[0].id(), m.train.grads[1].id()});
    if (step <= 3) fetch.push_back(m.train.step.id());
    auto got = sess.run(feeds, fetch);
    CHECK(got[0].at(0) == doctest::Approx(losses.at(step - 1)).epsilon(1e-5));
    if (step == 1) {
      CHECK_CLOSE(got[1], at(mode + "/grad_input"), 1e-5);
      CHECK_CLOSE(got[2], at(mode + "/grad_output"), 1e-5);
    }
    if (step == 1 || step == 3) {
      CHECK_CLOSE(ws.get(in), at(mode + "/input_vectors_" + std::to_string(step)), 1e-5);
      CHECK_CLOSE(ws.get(out), at(mode + "/output_vectors_" + std::to_string(step)), 1e-5);
    }
  }
}

TEST_CASE("word2vec skip-gram with negative sampling: loss, gradients and 3 SGD steps match PyTorch") {
  check_mode("skipgram");
}

TEST_CASE("word2vec CBOW with negative sampling: loss, gradients and 3 SGD steps match PyTorch") { check_mode("cbow"); }

}  // namespace
}  // namespace flowgrad::testing
