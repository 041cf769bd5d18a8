#pragma once
// Shared pieces of `flowgrad train <model>`: the common options and the
// loops that run a training graph with a progress bar and checkpoints
// (tools/checkpointing.h) and evaluate a classifier.

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
  bool hogwild = false;   // word2vec: asynchronous workers, one per thread (train_loop_hogwild)
  double bucket_mb = 25;  // under mpirun: gradients per allreduce (optim::DataParallel)
  std::string checkpoint_dir;    // write checkpoints here (rank 0)
  int64_t checkpoint_every = 0;  // steps between checkpoints; 0: at the end of each epoch
  std::string resume;            // a checkpoint folder, or a --checkpoint-dir (its newest good one)
};

// Where the data stream of a run is, independent of how it is split between workers.
struct DataPosition {
  int64_t epoch = 0;
  int64_t sample = 0;      // offset of the next global batch in the epoch's example order
  uint64_t rng_draws = 0;  // word2vec: draws of the negative-sampling stream
};

// One training phase as its checkpoints describe it.
struct Phase {
  std::string name;            // word2vec | lstm | bert-pretraining | bert-finetuning
  int64_t steps = 0;           // total steps of the phase
  int64_t step_base = 0;       // checkpoint folders are numbered step_base + step
  int64_t global_batch = 0;    // --batch-size x workers
  int64_t examples = 0;        // training examples per epoch (identifies the data)
  int64_t schedule_steps = 0;  // steps the LR schedule was built for; 0: none over the run
};

// What train_loop runs: a phase, its data and its progress output.
struct TrainLoop {
  Phase phase;
  std::string label;               // progress bar
  std::string csv;                 // metrics CSV ("": none; appended to after a resume)
  int64_t examples_per_step = 0;   // per worker
  std::function<runtime::Feeds()> next_batch;  // the next global batch (each worker takes its slice)
  std::function<DataPosition()> position;      // of the batch next_batch() returns next
};

// Joins a folder and a file name, or returns `data` if it is a file.
std::string data_file(const std::string& data, const std::string& name);

// Runs the phase's steps after the first `done` (restored from a checkpoint),
// writing checkpoints when due. Returns the last loss (NaN if none ran).
double train_loop(const TrainArgs& args, runtime::Session& sess, Expr loss, const optim::TrainStep& opt, const TrainLoop& loop,
                  int64_t done = 0);

// Asynchronous training, as word2vec.c and gensim's workers train: one
// single-thread session per worker (hogwild_workers()), each taking the next batch
// of the shared stream and updating the variables of `shared` in place,
// without locks (Hogwild!, Recht et al. 2011). Only the step counter is each
// worker's own, so build the graph's learning-rate schedule for steps /
// workers. Sparse updates rarely touch the same row at once, so this trains
// about as well as one worker (bench/README.md: word2vec quality), but the
// interleaving of the workers' updates, and so the result, differs from run
// to run. Writes no checkpoints. Returns the last loss (NaN if no step ran).
double train_loop_hogwild(const graph::Graph& g, runtime::Workspace& shared, Expr loss, const optim::TrainStep& opt,
                          const TrainLoop& loop);
// The workers train_loop_hogwild runs: one per thread of the budget.
int hogwild_workers();

// Fraction of examples whose argmax logit equals the label, over every batch
// of `batcher` (one epoch, in order).
double accuracy(runtime::Session& sess, Expr logits, text::Batcher& batcher,
                const std::function<runtime::Feeds(const text::Batch&)>& feeds);
// How many rows of `logits` [B, C] have their argmax at `labels` [B].
int64_t count_correct(const graph::Tensor& logits, const graph::Tensor& labels);

// <out>/accuracy.txt: "97.5%".
void write_accuracy(const std::string& out, double accuracy);

}  // namespace flowgrad::tools
