// flowgrad train bert: BERT pre-trained with masked-LM + next-sentence
// prediction on a corpus, then fine-tuned as a classifier on a TSV task — or,
// with --init-from, fine-tuned from Hugging Face weights (config.json,
// vocab.txt, model.safetensors in bert-base-uncased's layout and names).
// Writes to --out: model.safetensors (Hugging Face names), config.json,
// vocab.txt, labels.txt (what `flowgrad eval bert` reads), accuracy.txt and
// the metrics CSVs; checkpoints of both phases with --checkpoint-dir
// (tools/checkpointing.h).

#include <cstdio>
#include <filesystem>

#include "models/bert.h"
#include "models/load_weights.h"
#include "text/pretraining.h"
#include "tools/checkpointing.h"
#include "tools/text_task.h"
#include "tools/workers.h"

namespace flowgrad::tools {
namespace {

std::string csv_path(const TrainArgs& args, const std::string& name) {
  return args.out.empty() ? "" : args.out + "/" + name + "_metrics.csv";
}

// Masked positions of each row ([B, P], padded with position 0 / label -100).
runtime::Feeds mlm_feeds(const text::Batch& b, int64_t p) {
  int64_t rows = b.ids.shape()[0], t = b.ids.shape()[1];
  graph::Tensor pos({DType::i32, {rows, p}}), labels({DType::i32, {rows, p}});
  for (int64_t r = 0; r < rows; ++r) {
    int64_t k = 0;
    for (int64_t i = 0; i < t && k < p; ++i) {
      int32_t l = b.token_labels.data<int32_t>()[r * t + i];
      if (l == -100) continue;
      pos.data<int32_t>()[r * p + k] = static_cast<int32_t>(i);
      labels.data<int32_t>()[r * p + k++] = l;
    }
    for (; k < p; ++k) labels.data<int32_t>()[r * p + k] = -100;
  }
  return {{"ids", b.ids}, {"segments", b.segment_ids}, {"attention", b.attention_mask},
          {"mlm_positions", pos}, {"mlm_labels", labels}, {"nsp_labels", b.labels}};
}

models::BertConfig default_config(const TrainArgs& args) {
  if (!args.config.empty()) return models::BertConfig::from_json_file(args.config);
  return {.hidden_size = 64, .num_hidden_layers = 2, .num_attention_heads = 4, .intermediate_size = 128,
          .max_position_embeddings = 64};
}

// Pre-training on the corpus: masked-LM (15%, 80/10/10) + next sentence.
// Returns its steps (the numbering of fine-tuning's checkpoints continues after them).
int64_t pretrain_bert(const TrainArgs& args, const models::BertConfig& c, const Task& task, const std::vector<text::Document>& corpus,
                      runtime::Workspace& ws, const ResumeFrom* from) {
  auto tdocs = text::tokenize_documents(corpus, task.tokenizer);
  auto examples = std::make_shared<std::vector<text::SequenceExample>>(
      text::make_pretraining_examples(tdocs, task.tokenizer.vocab(), {.max_len = kMaxLen}, static_cast<uint64_t>(args.seed), 0));
  text::Batcher batcher(examples, batching(args.batch_size * num_workers(), static_cast<uint64_t>(args.seed), true));
  constexpr int64_t kPredictions = 6;  // >= 15% of 32 tokens
  Builder b;
  auto in = models::bert_inputs(b, args.batch_size, kMaxLen);
  Expr positions = b.input("mlm_positions", {DType::i32, {args.batch_size, kPredictions}});
  Expr mlm_labels = b.input("mlm_labels", {DType::i32, {args.batch_size, kPredictions}});
  Expr nsp_labels = b.input("nsp_labels", {DType::i32, {args.batch_size}});
  auto enc = models::bert_encoder(b, c, in, {.training = true, .seed = args.seed});
  auto heads = models::bert_pretraining_heads(b, c, enc, positions, mlm_labels, nsp_labels);
  int64_t steps = args.steps > 0 ? args.steps : batcher.batches_per_epoch();
  auto train = minimize_on_workers(b, heads.loss, optim::AdamW{.lr = args.lr > 0 ? args.lr : 1e-3, .weight_decay = 0.01,
                                                          .schedule = {.kind = "linear", .warmup_steps = steps / 10, .total_steps = steps},
                                                          .clip_norm = 1.0}, args);
  runtime::Session sess(b.graph(), ws);
  std::printf("BERT pre-training: %zu MLM+NSP examples, hidden %lld, %lld layers, %lld steps\n", examples->size(),
              static_cast<long long>(c.hidden_size), static_cast<long long>(c.num_hidden_layers), static_cast<long long>(steps));
  TrainLoop loop{.phase = {.name = "bert-pretraining", .steps = steps, .global_batch = batcher.options().batch_size,
                           .examples = static_cast<int64_t>(examples->size()), .schedule_steps = steps},
                 .label = "bert-pt",
                 .csv = csv_path(args, "bert_pretraining"),
                 .examples_per_step = args.batch_size,
                 .next_batch = [&] { return mlm_feeds(batcher.next(), kPredictions); },
                 .position = [&] { return batcher_position(batcher); }};
  int64_t done = 0;
  if (from) done = resume_batcher(*from, loop.phase, args, sess, batcher);
  train_loop(args, sess, heads.loss, train, loop, done);
  ws.erase_containing("optimizer/");  // fine-tuning starts with fresh optimizer state
  return steps;
}

// --init-from DIR: the config and vocabulary of a Hugging Face BERT.
models::BertConfig hf_config(const std::string& dir, text::Vocab& vocab) {
  std::string config = dir + "/config.json", vocab_file = dir + "/vocab.txt";
  models::BertConfig c = models::BertConfig::from_json_file(config);
  vocab = text::Vocab::load(vocab_file);
  if (vocab.size() != c.vocab_size) {
    throw FormatError(vocab_file + ": has " + std::to_string(vocab.size()) + " tokens, but " + config + " says vocab_size " +
                      std::to_string(c.vocab_size));
  }
  return c;
}

}  // namespace

int train_bert(const TrainArgs& args) {
  std::vector<text::Document> corpus;
  text::Vocab hf_vocab;
  models::BertConfig c = args.init_from.empty() ? default_config(args) : hf_config(args.init_from, hf_vocab);
  if (args.init_from.empty()) corpus = text::read_corpus(data_file(args.data, "corpus.txt"));
  Task task = args.init_from.empty() ? load_task(args, corpus) : load_task(args, std::move(hf_vocab));
  c.vocab_size = task.tokenizer.vocab().size();
  c.num_labels = static_cast<int64_t>(task.labels.size());
  if (c.max_position_embeddings < kMaxLen) {
    throw ValueError("BertConfig: max_position_embeddings " + std::to_string(c.max_position_embeddings) +
                     " is shorter than the " + std::to_string(kMaxLen) + "-token sequences flowgrad train uses");
  }
  if (!args.out.empty()) std::filesystem::create_directories(args.out);
  runtime::Workspace ws;
  // --resume: a pre-training checkpoint continues pre-training, a fine-tuning one skips it.
  std::optional<ResumeFrom> from = load_resume(args);
  const bool finetuning_resumes = from && from->phase() == "bert-finetuning";
  int64_t pretraining_steps = finetuning_resumes ? from->step_base() : 0;
  if (args.init_from.empty() && !finetuning_resumes) pretraining_steps = pretrain_bert(args, c, task, corpus, ws, from ? &*from : nullptr);

  auto seed = static_cast<uint64_t>(args.seed);
  text::Batcher train(task.train, batching(args.batch_size * num_workers(), seed, true)), test(task.test, batching(args.batch_size, seed, false));
  Builder b, eval_b;
  auto in = models::bert_inputs(b, args.batch_size, kMaxLen);
  Expr labels = b.input("labels", {DType::i32, {args.batch_size}});
  auto head = models::bert_classifier_head(b, c, models::bert_encoder(b, c, in, {.training = true, .seed = args.seed}), labels,
                                           {.training = true, .seed = args.seed});
  auto ein = models::bert_inputs(eval_b, args.batch_size, kMaxLen);
  Expr elabels = eval_b.input("labels", {DType::i32, {args.batch_size}});
  auto ehead = models::bert_classifier_head(eval_b, c, models::bert_encoder(eval_b, c, ein, {.training = false}), elabels,
                                            {.training = false});
  int64_t steps = args.steps > 0 ? args.steps : train.batches_per_epoch() * args.epochs;
  auto opt = minimize_on_workers(b, head.loss, optim::AdamW{.lr = args.lr > 0 ? args.lr : 1e-3, .weight_decay = 0.01,
                                                        .schedule = {.kind = "linear", .warmup_steps = steps / 10, .total_steps = steps}}, args);
  if (!args.init_from.empty()) {
    auto loaded = models::load_hf_bert_weights(args.init_from + "/model.safetensors", b.graph(), ws);
    std::printf("loaded %zu tensors from %s/model.safetensors (%zu not used by the classifier)\n", loaded.loaded,
                args.init_from.c_str(), loaded.unused.size());
  }
  runtime::Session sess(b.graph(), ws), eval_sess(eval_b.graph(), ws);
  std::printf("BERT fine-tuning: %zu training sentences, %lld steps\n", task.train->size(), static_cast<long long>(steps));
  TrainLoop loop{.phase = {.name = "bert-finetuning", .steps = steps, .step_base = pretraining_steps,
                           .global_batch = train.options().batch_size, .examples = static_cast<int64_t>(task.train->size()),
                           .schedule_steps = steps},
                 .label = "bert-ft",
                 .csv = csv_path(args, "bert_finetune"),
                 .examples_per_step = args.batch_size,
                 .next_batch = [&] { return bert_feeds(train.next()); },
                 .position = [&] { return batcher_position(train); }};
  int64_t done = 0;
  if (from && (finetuning_resumes || !args.init_from.empty())) {  // with --init-from, only fine-tuning checkpoints fit
    done = resume_batcher(*from, loop.phase, args, sess, train);
  }
  train_loop(args, sess, head.loss, opt, loop, done);
  double acc = accuracy(eval_sess, ehead.logits, test, bert_feeds);
  std::printf("BERT test accuracy: %.1f%% (%lld held-out sentences)\n", 100 * acc,
              static_cast<long long>(test.batches_per_epoch() * args.batch_size));
  if (!args.out.empty()) {
    save_weights(ws, args.out + "/model.safetensors", models::hf_name);
    c.to_json_file(args.out + "/config.json");
    save_task_files(args.out, task, acc);
  }
  return 0;
}

}  // namespace flowgrad::tools
