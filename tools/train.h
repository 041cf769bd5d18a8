#pragma once
// Shared pieces of `flowgrad train <model>`: the common options and the
// loops that run a training graph with a progress bar and evaluate a
// classifier.

#include <functional>
#include <string>

#include "frontend/flowgrad.h"
#include "text/batcher.h"

namespace flowgrad::tools {

struct TrainArgs {
  std::string data;    // a corpus file or a folder with corpus.txt / sentiment_{train,test}.tsv
  std::string config;  // JSON with model fields (optional)
  std::string out;     // output folder (weights, vectors, metrics.csv)
  int64_t steps = 0;   // 0: from --epochs
  int64_t epochs = 1;
  int64_t batch_size = 32;
  double lr = 0;       // 0: the model's default
  int64_t seed = 1;
  std::string init_from;  // bert: a Hugging Face folder (config.json, vocab.txt, model.safetensors)
  bool cbow = false;      // word2vec: CBOW instead of skip-gram
  double bucket_mb = 25;  // under mpirun: gradients per allreduce (optim::DataParallel)
};

// Joins a folder and a file name, or returns `data` if it is a file.
std::string data_file(const std::string& data, const std::string& name);

// Runs `steps` training steps; `feeds(step)` gives each step's feeds: the
// global batch, of which each worker takes its slice (tools/workers.h).
// `examples_per_step` is per worker. Returns the last loss.
double train_loop(const std::string& label, runtime::Session& sess, Expr loss, Expr step, Expr lr, int64_t steps,
                  int64_t examples_per_step, const std::function<runtime::Feeds(int64_t)>& feeds, const std::string& csv);

// Fraction of examples whose argmax logit equals the label, over every batch
// of `batcher` (one epoch, in order).
double accuracy(runtime::Session& sess, Expr logits, text::Batcher& batcher,
                const std::function<runtime::Feeds(const text::Batch&)>& feeds);
// How many rows of `logits` [B, C] have their argmax at `labels` [B].
int64_t count_correct(const graph::Tensor& logits, const graph::Tensor& labels);

// <out>/accuracy.txt: "97.5%".
void write_accuracy(const std::string& out, double accuracy);

}  // namespace flowgrad::tools
