#include "tools/train.h"

#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <tbb/task_group.h>

#include "runtime/threads.h"
#include "tools/checkpointing.h"
#include "tools/progress.h"
#include "tools/workers.h"

namespace flowgrad::tools {

std::string data_file(const std::string& data, const std::string& name) {
  if (std::filesystem::is_directory(data)) return (std::filesystem::path(data) / name).string();
  return data;
}

double train_loop(const TrainArgs& args, runtime::Session& sess, Expr loss, const optim::TrainStep& opt, const TrainLoop& loop,
                  int64_t done) {
  const Phase& phase = loop.phase;
  Progress progress(loop.label, phase.steps, loop.csv, done);
  start_workers(sess);
  // The next batch is made as a TBB task while the current step runs: a
  // worker of the budget takes it when one is free, else the task runs here
  // after the step. Meanwhile it shares a core with the step's OpenMP team,
  // one thread over the budget (ops/parallel.cpp hands a kernel's blocks out
  // dynamically, so the step does not wait for a preempted team thread).
  // next_batch() is still called once per step, in order, so the batches are
  // the same as without this. A thread of its own would be simpler, but on a
  // busy machine it was slower: at 2 threads word2vec took 5-13 s instead of
  // 3, at 1 the step waited for the thread to get a core (9-12 s instead of 3).
  runtime::Feeds current, next;
  tbb::task_group tasks;  // after `next`: on an exception it waits for the task that writes it
  double last = std::nan("");
  if (done < phase.steps) current = shard_feeds(loop.next_batch());
  for (int64_t s = done + 1; s <= phase.steps; ++s) {
    const bool more = s < phase.steps;
    const DataPosition at = loop.position();  // of the batch step s + 1 trains on
    if (more) tasks.run([&] { next = shard_feeds(loop.next_batch()); });
    auto out = sess.run(current, {loss.id(), opt.step.id(), opt.lr.id()});
    last = out[0].at(0);  // this worker's loss (rank 0's is printed)
    progress.update(s, last, loop.examples_per_step * num_workers(), out[2].at(0));
    // Before the next batch is waited for: a batch that cannot be made does
    // not cost the checkpoint of the steps already taken.
    if (checkpoint_due(args, phase, s, at.sample == 0)) progress.note("checkpoint " + write_checkpoint(args, phase, s, sess, at));
    tasks.wait();  // rethrows what next_batch threw
    if (more) current = std::move(next);
  }
  progress.finish(done < phase.steps ? "final loss " + std::to_string(last) : "no steps left (resumed after the last one)");
  return last;
}

double train_loop_hogwild(const graph::Graph& g, runtime::Workspace& shared, Expr loss, const optim::TrainStep& opt,
                          const TrainLoop& loop) {
  const int workers = hogwild_workers();
  const std::string counter = opt.counter.producer().name;
  shared.bind_variables(g);
  std::vector<runtime::Workspace> spaces(static_cast<size_t>(workers));
  std::vector<std::unique_ptr<runtime::Session>> sessions;
  for (runtime::Workspace& ws : spaces) {
    for (const std::string& name : shared.names()) {
      if (name != counter) ws.share(name, shared.get(name));
    }
    sessions.push_back(std::make_unique<runtime::Session>(g, ws, runtime::SessionOptions{.threads = 1}));
  }
  Progress progress(loop.label, loop.phase.steps, loop.csv);
  std::mutex mu;  // guards the data stream, the counts, `last`, `error` and the progress bar
  int64_t taken = 0, finished = 0;
  double last = std::nan("");
  std::exception_ptr error;
  auto work = [&](runtime::Session& sess) {
    try {
      for (;;) {
        runtime::Feeds feeds;
        {
          std::lock_guard lock(mu);
          if (error || taken == loop.phase.steps) return;
          ++taken;
          feeds = loop.next_batch();
        }
        auto out = sess.run(feeds, {loss.id(), opt.step.id(), opt.lr.id()});
        std::lock_guard lock(mu);
        last = out[0].at(0);
        progress.update(++finished, last, loop.examples_per_step, out[2].at(0));
      }
    } catch (...) {
      std::lock_guard lock(mu);
      if (!error) error = std::current_exception();  // the others stop before their next batch
    }
  };
  {
    std::vector<std::jthread> others;
    for (size_t w = 1; w < sessions.size(); ++w) others.emplace_back(work, std::ref(*sessions[w]));
    work(*sessions[0]);
  }  // joined
  if (error) std::rethrow_exception(error);
  progress.finish(finished ? "final loss " + std::to_string(last) + " (" + std::to_string(workers) + " hogwild workers)"
                           : "no steps");
  return last;
}

int hogwild_workers() { return runtime::num_threads(); }

double accuracy(runtime::Session& sess, Expr logits, text::Batcher& batcher,
                const std::function<runtime::Feeds(const text::Batch&)>& feeds) {
  int64_t correct = 0, total = 0;
  for (int64_t i = 0; i < batcher.batches_per_epoch(); ++i) {
    text::Batch batch = batcher.batch_at({0, i});
    correct += count_correct(sess.run(feeds(batch), {logits.id()})[0], batch.labels);
    total += batch.labels.numel();
  }
  return total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0;
}

int64_t count_correct(const graph::Tensor& logits, const graph::Tensor& labels) {
  int64_t classes = logits.shape()[1], correct = 0;
  for (int64_t r = 0; r < logits.shape()[0]; ++r) {
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c) {
      if (logits.at(r * classes + c) > logits.at(r * classes + best)) best = c;
    }
    correct += best == static_cast<int64_t>(labels.at(r));
  }
  return correct;
}

void write_accuracy(const std::string& out, double accuracy) {
  std::FILE* f = std::fopen((out + "/accuracy.txt").c_str(), "w");
  if (!f) throw Error("cannot write '" + out + "/accuracy.txt'");
  std::fprintf(f, "%.1f%%\n", 100 * accuracy);
  std::fclose(f);
}

}  // namespace flowgrad::tools
