#include "text/pretraining.h"

#include <doctest/doctest.h>

#include "graph/error.h"

namespace flowgrad::testing {
namespace {

using text::SequenceExample;
using text::TokenizedDocument;
using text::Vocab;

// [PAD] [UNK] [CLS] [SEP] [MASK] then n ordinary tokens.
Vocab bert_vocab(int n) {
  Vocab v;
  for (const std::string& s : text::SpecialTokens{}.list()) v.add(s);
  for (int i = 0; i < n; ++i) v.add("t" + std::to_string(i));
  return v;
}

TEST_CASE("MLM selects 15% of the non-special tokens and replaces them 80/10/10") {
  Vocab v = bert_vocab(1000);
  text::MlmMasker masker(v);
  int64_t candidates = 0, selected = 0, masked = 0, random = 0, kept = 0;
  for (uint64_t s = 0; s < 3000; ++s) {  // 3000 x 128 = 384k tokens
    text::CounterRng rng(11, s);
    std::vector<int32_t> original(128);
    for (int32_t& id : original) id = 5 + static_cast<int32_t>(rng.below(1000));
    original[0] = v.cls_id();
    original[60] = v.sep_id();
    original[100] = v.unk_id();
    original[120] = v.sep_id();
    for (int t = 121; t < 128; ++t) original[t] = v.pad_id();
    std::vector<int32_t> ids = original, labels(128);
    masker.apply(ids, labels, rng);
    int64_t here = 0;
    for (size_t t = 0; t < 128; ++t) {
      if (v.is_special(original[t])) {
        REQUIRE(labels[t] == -100);  // never a special token
        REQUIRE(ids[t] == original[t]);
        continue;
      }
      ++candidates;
      if (labels[t] == -100) {
        REQUIRE(ids[t] == original[t]);
        continue;
      }
      ++here;
      REQUIRE(labels[t] == original[t]);
      if (ids[t] == v.mask_id()) {
        ++masked;
      } else if (ids[t] == original[t]) {
        ++kept;
      } else {
        ++random;
        REQUIRE_FALSE(v.is_special(ids[t]));
      }
    }
    REQUIRE(std::abs(static_cast<double>(here) - 0.15 * 116) < 1.0);  // 116 candidates: 17 or 18
    selected += here;
  }
  double sel = static_cast<double>(selected);
  CHECK(sel / static_cast<double>(candidates) == doctest::Approx(0.15).epsilon(0.01 / 0.15));
  CHECK(static_cast<double>(masked) / sel == doctest::Approx(0.8).epsilon(0.01 / 0.8));
  CHECK(static_cast<double>(random) / sel == doctest::Approx(0.1).epsilon(0.01 / 0.1));
  CHECK(static_cast<double>(kept) / sel == doctest::Approx(0.1).epsilon(0.01 / 0.1));
}

TEST_CASE("MLM respects max_predictions and checks its options") {
  Vocab v = bert_vocab(10);
  text::MlmMasker capped(v, {.max_predictions = 2});
  std::vector<int32_t> ids(100, 7), labels(100);
  text::CounterRng rng(1, 1);
  capped.apply(ids, labels, rng);
  CHECK(std::count_if(labels.begin(), labels.end(), [](int32_t l) { return l != -100; }) == 2);
  CHECK_THROWS_WITH_AS(text::MlmMasker(v, {.mask_prob = 1.5}), "expected mask_prob in [0, 1], got 1.500000",
                       ValueError);
  Vocab no_mask = Vocab::parse("[UNK]\na\n", "v");
  CHECK_THROWS_WITH_AS(text::MlmMasker(no_mask, {}), "vocabulary has no [MASK] token", ValueError);
}

// n documents of 10 sentences of 3..15 tokens; every token id is unique and
// ids run consecutively through a document, so contiguity is visible.
std::vector<TokenizedDocument> numbered_docs(int n, std::vector<std::pair<int32_t, int32_t>>* ranges) {
  std::vector<TokenizedDocument> docs;
  int32_t next = 5;
  text::CounterRng rng(42, 0);
  for (int d = 0; d < n; ++d) {
    TokenizedDocument doc;
    int32_t first = next;
    for (int s = 0; s < 10; ++s) {
      std::vector<int32_t> sentence(3 + rng.below(13));
      for (int32_t& id : sentence) id = next++;
      doc.push_back(sentence);
    }
    ranges->push_back({first, next});
    docs.push_back(doc);
  }
  return docs;
}

TEST_CASE("NSP pairs: half are the actual next segment, the rest come from another document") {
  std::vector<std::pair<int32_t, int32_t>> ranges;
  auto docs = numbered_docs(2000, &ranges);
  auto doc_of = [&](int32_t id) {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), id, [](int32_t x, const auto& r) { return x < r.first; });
    return std::prev(it) - ranges.begin();
  };
  text::PretrainingOptions options{.max_len = 24};
  auto pairs = text::make_segment_pairs(docs, options, 3, 0);
  REQUIRE(pairs.size() > 10000);
  int64_t next = 0;
  for (const auto& p : pairs) {
    REQUIRE(!p.a.empty());
    REQUIRE(!p.b.empty());
    REQUIRE(p.a.size() + p.b.size() <= 21);
    for (size_t i = 1; i < p.a.size(); ++i) REQUIRE(p.a[i] == p.a[i - 1] + 1);  // contiguous text
    for (size_t i = 1; i < p.b.size(); ++i) REQUIRE(p.b[i] == p.b[i - 1] + 1);
    if (p.is_next) {
      ++next;
      REQUIRE(doc_of(p.b.front()) == doc_of(p.a.front()));
      if (p.a.size() + p.b.size() < 21) REQUIRE(p.b.front() == p.a.back() + 1);  // untruncated: B follows A
    } else {
      REQUIRE(doc_of(p.b.front()) != doc_of(p.a.front()));
    }
  }
  CHECK(static_cast<double>(next) / static_cast<double>(pairs.size()) == doctest::Approx(0.5).epsilon(0.02 / 0.5));
}

