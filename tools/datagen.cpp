#include "tools/datagen.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "graph/error.h"

namespace flowgrad::tools {
namespace {

using Words = std::vector<std::string>;

// SplitMix64 stream: deterministic for a seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  const std::string& pick(const Words& w) { return w[below(w.size())]; }
  bool coin(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t s_;
};

const Words kAnimals = {"cat", "dog", "horse", "cow", "sheep", "goat", "rabbit", "mouse", "lion", "tiger", "wolf", "fox"};
const Words kFoods = {"apple", "banana", "orange", "bread", "cheese", "rice", "soup", "pasta", "cake", "pear", "grape", "carrot"};
const Words kColours = {"red", "blue", "green", "yellow", "white", "black", "brown", "purple"};
const Words kVehicles = {"car", "bus", "train", "bicycle", "truck", "boat", "plane", "taxi"};
const Words kWeather = {"rain", "snow", "wind", "sun", "fog", "storm"};
const Words kNumbers = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
const std::vector<std::pair<std::string, std::string>> kCities = {
    {"paris", "france"}, {"london", "england"}, {"berlin", "germany"}, {"rome", "italy"},
    {"madrid", "spain"}, {"tokyo", "japan"},    {"cairo", "egypt"},    {"lisbon", "portugal"}};
// (male, female) pairs: the analogy axis.
const std::vector<std::pair<std::string, std::string>> kPeople = {
    {"king", "queen"}, {"man", "woman"}, {"boy", "girl"}, {"prince", "princess"}, {"father", "mother"},
    {"brother", "sister"}, {"uncle", "aunt"}, {"son", "daughter"}};

std::string sentence(Rng& r) {
  const auto& [city, country] = kCities[r.below(kCities.size())];
  const auto& [he, she] = kPeople[r.below(kPeople.size())];
  const std::string& who = r.coin(0.5) ? he : she;
  const std::string pronoun = &who == &he ? "he" : "she";
  switch (r.below(12)) {
    case 0: return "the " + r.pick(kAnimals) + " chased the " + r.pick(kAnimals) + " across the field";
    case 1: return "a " + r.pick(kAnimals) + " and a " + r.pick(kAnimals) + " sleep in the barn";
    case 2: return "the " + who + " ate some " + r.pick(kFoods) + " and a " + r.pick(kFoods) + " for lunch";
    case 3: return "we cooked " + r.pick(kFoods) + " with " + r.pick(kFoods) + " for dinner";
    case 4: return city + " is the capital of " + country;
    case 5: return "the " + who + " travelled from " + city + " to " + kCities[r.below(kCities.size())].first + " by " + r.pick(kVehicles);
    case 6: return "the " + he + " and the " + she + " live in " + country;
    case 7: return "the " + he + " said that " + "he" + " loves the " + she;
    case 8: return pronoun + " painted the " + r.pick(kVehicles) + " " + r.pick(kColours) + " and " + r.pick(kColours);
    case 9: return "there was " + r.pick(kWeather) + " and " + r.pick(kWeather) + " in " + city + " today";
    case 10: return "the " + who + " bought " + r.pick(kNumbers) + " " + r.pick(kColours) + " " + r.pick(kFoods) + "s";
    default: return "in " + country + " the " + she + " rode a " + r.pick(kVehicles) + " with her " + r.pick(kAnimals);
  }
}

const Words kPositive = {"good", "great", "happy", "wonderful", "lovely", "pleasant", "excellent", "delightful"};
const Words kNegative = {"bad", "awful", "sad", "terrible", "boring", "horrible", "dull", "miserable"};
const Words kThings = {"movie", "meal", "trip", "book", "concert", "party", "story", "day", "song", "game"};
const Words kNegators = {"not", "hardly", "never"};

// A sentence with label `positive` and its twin: the same words in another
// order with the opposite label.
struct Pair {
  std::string text, twin;
};

Pair labelled(Rng& r, bool positive) {
  const std::string& thing = r.pick(kThings);
  const std::string& good = r.pick(kPositive);
  const std::string& bad = r.pick(kNegative);
  const std::string& yes = positive ? good : bad;  // the adjective that decides
  const std::string& no = positive ? bad : good;
  switch (r.below(3)) {
    case 0:  // "seemed X but it was Y": the clause after "but" decides
      return {"the " + thing + " seemed " + no + " but it was " + yes, "the " + thing + " seemed " + yes + " but it was " + no};
    case 1: {  // negation: "was Y , not X" / "was hardly X and rather Y"
      const std::string& neg = r.pick(kNegators);
      return {"the " + thing + " was " + neg + " " + no + " and rather " + yes,
              "the " + thing + " was " + neg + " " + yes + " and rather " + no};
    }
    default:  // "felt X rather than Y": the first adjective decides
      return {"the " + thing + " felt " + yes + " rather than " + no, "the " + thing + " felt " + no + " rather than " + yes};
  }
}

void write_tsv(const std::string& path, Rng& r, int n) {
  std::ofstream f(path);
  if (!f) throw Error("cannot write '" + path + "'");
  f << "sentence\tlabel\n";
  for (int i = 0; i < n / 2; ++i) {
    bool positive = r.coin(0.5);
    Pair p = labelled(r, positive);
    f << p.text << '\t' << (positive ? "positive" : "negative") << '\n';
    f << p.twin << '\t' << (positive ? "negative" : "positive") << '\n';
  }
}

}  // namespace

std::string generate_data(const DataOptions& o) {
  std::filesystem::create_directories(o.out_dir);
  Rng r(o.seed);
  std::ofstream corpus(o.out_dir + "/corpus.txt");
  if (!corpus) throw Error("cannot write '" + o.out_dir + "/corpus.txt'");
  int64_t tokens = 0;
  for (int d = 0; d < o.corpus_documents; ++d) {
    int sentences = 3 + static_cast<int>(r.below(6));
    for (int s = 0; s < sentences; ++s) {
      std::string line = sentence(r);
      tokens += 1 + static_cast<int64_t>(std::count(line.begin(), line.end(), ' '));
      corpus << line << " .\n";
    }
    corpus << '\n';
  }
  write_tsv(o.out_dir + "/sentiment_train.tsv", r, o.sentiment_train);
  write_tsv(o.out_dir + "/sentiment_test.tsv", r, o.sentiment_test);
  return "wrote " + o.out_dir + "/corpus.txt (" + std::to_string(o.corpus_documents) + " documents, " +
         std::to_string(tokens) + " words), sentiment_train.tsv (" + std::to_string(o.sentiment_train) +
         "), sentiment_test.tsv (" + std::to_string(o.sentiment_test) + ")";
}

}  // namespace flowgrad::tools
