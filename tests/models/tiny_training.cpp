// Tiny training setups of the three models with resumable loaders (see
// tiny_training.h).

#include "tiny_training.h"

#include <span>

#include "models/bert.h"
#include "models/lstm_classifier.h"
#include "models/word2vec.h"
#include "text/batcher.h"
#include "text/random.h"
#include "text/skipgram.h"
#include "text/vocab.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

// ---- word2vec: skip-gram pairs per epoch + negatives from a counter stream

constexpr int64_t kW2vBatch = 8;
constexpr int32_t kNegatives = 3;
constexpr uint64_t kW2vSeed = 11;

struct SkipGramData {
  text::Vocab vocab;
  std::vector<text::IdSentence> sentences;
  text::UnigramTable table;
};

std::shared_ptr<const SkipGramData> skipgram_data() {
  auto d = std::make_shared<SkipGramData>();
  const char* words[] = {"the", "cat", "sat", "on", "mat", "dog", "ran", "far", "red", "sun"};
  for (int i = 0; i < 10; ++i) d->vocab.add(words[i], 20 - i);
  text::CounterRng rng(3, 4);
  for (int s = 0; s < 3; ++s) {
    text::IdSentence sentence;
    for (int w = 0; w < 5; ++w) sentence.push_back(static_cast<int32_t>(rng.below(10)));
    d->sentences.push_back(sentence);
  }
  d->table = text::unigram_table(d->vocab, 1000);
  return d;
}

class SkipGramLoader : public Loader {
 public:
  explicit SkipGramLoader(std::shared_ptr<const SkipGramData> data)
      : data_(std::move(data)), sampler_(data_->vocab, {.window = 2, .sample = 0}) {
    load_epoch(0);
  }

  runtime::Feeds next() override {
    if (index_ == per_epoch()) load_epoch(epoch_ + 1);
    auto pairs = std::span(pairs_).subspan(static_cast<size_t>(index_ * kW2vBatch), kW2vBatch);
    auto batch = text::make_skipgram_batch(pairs, data_->table, kNegatives, rng_);
    ++index_;
    return {{"inputs", batch.inputs}, {"targets", batch.targets}, {"negatives", batch.negatives}};
  }

  std::map<std::string, std::string> state() const override {
    return {{"loader_epoch", std::to_string(epoch_)},
            {"loader_index", std::to_string(index_)},
            {"negatives_rng", std::to_string(rng_.counter())}};
  }

  void restore(const std::map<std::string, std::string>& s) override {
    load_epoch(std::stoll(s.at("loader_epoch")));
    index_ = std::stoll(s.at("loader_index"));
    rng_.set_counter(std::stoull(s.at("negatives_rng")));
  }

  int64_t per_epoch() const { return static_cast<int64_t>(pairs_.size()) / kW2vBatch; }

 private:
  void load_epoch(int64_t epoch) {
    epoch_ = epoch;
    index_ = 0;
    pairs_ = sampler_.skipgram_epoch(data_->sentences, kW2vSeed, static_cast<uint64_t>(epoch));
  }

  std::shared_ptr<const SkipGramData> data_;
  text::Word2VecSampler sampler_;
  std::vector<text::SkipGramPair> pairs_;
  int64_t epoch_ = 0, index_ = 0;
  text::CounterRng rng_{kW2vSeed, 7};
};

// ---- sequence models: a shuffled Batcher over synthetic sentences

constexpr int64_t kBatch = 4;
constexpr int32_t kLen = 8;
constexpr int64_t kVocab = 50;
constexpr int64_t kPredictions = 2;

// 20 sentences of 4..8 tokens; with `mlm`, [CLS]=2 first, segments A/B, and
// up to two masked tokens ([MASK]=3) labelled with the original id.
std::shared_ptr<const std::vector<text::SequenceExample>> sentences(bool mlm) {
  auto data = std::make_shared<std::vector<text::SequenceExample>>();
  text::CounterRng rng(5, mlm);
  for (int i = 0; i < 20; ++i) {
    text::SequenceExample e;
    int64_t n = rng.between(4, kLen);
    for (int64_t t = 0; t < n; ++t) e.ids.push_back(static_cast<int32_t>(rng.between(5, kVocab - 1)));
    e.label = i % 2;
    if (mlm) {
      e.ids[0] = 2;
      for (int64_t t = 0; t < n; ++t) e.segment_ids.push_back(t < n / 2 ? 0 : 1);
      e.token_labels.assign(static_cast<size_t>(n), -100);
      for (int k = 0; k < kPredictions; ++k) {
        auto t = static_cast<size_t>(rng.between(1, n - 1));
        e.token_labels[t] = e.ids[t];
        e.ids[t] = 3;
      }
    }
    data->push_back(e);
  }
  return data;
}

