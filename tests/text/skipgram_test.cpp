#include "text/skipgram.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "graph/error.h"
#include "text/basic_tokenizer.h"

namespace flowgrad::testing {
namespace {

using text::SkipGramPair;
using text::Vocab;

// Words w0..w{n-1}; word i occurs counts[i] times.
Vocab counted_vocab(const std::vector<int64_t>& counts) {
  Vocab v({}, {});
  for (size_t i = 0; i < counts.size(); ++i) v.add("w" + std::to_string(i), counts[i]);
  return v;
}

TEST_CASE("sentences encode to ids without out-of-vocabulary words, cut at the maximum length") {
  Vocab v = counted_vocab({5, 5, 5});
  std::vector<text::Document> docs = {{"w0 zz w1 w2 w0", "qq"}, {"w2"}};
  auto sentences = text::encode_sentences(docs, v, text::split_whitespace, 3);
  CHECK(sentences == std::vector<text::IdSentence>{{0, 1, 2}, {0}, {2}});
}

TEST_CASE("subsampling keeps words with word2vec's probability, frequent words less often") {
  // Word 0 makes half the corpus, word 1 a tiny share.
  Vocab v = counted_vocab({500000, 10, 100000, 399990});
  text::Word2VecSampler s(v, {.window = 2, .sample = 1e-3});
  double tn = 1e-3 * 1e6;
  CHECK(s.keep_probability(0) == doctest::Approx((std::sqrt(500000 / tn) + 1) * tn / 500000));
  CHECK(s.keep_probability(1) >= 1.0);
  CHECK(s.keep_probability(0) < s.keep_probability(3));  // the more frequent, the less often kept
  CHECK(s.keep_probability(3) < s.keep_probability(2));
  CHECK(s.keep_probability(2) < 1.0);
  std::vector<int32_t> sentence;
  for (int i = 0; i < 50000; ++i) sentence.insert(sentence.end(), {0, 1});
  text::CounterRng rng(3, 4);
  auto kept = s.subsample(sentence, rng);
  auto kept0 = std::count(kept.begin(), kept.end(), 0), kept1 = std::count(kept.begin(), kept.end(), 1);
  CHECK(kept1 == 50000);
  CHECK(static_cast<double>(kept0) / 50000 == doctest::Approx(s.keep_probability(0)).epsilon(0.05));
  text::Word2VecSampler off(v, {.sample = 0});
  CHECK(off.keep_probability(0) == 1.0);
}

TEST_CASE("skip-gram windows shrink uniformly: distance d appears with weight (window - d + 1) / window") {
  Vocab v = counted_vocab(std::vector<int64_t>(1000, 1));
  text::Word2VecSampler s(v, {.window = 4, .sample = 0});
  std::vector<int32_t> sentence(1000);
  std::iota(sentence.begin(), sentence.end(), 0);  // word id == position
  std::vector<SkipGramPair> pairs;
  for (uint64_t k = 0; k < 20; ++k) {
    text::CounterRng rng(1, k);
    s.skipgram(sentence, rng, pairs);
  }
  std::map<int, int64_t> by_distance;
  for (const SkipGramPair& p : pairs) by_distance[std::abs(p.input - p.target)]++;
  REQUIRE(by_distance.size() == 4);
  CHECK(by_distance.begin()->first == 1);
  CHECK(by_distance.rbegin()->first == 4);
  for (int d = 2; d <= 4; ++d) {
    double ratio = static_cast<double>(by_distance[d]) / static_cast<double>(by_distance[1]);
    CHECK_MESSAGE(ratio == doctest::Approx((4.0 - d + 1) / 4.0).epsilon(0.03), "distance ", d);
  }
  // Left and right of the center are always used together.
  int64_t left = 0;
  for (const SkipGramPair& p : pairs) left += p.input < p.target;
  CHECK(static_cast<double>(left) / static_cast<double>(pairs.size()) == doctest::Approx(0.5).epsilon(0.01));
}

TEST_CASE("CBOW contexts are the skip-gram inputs of the same center under the same stream") {
  Vocab v = counted_vocab({100, 50, 30, 20, 10, 5, 5, 2});
  text::Word2VecSampler s(v, {.window = 3, .sample = 1e-2});
  std::vector<int32_t> sentence = {0, 1, 2, 0, 3, 4, 0, 5, 6, 7, 0, 1};
  text::CounterRng r1(9, 9), r2(9, 9);
  std::vector<SkipGramPair> pairs;
  std::vector<text::CbowExample> cbow;
  s.skipgram(sentence, r1, pairs);
  s.cbow(sentence, r2, cbow);
  std::vector<SkipGramPair> regrouped;
  for (const auto& ex : cbow) {
    for (int32_t c : ex.context) regrouped.push_back({c, ex.target});
  }
  CHECK(regrouped == pairs);
}

TEST_CASE("an epoch's examples are reproducible and a new epoch draws new ones") {
  Vocab v = counted_vocab({40, 30, 20, 10});
  text::Word2VecSampler s(v, {.window = 2, .sample = 0.1});
  std::vector<text::IdSentence> sentences(50, {0, 1, 2, 3, 0, 1, 0, 2});
  auto e0 = s.skipgram_epoch(sentences, 5, 0);
  CHECK(s.skipgram_epoch(sentences, 5, 0) == e0);
  CHECK(s.skipgram_epoch(sentences, 5, 1) != e0);
  CHECK(s.skipgram_epoch(sentences, 6, 0) != e0);
  CHECK(s.cbow_epoch(sentences, 5, 0).size() > 0);
}

TEST_CASE("the unigram table follows count^0.75 and leaves out words without counts") {
  Vocab v({}, {});
  v.add("[UNK]");  // count 0: never a negative
  v.add("a", 1000);
  v.add("b", 100);
  v.add("c", 10);
  auto table = text::unigram_table(v, 100000);
  std::map<int64_t, int64_t> share;
  const std::vector<int32_t> slots = table.slots();
  for (int64_t id : slots) share[id]++;
  CHECK(share.count(0) == 0);
  double z = std::pow(1000, 0.75) + std::pow(100, 0.75) + std::pow(10, 0.75);
  CHECK(share[1] / 1e5 == doctest::Approx(std::pow(1000, 0.75) / z).epsilon(0.001));
  CHECK(share[2] / 1e5 == doctest::Approx(std::pow(100, 0.75) / z).epsilon(0.001));
  CHECK(share[3] / 1e5 == doctest::Approx(std::pow(10, 0.75) / z).epsilon(0.01));
  CHECK(std::is_sorted(slots.begin(), slots.end()));  // filled in vocabulary order, like word2vec.c
}

TEST_CASE("a unigram table's indexed lookup returns exactly its slots") {
  std::vector<int32_t> slots;
  text::CounterRng rng(5, 6);
  for (int32_t run = 0; run < 400; ++run) {  // runs of 1 to 200 slots, ids not in order
    slots.insert(slots.end(), 1 + rng.below(rng.bernoulli(0.5) ? 3 : 200), static_cast<int32_t>(rng.below(50)));
  }
  text::UnigramTable table(slots);
  REQUIRE(table.size() == static_cast<int64_t>(slots.size()));
  int64_t wrong = 0;
  for (size_t a = 0; a < slots.size(); ++a) wrong += table[a] != slots[a];
  CHECK(wrong == 0);
  const std::vector<int32_t> written = table.slots();
  CHECK(std::equal(written.begin(), written.end(), slots.begin(), slots.end()));
}

TEST_CASE("skip-gram and CBOW batches carry negatives that avoid the target") {
  Vocab v = counted_vocab({10, 10, 10});
  auto table = text::unigram_table(v, 300);
  std::vector<SkipGramPair> pairs = {{0, 1}, {2, 0}, {1, 2}};
  text::CounterRng rng(1, 2);
  auto batch = text::make_skipgram_batch(pairs, table, 5, rng);
  CHECK(batch.inputs.type().str() == "i32[3]");
  CHECK(batch.negatives.type().str() == "i32[3, 5]");
  CHECK(batch.targets.data<int32_t>()[1] == 0);
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t k = 0; k < 5; ++k) CHECK(batch.negatives.data<int32_t>()[i * 5 + k] != pairs[i].target);
  }
  std::vector<text::CbowExample> cbow = {{1, {0, 2}}, {0, {1}}};
  auto cb = text::make_cbow_batch(cbow, 2, table, 3, rng);
  CHECK(cb.contexts.type().str() == "i32[2, 4]");
  CHECK(std::vector<float>(cb.context_mask.data<float>(), cb.context_mask.data<float>() + 8) ==
        std::vector<float>{1, 1, 0, 0, 1, 0, 0, 0});
  CHECK_THROWS_WITH_AS(text::make_cbow_batch(cbow, 0, table, 3, rng),
                       "example 0: expected at most 2 * window = 0 context words, got 2", ValueError);
}

TEST_CASE("word2vec options are checked") {
  Vocab v = counted_vocab({1});
  CHECK_THROWS_WITH_AS(text::Word2VecSampler(v, {.window = 0}), "expected window >= 1, got 0", ValueError);
  CHECK_THROWS_WITH_AS(text::Word2VecSampler(counted_vocab({0})), doctest::Contains("counts that sum to 0"), ValueError);
}

}  // namespace
}  // namespace flowgrad::testing