TEST_CASE("NSP truncation shortens the longer segment first") {
  // A 50-token document of 7s and a 3-token document of 8s; max 10 tokens.
  std::vector<TokenizedDocument> docs = {{std::vector<int32_t>(50, 7)}, {std::vector<int32_t>(3, 8)}};
  int random_from_short = 0, random_from_long = 0, next_in_long = 0;
  for (uint64_t epoch = 0; epoch < 40; ++epoch) {
    for (const auto& p : text::make_segment_pairs(docs, {.max_len = 13, .short_seq_prob = 0}, 1, epoch)) {
      CHECK(p.a.size() + p.b.size() <= 10);
      if (!p.is_next && p.a[0] == 8) {  // A (1-2 tokens) intact, the long B cut
        CHECK(p.b.size() == 10 - p.a.size());
        ++random_from_short;
      } else if (!p.is_next && p.a[0] == 7) {  // B (3 tokens) intact, A cut to fit if needed
        CHECK(p.b.size() == 3);
        CHECK(p.a.size() <= 7);
        ++random_from_long;
      } else if (p.is_next && p.a[0] == 7) {
        CHECK(p.a.size() + p.b.size() == 10);
        CHECK(std::min(p.a.size(), p.b.size()) >= 1);
        ++next_in_long;
      }
    }
  }
  CHECK(random_from_short > 0);
  CHECK(random_from_long > 0);
  CHECK(next_in_long > 0);
  CHECK_THROWS_WITH_AS(text::make_segment_pairs({docs[0]}, {}, 1, 0),
                       "expected at least 2 documents for next-sentence pairs, got 1", ValueError);
}

TEST_CASE("pairs pack as [CLS] A [SEP] B [SEP] with segment ids and the NSP label") {
  Vocab v = bert_vocab(20);
  SequenceExample ex = text::pack_pair({.a = {10, 11}, .b = {12}, .is_next = false}, v);
  CHECK(ex.ids == std::vector<int32_t>{2, 10, 11, 3, 12, 3});
  CHECK(ex.segment_ids == std::vector<int32_t>{0, 0, 0, 0, 1, 1});
  CHECK(ex.label == 1);
  CHECK(text::pack_pair({.a = {10}, .b = {12}, .is_next = true}, v).label == 0);
  text::PaddedSequence p = text::pad_sequence(ex, 8, v.pad_id());
  CHECK(p.ids == std::vector<int32_t>{2, 10, 11, 3, 12, 3, 0, 0});
  CHECK(p.segment_ids == std::vector<int32_t>{0, 0, 0, 0, 1, 1, 0, 0});
  CHECK(p.attention_mask == std::vector<int32_t>{1, 1, 1, 1, 1, 1, 0, 0});
  CHECK(p.token_labels == std::vector<int32_t>(8, -100));
  CHECK_THROWS_WITH_AS(text::pad_sequence(ex, 5, 0), "expected at most max_len = 5 tokens, got 6", ValueError);
}

TEST_CASE("pre-training examples are reproducible per epoch and re-masked each epoch") {
  Vocab v = bert_vocab(2000);
  std::vector<std::pair<int32_t, int32_t>> ranges;
  auto docs = numbered_docs(50, &ranges);
  text::PretrainingOptions options{.max_len = 64};
  auto e0 = text::make_pretraining_examples(docs, v, options, 9, 0);
  auto again = text::make_pretraining_examples(docs, v, options, 9, 0);
  auto e1 = text::make_pretraining_examples(docs, v, options, 9, 1);
  REQUIRE(e0.size() == again.size());
  bool same = true, differ = false;
  for (size_t i = 0; i < e0.size(); ++i) {
    same = same && e0[i].ids == again[i].ids && e0[i].token_labels == again[i].token_labels;
    REQUIRE(e0[i].ids.size() <= 64);
    REQUIRE(e0[i].ids.front() == v.cls_id());
    REQUIRE(e0[i].ids.back() == v.sep_id());
    REQUIRE(e0[i].token_labels.front() == -100);
  }
  for (size_t i = 0; i < std::min(e0.size(), e1.size()); ++i) differ = differ || e0[i].ids != e1[i].ids;
  CHECK(same);
  CHECK(differ);
}

}  // namespace
}  // namespace flowgrad::testing