class BatcherLoader : public Loader {
 public:
  using MakeFeeds = std::function<runtime::Feeds(const text::Batch&)>;
  BatcherLoader(std::shared_ptr<const std::vector<text::SequenceExample>> data, MakeFeeds feeds)
      : batcher_(std::move(data), {.batch_size = kBatch, .max_len = kLen, .shuffle = true, .seed = 9, .drop_last = true}),
        feeds_(std::move(feeds)) {}
  runtime::Feeds next() override { return feeds_(batcher_.next()); }
  std::map<std::string, std::string> state() const override { return {{"loader", batcher_.state_json()}}; }
  void restore(const std::map<std::string, std::string>& s) override { batcher_.restore(s.at("loader")); }

 private:
  text::Batcher batcher_;
  MakeFeeds feeds_;
};

// Masked positions of each row [B, P] and their labels (-100 past the last).
runtime::Feeds mlm_feeds(const text::Batch& b) {
  Tensor pos({DType::i32, {kBatch, kPredictions}}), labels({DType::i32, {kBatch, kPredictions}});
  for (int64_t r = 0; r < kBatch; ++r) {
    int64_t k = 0;
    for (int64_t i = 0; i < kLen && k < kPredictions; ++i) {
      int32_t l = b.token_labels.data<int32_t>()[r * kLen + i];
      if (l == -100) continue;
      pos.data<int32_t>()[r * kPredictions + k] = static_cast<int32_t>(i);
      labels.data<int32_t>()[r * kPredictions + k++] = l;
    }
    for (; k < kPredictions; ++k) labels.data<int32_t>()[r * kPredictions + k] = -100;
  }
  return {{"ids", b.ids}, {"segments", b.segment_ids}, {"attention", b.attention_mask},
          {"mlm_positions", pos}, {"mlm_labels", labels}, {"nsp_labels", b.labels}};
}

}  // namespace

TinyTraining tiny_word2vec() {
  auto data = skipgram_data();
  Builder b;
  models::Word2VecConfig c{.dim = 8, .window = 2, .negatives = kNegatives, .sample = 0, .min_count = 1, .lr = 0.05, .seed = 4};
  models::Word2Vec m = models::word2vec(b, c, data->vocab.size(), kW2vBatch, 12);
  return {"word2vec", b.graph(), m.loss.id(), m.train.step.id(), false,
          [data] { return std::make_unique<SkipGramLoader>(data); }};
}

TinyTraining tiny_lstm() {
  auto data = sentences(false);
  Builder b;
  models::LstmClassifierConfig c{.vocab_size = kVocab, .embedding_dim = 8, .hidden_size = 8, .dropout = 0.5, .seed = 3};
  auto m = models::lstm_classifier(b, c, kBatch, kLen, true);
  auto train = optim::minimize(b, m.loss, optim::AdamW{.lr = 0.01, .clip_norm = 1.0});
  auto feeds = [](const text::Batch& x) {
    return runtime::Feeds{{"ids", x.ids}, {"lengths", x.lengths}, {"labels", x.labels}};
  };
  return {"lstm", b.graph(), m.loss.id(), train.step.id(), true,
          [data, feeds] { return std::make_unique<BatcherLoader>(data, feeds); }};
}

TinyTraining tiny_bert() {
  auto data = sentences(true);
  Builder b;
  models::BertConfig c{.vocab_size = kVocab, .hidden_size = 16, .num_hidden_layers = 1, .num_attention_heads = 2,
                       .intermediate_size = 32, .max_position_embeddings = 16};
  auto in = models::bert_inputs(b, kBatch, kLen);
  Expr positions = b.input("mlm_positions", {DType::i32, {kBatch, kPredictions}});
  Expr mlm_labels = b.input("mlm_labels", {DType::i32, {kBatch, kPredictions}});
  Expr nsp_labels = b.input("nsp_labels", {DType::i32, {kBatch}});
  auto enc = models::bert_encoder(b, c, in, {.training = true, .seed = 6});
  auto heads = models::bert_pretraining_heads(b, c, enc, positions, mlm_labels, nsp_labels);
  auto train = optim::minimize(b, heads.loss, optim::AdamW{.lr = 1e-3, .schedule = {.kind = "linear", .warmup_steps = 3, .total_steps = 12},
                                                          .clip_norm = 1.0});
  return {"bert", b.graph(), heads.loss.id(), train.step.id(), true,
          [data] { return std::make_unique<BatcherLoader>(data, mlm_feeds); }};
}

}  // namespace flowgrad::testing
