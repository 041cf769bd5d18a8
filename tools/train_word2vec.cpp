// flowgrad train word2vec: skip-gram / CBOW (--cbow or "mode": "cbow") with negative sampling on a
// corpus; prints nearest neighbours and an analogy; writes the vectors in the
// word2vec text format; checkpoints with --checkpoint-dir (tools/checkpointing.h).

#include <cstdio>
#include <filesystem>
#include <string_view>
#include <unordered_map>

#include "models/word2vec.h"
#include "models/word_vectors.h"
#include "text/basic_tokenizer.h"
#include "text/corpus.h"
#include "text/skipgram.h"
#include "tools/checkpointing.h"
#include "tools/train.h"
#include "tools/workers.h"

namespace flowgrad::tools {
namespace {

text::Vocab corpus_vocab(const std::vector<text::Document>& docs, int64_t min_count) {
  std::unordered_map<std::string_view, int64_t> counts;  // views into docs
  for (const auto& d : docs) {
    for (const auto& s : d) text::for_each_whitespace_word(s, [&](std::string_view w) { ++counts[w]; });
  }
  std::vector<std::pair<int64_t, std::string_view>> order;
  for (const auto& [w, n] : counts) {
    if (n >= min_count) order.emplace_back(-n, w);
  }
  std::sort(order.begin(), order.end());  // most frequent first, ties by spelling
  text::Vocab v;
  for (const auto& [n, w] : order) v.add(w, -n);
  if (v.size() == 0) throw ValueError("the corpus has no word occurring at least " + std::to_string(min_count) + " times");
  return v;
}

void print_neighbours(const models::WordVectors& wv) {
  for (const char* w : {"cat", "apple", "paris", "red", "king", "car"}) {
    if (wv.index(w) < 0) continue;
    std::printf("  %-8s ->", w);
    for (const auto& [n, s] : wv.most_similar(w, 5)) std::printf(" %s (%.2f)", n.c_str(), s);
    std::printf("\n");
  }
  if (wv.index("king") >= 0 && wv.index("man") >= 0 && wv.index("woman") >= 0) {
    auto a = wv.analogy("man", "king", "woman", 3);
    std::printf("  king - man + woman -> %s, %s, %s\n", a[0].first.c_str(), a[1].first.c_str(), a[2].first.c_str());
  }
}

}  // namespace

int train_word2vec(const TrainArgs& args) {
  models::Word2VecConfig c = args.config.empty() ? models::Word2VecConfig{} : models::Word2VecConfig::from_json_file(args.config);
  if (args.lr > 0) c.lr = args.lr;
  if (args.cbow) c.mode = "cbow";
  auto docs = text::read_corpus(data_file(args.data, "corpus.txt"));
  text::Vocab vocab = corpus_vocab(docs, c.min_count);
  std::vector<text::IdSentence> sentences;
  for (const auto& d : docs) {
    for (const auto& s : d) {
      text::IdSentence ids;
      text::for_each_whitespace_word(s, [&](std::string_view w) {
        if (auto id = vocab.find(w)) ids.push_back(*id);
      });
      sentences.push_back(std::move(ids));
    }
  }
  text::Word2VecSampler sampler(vocab, {.window = c.window, .sample = c.sample});
  auto table = text::unigram_table(vocab, 1'000'000);
  const bool cbow = c.mode == "cbow";
  auto seed = static_cast<uint64_t>(args.seed);
  std::vector<text::SkipGramPair> pairs;
  std::vector<text::CbowExample> windows;
  auto new_epoch = [&](uint64_t epoch) {
    if (cbow) windows = sampler.cbow_epoch(sentences, seed, epoch);
    else pairs = sampler.skipgram_epoch(sentences, seed, epoch);
    return static_cast<int64_t>(cbow ? windows.size() : pairs.size());
  };
  int64_t examples = new_epoch(0);  // of the current epoch
  const int64_t first_epoch_examples = examples;
  int64_t b = args.batch_size * num_workers();  // the global batch: each worker trains on its slice
  int64_t per_epoch = examples / b;
  if (per_epoch == 0) {
    throw ValueError("word2vec: the corpus gives " + std::to_string(examples) + " training examples, fewer than one batch of " +
                     std::to_string(b));
  }
  int64_t steps = args.steps > 0 ? args.steps : per_epoch * args.epochs;
  std::printf("word2vec (%s): %d words, %zu sentences, %lld %s per epoch, dim %lld, %lld steps of %lld\n", c.mode.c_str(),
              vocab.size(), sentences.size(), static_cast<long long>(examples), cbow ? "windows" : "pairs",
              static_cast<long long>(c.dim), static_cast<long long>(steps), static_cast<long long>(b));

  Builder builder;
  std::optional<optim::DataParallel> dp;
  if (num_workers() > 1) dp = data_parallel(args);
  // Hogwild workers each count their own steps: the schedule spans one worker's share.
  const int64_t workers = args.hogwild ? hogwild_workers() : 1;
  const int64_t schedule_steps = (steps + workers - 1) / workers;
  models::Word2Vec m = models::word2vec(builder, c, vocab.size(), args.batch_size, schedule_steps, dp);
  runtime::Session sess(builder.graph());
  // The data stream: the epoch's examples from `sample` on, negatives drawn from `rng`.
  text::CounterRng rng(seed, 7);
  DataPosition at;
  auto move_to = [&](const DataPosition& p) {
    if (p.epoch != at.epoch) examples = new_epoch(static_cast<uint64_t>(p.epoch));
    at = p;
    if (at.sample + b > examples) {  // no full batch left: the next epoch
      at = {at.epoch + 1, 0, at.rng_draws};
      examples = new_epoch(static_cast<uint64_t>(at.epoch));
      if (examples < b) {
        throw ValueError("word2vec: epoch " + std::to_string(at.epoch) + " gives " + std::to_string(examples) +
                         " training examples, fewer than one batch of " + std::to_string(b));
      }
    }
    rng.set_counter(at.rng_draws);
  };
  auto next_batch = [&] {
    auto span = [&](auto& all) { return std::span(all).subspan(static_cast<size_t>(at.sample), static_cast<size_t>(b)); };
    runtime::Feeds feeds;
    if (cbow) {
      auto batch = text::make_cbow_batch(span(windows), c.window, table, c.negatives, rng);
      feeds = {{"contexts", batch.contexts}, {"context_mask", batch.context_mask}, {"targets", batch.targets},
               {"negatives", batch.negatives}};
    } else {
      auto batch = text::make_skipgram_batch(span(pairs), table, c.negatives, rng);
      feeds = {{"inputs", batch.inputs}, {"targets", batch.targets}, {"negatives", batch.negatives}};
    }
    move_to({at.epoch, at.sample + b, rng.counter()});  // an epoch without a full batch left ends here
    return feeds;
  };
  TrainLoop loop{.phase = {.name = "word2vec", .steps = steps, .global_batch = b, .examples = first_epoch_examples,
                           .schedule_steps = steps},
                 .label = "word2vec",
                 .csv = args.out.empty() ? "" : args.out + "/word2vec_metrics.csv",
                 .examples_per_step = args.batch_size,
                 .next_batch = next_batch,
                 .position = [&] { return at; }};
  int64_t done = 0;
  if (auto from = load_resume(args)) {
    Resumed r = resume(*from, loop.phase, args, sess);
    move_to(r.position);
    done = r.step;
  }
  if (!args.out.empty()) std::filesystem::create_directories(args.out);
  if (args.hogwild) train_loop_hogwild(sess.graph(), sess.workspace(), m.loss, m.train, loop);
  else train_loop(args, sess, m.loss, m.train, loop, done);

  models::WordVectors wv(vocab.tokens(), sess.workspace().get(m.input_vectors.producer().name).clone());
  std::printf("nearest neighbours (cosine):\n");
  print_neighbours(wv);
  if (!args.out.empty()) {
    wv.save_word2vec_text(args.out + "/vectors.txt");
    std::printf("wrote %s/vectors.txt\n", args.out.c_str());
  }
  return 0;
}

}  // namespace flowgrad::tools
