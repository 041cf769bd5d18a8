// flowgrad's WordPiece against Hugging Face's tokenizer: every sentence of
// tests/fixtures/wordpiece_expected.jsonl (made by tests/fixtures/
// make_wordpiece.mjs with @huggingface/tokenizers from wordpiece_vocab.txt)
// must tokenize to exactly the same tokens and ids.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "fixtures.h"
#include "text/corpus.h"
#include "text/wordpiece.h"

namespace flowgrad::testing {
namespace {

using text::Vocab;
using text::WordPieceTokenizer;

// The training corpus of the fixture vocabulary: the word list, then the
// first kTrainSentences sentences (the rest hold characters the vocabulary
// has never seen, which must come out as [UNK]).
constexpr size_t kTrainSentences = 200;
const text::WordPieceTrainerOptions kFixtureTrainer{.vocab_size = 2500, .min_frequency = 2};

std::vector<text::Document> fixture_training_corpus() {
  std::string words = text::read_text_file(fixture_path("wordpiece_words.txt"));
  std::string sentences = text::read_text_file(fixture_path("wordpiece_sentences.txt"));
  std::vector<std::string_view> lines = text::split_lines(sentences);
  std::string corpus = words + "\n";
  for (size_t i = 0; i < kTrainSentences && i < lines.size(); ++i) corpus.append(lines[i]).append("\n");
  return text::parse_corpus(corpus, "fixture training corpus");
}

TEST_CASE("the fixture vocabulary is what the WordPiece trainer makes from the fixture corpus") {
  Vocab committed = Vocab::load(fixture_path("wordpiece_vocab.txt"));
  Vocab trained = text::train_wordpiece(fixture_training_corpus(), text::BasicTokenizer{}, kFixtureTrainer);
  if (trained.tokens() != committed.tokens()) {
    trained.save("wordpiece_vocab.trained.txt");
    FAIL("trainer output differs from tests/fixtures/wordpiece_vocab.txt; the new vocabulary is in "
         "wordpiece_vocab.trained.txt (build dir): if the change is intended, copy it over and rerun "
         "`node make_wordpiece.mjs` in tests/fixtures");
  }
  CHECK(committed.size() <= kFixtureTrainer.vocab_size);
  CHECK(committed.token(0) == "[PAD]");
  CHECK(committed.token(4) == "[MASK]");
}

TEST_CASE("WordPiece matches Hugging Face's tokenizer on every fixture sentence") {
  WordPieceTokenizer tok(Vocab::load(fixture_path("wordpiece_vocab.txt")));
  std::ifstream in(fixture_path("wordpiece_expected.jsonl"));
  REQUIRE(in.good());
  std::string line;
  int sentences = 0, unknowns = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    std::string sentence = j.at("text");
    auto want_tokens = j.at("tokens").get<std::vector<std::string>>();
    auto want_ids = j.at("ids").get<std::vector<int32_t>>();
    CAPTURE(sentence);
    CHECK(tok.tokenize(sentence) == want_tokens);
    CHECK(tok.encode(sentence) == want_ids);
    unknowns += static_cast<int>(std::count(want_tokens.begin(), want_tokens.end(), "[UNK]"));
    ++sentences;
  }
  CHECK(sentences >= 200);
  CHECK(unknowns > 0);  // the fixture exercises the [UNK] paths too
}

}  // namespace
}  // namespace flowgrad::testing
