#pragma once
// The demo's data, generated (nothing can be downloaded):
//
// corpus.txt — a synthetic English corpus from a small probabilistic grammar
//   over word families (animals, foods, colours, cities and their countries,
//   royalty and people, numbers, vehicles, weather). Words of a family share
//   contexts, so word2vec neighbours are meaningful ("cat" -> dog, horse...),
//   and templates pair "king/queen", "man/woman", "city/country" so analogies
//   work. One sentence per line, a blank line between documents.
//
// sentiment_{train,test}.tsv — "sentence<TAB>label" (positive / negative)
//   whose labels need word order and negation: "the meal seemed bad but it
//   was great" (the clause after "but" decides), "the trip was hardly sad and
//   rather happy", "the song felt good rather than dull". Every sentence has
//   a twin with the same words in another order and the opposite label, so
//   an order-blind (bag-of-words) model stays at chance.

#include <string>

namespace flowgrad::tools {

struct DataOptions {
  std::string out_dir = "data";
  int corpus_documents = 6000;
  int sentiment_train = 6000;
  int sentiment_test = 1000;
  uint64_t seed = 1;
};

// Writes the files; returns a one-line summary.
std::string generate_data(const DataOptions& options);

}  // namespace flowgrad::tools
