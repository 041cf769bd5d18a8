// flowgrad neighbors | analogy: queries on word vectors in the word2vec text
// format (the vectors.txt `flowgrad train word2vec` writes, or gensim's).

#include <cstdio>

#include "models/word_vectors.h"
#include "tools/commands.h"

namespace flowgrad::tools {
namespace {

struct VectorArgs {
  std::string vectors;
  std::vector<std::string> words;
  int k = 10;
};

void add_common(CLI::App* cmd, VectorArgs& a) {
  cmd->add_option("--vectors", a.vectors, "Word vectors in the word2vec text format (e.g. <out>/vectors.txt)")->required();
  cmd->add_option("-k,--top", a.k, "How many words to list")->check(CLI::PositiveNumber);
}

void print_list(const std::vector<std::pair<std::string, float>>& list) {
  if (list.empty()) std::printf(" (no other words)");
  for (const auto& [w, s] : list) std::printf(" %s (%.3f)", w.c_str(), s);
  std::printf("\n");
}

}  // namespace

Command add_neighbors_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("neighbors", "The nearest words (cosine similarity) of each WORD");
  auto a = std::make_shared<VectorArgs>();
  cmd->add_option("words", a->words, "WORD...")->required();
  add_common(cmd, *a);
  return [a] {
    auto wv = models::WordVectors::load_word2vec_text(a->vectors);
    for (const auto& w : a->words) {
      std::printf("%s ->", w.c_str());
      print_list(wv.most_similar(w, a->k));
    }
    return 0;
  };
}

Command add_analogy_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("analogy", "A is to B as C is to ?: the words nearest to B - A + C");
  auto a = std::make_shared<VectorArgs>();
  a->k = 5;
  cmd->add_option("words", a->words, "A B C (e.g. man king woman)")->required()->expected(3);
  add_common(cmd, *a);
  return [a] {
    auto wv = models::WordVectors::load_word2vec_text(a->vectors);
    const auto& w = a->words;
    std::printf("%s - %s + %s ->", w[1].c_str(), w[0].c_str(), w[2].c_str());
    print_list(wv.analogy(w[0], w[1], w[2], a->k));
    return 0;
  };
}

}  // namespace flowgrad::tools
