// flowgrad train lstm: the LSTM text classifier on a TSV task. Writes to
// --out: lstm.safetensors, config.json, vocab.txt, labels.txt (what
// `flowgrad eval lstm` reads), accuracy.txt and lstm_metrics.csv; checkpoints
// with --checkpoint-dir (tools/checkpointing.h).

#include <cstdio>
#include <filesystem>

#include "models/lstm_classifier.h"
#include "tools/checkpointing.h"
#include "tools/text_task.h"
#include "tools/workers.h"

namespace flowgrad::tools {

int train_lstm(const TrainArgs& args) {
  models::LstmClassifierConfig c = args.config.empty() ? models::LstmClassifierConfig{.seed = args.seed}
                                                       : models::LstmClassifierConfig::from_json_file(args.config);
  Task task = load_task(args, std::vector<text::Document>{});
  auto seed = static_cast<uint64_t>(args.seed);
  text::Batcher train(task.train, batching(args.batch_size * num_workers(), seed, true)), test(task.test, batching(args.batch_size, seed, false));
  c.vocab_size = task.tokenizer.vocab().size();
  c.num_labels = static_cast<int64_t>(task.labels.size());
  Builder b, eval_b;
  auto m = models::lstm_classifier(b, c, args.batch_size, kMaxLen, true);
  auto eval = models::lstm_classifier(eval_b, c, args.batch_size, kMaxLen, false);
  int64_t steps = args.steps > 0 ? args.steps : train.batches_per_epoch() * args.epochs;
  auto opt = minimize_on_workers(b, m.loss, optim::AdamW{.lr = args.lr > 0 ? args.lr : 3e-3, .clip_norm = 1.0}, args);
  runtime::Workspace ws;
  runtime::Session sess(b.graph(), ws), eval_sess(eval_b.graph(), ws);
  std::printf("LSTM classifier: %zu training sentences, vocab %d, %lld steps\n", task.train->size(), task.tokenizer.vocab().size(),
              static_cast<long long>(steps));
  if (!args.out.empty()) std::filesystem::create_directories(args.out);
  TrainLoop loop{.phase = {.name = "lstm", .steps = steps, .global_batch = train.options().batch_size,
                           .examples = static_cast<int64_t>(task.train->size())},
                 .label = "lstm",
                 .csv = args.out.empty() ? "" : args.out + "/lstm_metrics.csv",
                 .examples_per_step = args.batch_size,
                 .next_batch = [&] { return lstm_feeds(train.next()); },
                 .position = [&] { return batcher_position(train); }};
  int64_t done = 0;
  if (auto from = load_resume(args)) done = resume_batcher(*from, loop.phase, args, sess, train);
  train_loop(args, sess, m.loss, opt, loop, done);
  double acc = accuracy(eval_sess, eval.logits, test, lstm_feeds);
  std::printf("LSTM test accuracy: %.1f%% (%lld held-out sentences)\n", 100 * acc,
              static_cast<long long>(test.batches_per_epoch() * args.batch_size));
  if (!args.out.empty()) {
    save_weights(ws, args.out + "/lstm.safetensors", [](const std::string& n) { return n; });
    c.to_json_file(args.out + "/config.json");
    save_task_files(args.out, task, acc);
  }
  return 0;
}

}  // namespace flowgrad::tools
