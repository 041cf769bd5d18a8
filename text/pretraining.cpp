#include "text/pretraining.h"

#include <cmath>
#include <string>

#include "graph/error.h"

namespace flowgrad::text {
namespace {

constexpr uint64_t kPairStream = 0x6e7370;  // "nsp"
constexpr uint64_t kMlmStream = 0x6d6c6d;   // "mlm"

void check_probability(double p, const char* name) {
  if (!(p >= 0 && p <= 1)) throw ValueError(std::string("expected ") + name + " in [0, 1], got " + std::to_string(p));
}

std::vector<int32_t> concat(const TokenizedDocument& doc, size_t first, size_t last) {
  std::vector<int32_t> out;
  for (size_t s = first; s < last; ++s) out.insert(out.end(), doc[s].begin(), doc[s].end());
  return out;
}

// Sentences of a document other than `d`, from a uniform start, until at
// least `target` tokens (at least one sentence).
std::vector<int32_t> random_segment(const std::vector<TokenizedDocument>& docs, size_t d, int64_t target,
                                    CounterRng& rng) {
  size_t r = rng.below(docs.size() - 1);
  if (r >= d) ++r;
  const TokenizedDocument& doc = docs[r];
  std::vector<int32_t> out;
  for (size_t s = rng.below(doc.size()); s < doc.size(); ++s) {
    if (!out.empty() && static_cast<int64_t>(out.size()) >= target) break;
    out.insert(out.end(), doc[s].begin(), doc[s].end());
  }
  return out;
}

// Drops the last token of the longer segment (B on ties) until they fit.
void truncate_pair(std::vector<int32_t>& a, std::vector<int32_t>& b, size_t max_tokens) {
  while (a.size() + b.size() > max_tokens) (a.size() > b.size() ? a : b).pop_back();
}

void pairs_from_document(const std::vector<TokenizedDocument>& docs, size_t d, const PretrainingOptions& o,
                         CounterRng& rng, std::vector<SegmentPair>& out) {
  const TokenizedDocument& doc = docs[d];
  const int64_t max_tokens = o.max_len - 3;
  for (size_t i = 0; i < doc.size();) {
    int64_t target = rng.bernoulli(o.short_seq_prob) ? rng.between(2, max_tokens) : max_tokens;
    size_t j = i;
    int64_t length = 0;
    while (j < doc.size() && (j == i || length < target)) length += static_cast<int64_t>(doc[j++].size());
    SegmentPair p;
    p.is_next = rng.bernoulli(o.next_prob);
    std::vector<int32_t> rest;
    size_t a_sentences = 1;
    if (j - i >= 2) {
      a_sentences = static_cast<size_t>(rng.between(1, static_cast<int64_t>(j - i) - 1));
      p.a = concat(doc, i, i + a_sentences);
      rest = concat(doc, i + a_sentences, j);
    } else if (doc[i].size() >= 2) {
      auto k = static_cast<size_t>(rng.between(1, static_cast<int64_t>(doc[i].size()) - 1));
      p.a.assign(doc[i].begin(), doc[i].begin() + static_cast<int64_t>(k));
      rest.assign(doc[i].begin() + static_cast<int64_t>(k), doc[i].end());
    } else {
      p.a = doc[i];
      p.is_next = false;  // a single token has no continuation to pair with
    }
    if (p.is_next) {
      p.b = std::move(rest);
      i = j;
    } else {
      p.b = random_segment(docs, d, target - static_cast<int64_t>(p.a.size()), rng);
      i = j - i >= 2 ? i + a_sentences : j;  // the unused sentences start the next pair
    }
    truncate_pair(p.a, p.b, static_cast<size_t>(max_tokens));
    out.push_back(std::move(p));
  }
}

}  // namespace

std::vector<TokenizedDocument> tokenize_documents(const std::vector<Document>& docs,
                                                  const WordPieceTokenizer& tokenizer) {
  std::vector<TokenizedDocument> out;
  for (const Document& doc : docs) {
    TokenizedDocument td;
    for (const Sentence& s : doc) {
      std::vector<int32_t> ids = tokenizer.encode(s);
      if (!ids.empty()) td.push_back(std::move(ids));
    }
    if (!td.empty()) out.push_back(std::move(td));
  }
  return out;
}

MlmMasker::MlmMasker(const Vocab& vocab, MlmOptions options) : options_(options), mask_id_(vocab.mask_id()) {
  check_probability(options_.mask_prob, "mask_prob");
  check_probability(options_.mask_token_prob, "mask_token_prob");
  check_probability(options_.random_token_prob, "random_token_prob");
  check_probability(options_.mask_token_prob + options_.random_token_prob, "mask_token_prob + random_token_prob");
  special_.resize(static_cast<size_t>(vocab.size()));
  for (int32_t id = 0; id < vocab.size(); ++id) {
    special_[static_cast<size_t>(id)] = vocab.is_special(id);
    if (!vocab.is_special(id)) ordinary_.push_back(id);
  }
  if (ordinary_.empty()) throw ValueError("expected a vocabulary with non-special tokens to mask");
}

void MlmMasker::apply(std::span<int32_t> ids, std::span<int32_t> labels, CounterRng& rng) const {
  FLOWGRAD_CHECK(ids.size() == labels.size(), "ids and labels differ in length");
  std::vector<size_t> candidates;
  for (size_t t = 0; t < ids.size(); ++t) {
    labels[t] = options_.ignore_label;
    auto id = static_cast<size_t>(ids[t]);
    if (ids[t] < 0 || id >= special_.size() || !special_[id]) candidates.push_back(t);
  }
  double expected = options_.mask_prob * static_cast<double>(candidates.size());
  auto n = static_cast<size_t>(std::floor(expected));
  if (rng.uniform() < expected - std::floor(expected)) ++n;
  if (options_.max_predictions > 0) n = std::min(n, static_cast<size_t>(options_.max_predictions));
  for (size_t k = 0; k < n; ++k) {  // partial Fisher-Yates: candidates[0, n) is a uniform subset
    std::swap(candidates[k], candidates[k + rng.below(candidates.size() - k)]);
    size_t t = candidates[k];
    labels[t] = ids[t];
    double r = rng.uniform();
    if (r < options_.mask_token_prob) {
      ids[t] = mask_id_;
    } else if (r < options_.mask_token_prob + options_.random_token_prob) {
      ids[t] = ordinary_[rng.below(ordinary_.size())];
    }
  }
}

void MlmMasker::apply(SequenceExample& example, CounterRng& rng) const {
  example.token_labels.resize(example.ids.size());
  apply(example.ids, example.token_labels, rng);
}

std::vector<SegmentPair> make_segment_pairs(const std::vector<TokenizedDocument>& docs,
                                            const PretrainingOptions& options, uint64_t seed, uint64_t epoch) {
  if (options.max_len < 5) {
    throw ValueError("expected max_len >= 5 ([CLS] a [SEP] b [SEP]), got " + std::to_string(options.max_len));
  }
  check_probability(options.short_seq_prob, "short_seq_prob");
  check_probability(options.next_prob, "next_prob");
  if (docs.size() < 2) {
    throw ValueError("expected at least 2 documents for next-sentence pairs, got " + std::to_string(docs.size()));
  }
  for (size_t d = 0; d < docs.size(); ++d) {
    if (docs[d].empty()) throw ValueError("document " + std::to_string(d) + ": expected sentences, got none");
    for (const auto& s : docs[d]) {
      if (s.empty()) throw ValueError("document " + std::to_string(d) + ": expected non-empty sentences");
    }
  }
  std::vector<SegmentPair> out;
  for (size_t d = 0; d < docs.size(); ++d) {
    CounterRng rng(seed, stream_key(kPairStream, epoch, d));
    pairs_from_document(docs, d, options, rng, out);
  }
  return out;
}

SequenceExample pack_pair(const SegmentPair& pair, const Vocab& vocab) {
  SequenceExample ex;
  ex.ids.push_back(vocab.cls_id());
  ex.ids.insert(ex.ids.end(), pair.a.begin(), pair.a.end());
  ex.ids.push_back(vocab.sep_id());
  ex.segment_ids.assign(ex.ids.size(), 0);
  ex.ids.insert(ex.ids.end(), pair.b.begin(), pair.b.end());
  ex.ids.push_back(vocab.sep_id());
  ex.segment_ids.resize(ex.ids.size(), 1);
  ex.label = pair.is_next ? 0 : 1;
  return ex;
}

std::vector<SequenceExample> make_pretraining_examples(const std::vector<TokenizedDocument>& docs,
                                                       const Vocab& vocab, const PretrainingOptions& options,
                                                       uint64_t seed, uint64_t epoch) {
  MlmMasker masker(vocab, options.mlm);
  std::vector<SegmentPair> pairs = make_segment_pairs(docs, options, seed, epoch);
  std::vector<SequenceExample> out;
  out.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    out.push_back(pack_pair(pairs[i], vocab));
    CounterRng rng(seed, stream_key(kMlmStream, epoch, i));
    masker.apply(out.back(), rng);
  }
  return out;
}

}  // namespace flowgrad::text
