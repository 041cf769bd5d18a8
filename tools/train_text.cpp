// flowgrad train lstm | bert: text classifiers on a TSV task; BERT is first
// pre-trained with masked-LM + next-sentence prediction on a corpus.

#include <cstdio>
#include <filesystem>

#include "models/bert.h"
#include "models/lstm_classifier.h"
#include "runtime/safetensors.h"
#include "text/corpus.h"
#include "text/pretraining.h"
#include "text/tsv_dataset.h"
#include "text/wordpiece.h"
#include "tools/train.h"

namespace flowgrad::tools {
namespace {

constexpr int32_t kMaxLen = 32;

struct Task {
  text::WordPieceTokenizer tokenizer;
  std::shared_ptr<std::vector<text::SequenceExample>> train, test;
  int64_t num_labels;
};

// A WordPiece vocabulary trained on the corpus (if any) and the task's
// training sentences, and the task encoded with it.
Task load_task(const TrainArgs& args, const std::vector<text::Document>& corpus) {
  auto train = text::read_tsv(data_file(args.data, "sentiment_train.tsv"));
  auto test = text::read_tsv(data_file(args.data, "sentiment_test.tsv"), {.labels = train.labels});
  std::vector<text::Document> docs = corpus;
  text::Document sentences;
  for (const auto& e : train.examples) sentences.push_back(e.text);
  docs.push_back(sentences);
  text::Vocab vocab = text::train_wordpiece(docs, text::BasicTokenizer{}, {.vocab_size = 2000});
  Task t{text::WordPieceTokenizer(vocab), nullptr, nullptr, static_cast<int64_t>(train.labels.size())};
  t.train = std::make_shared<std::vector<text::SequenceExample>>(text::encode_for_classification(train, t.tokenizer, kMaxLen));
  t.test = std::make_shared<std::vector<text::SequenceExample>>(text::encode_for_classification(test, t.tokenizer, kMaxLen));
  return t;
}

text::BatcherOptions batching(const TrainArgs& args, bool train) {
  // Graph shapes are static: every batch is full (the test set's last partial
  // batch is left out of the accuracy).
  return {.batch_size = args.batch_size, .max_len = kMaxLen, .shuffle = train, .seed = static_cast<uint64_t>(args.seed),
          .drop_last = true};
}

int64_t steps_for(const TrainArgs& args, const text::Batcher& b) {
  return args.steps > 0 ? args.steps : b.batches_per_epoch() * args.epochs;
}

std::string csv_path(const TrainArgs& args, const std::string& name) {
  if (args.out.empty()) return "";
  std::filesystem::create_directories(args.out);
  return args.out + "/" + name + "_metrics.csv";
}

void save_weights(const TrainArgs& args, const runtime::Workspace& ws, const std::string& file,
                  const std::function<std::string(const std::string&)>& rename) {
  if (args.out.empty()) return;
  runtime::Safetensors st;
  for (const auto& name : ws.names()) {
    if (name.find("optimizer/") == std::string::npos) st.tensors[rename(name)] = ws.get(name);
  }
  runtime::write_safetensors(args.out + "/" + file, st);
  std::printf("wrote %s/%s (%zu tensors)\n", args.out.c_str(), file.c_str(), st.tensors.size());
}

void write_accuracy(const TrainArgs& args, double acc) {
  if (args.out.empty()) return;
  std::FILE* f = std::fopen((args.out + "/accuracy.txt").c_str(), "w");
  if (!f) throw Error("cannot write '" + args.out + "/accuracy.txt'");
  std::fprintf(f, "%.1f%%\n", 100 * acc);
  std::fclose(f);
}

runtime::Feeds bert_feeds(const text::Batch& b) {
  return {{"ids", b.ids}, {"segments", b.segment_ids}, {"attention", b.attention_mask}, {"labels", b.labels}};
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

models::BertConfig bert_config(const TrainArgs& args, int64_t vocab, int64_t labels) {
  models::BertConfig c = args.config.empty() ? models::BertConfig{.vocab_size = vocab, .hidden_size = 64,
                                                                  .num_hidden_layers = 2, .num_attention_heads = 4,
                                                                  .intermediate_size = 128, .max_position_embeddings = 64}
                                             : models::BertConfig::from_json_file(args.config);
  c.vocab_size = vocab;
  c.num_labels = labels;
  return c;
}

// Pre-training on the corpus: masked-LM (15%, 80/10/10) + next sentence.
void pretrain_bert(const TrainArgs& args, const models::BertConfig& c, const Task& task,
                   const std::vector<text::Document>& corpus, runtime::Workspace& ws) {
  auto tdocs = text::tokenize_documents(corpus, task.tokenizer);
  auto examples = std::make_shared<std::vector<text::SequenceExample>>(
      text::make_pretraining_examples(tdocs, task.tokenizer.vocab(), {.max_len = kMaxLen}, static_cast<uint64_t>(args.seed), 0));
  text::Batcher batcher(examples, batching(args, true));
  constexpr int64_t kPredictions = 6;  // >= 15% of 32 tokens
  Builder b;
  auto in = models::bert_inputs(b, args.batch_size, kMaxLen);
  Expr positions = b.input("mlm_positions", {DType::i32, {args.batch_size, kPredictions}});
  Expr mlm_labels = b.input("mlm_labels", {DType::i32, {args.batch_size, kPredictions}});
  Expr nsp_labels = b.input("nsp_labels", {DType::i32, {args.batch_size}});
  auto enc = models::bert_encoder(b, c, in, {.training = true, .seed = args.seed});
  auto heads = models::bert_pretraining_heads(b, c, enc, positions, mlm_labels, nsp_labels);
  int64_t steps = args.steps > 0 ? args.steps : batcher.batches_per_epoch() * args.epochs;
  auto train = optim::minimize(b, heads.loss, optim::AdamW{.lr = args.lr > 0 ? args.lr : 1e-3, .weight_decay = 0.01,
                                                          .schedule = {.kind = "linear", .warmup_steps = steps / 10, .total_steps = steps},
                                                          .clip_norm = 1.0});
  runtime::Session sess(b.graph(), ws);
  std::printf("BERT pre-training: %zu MLM+NSP examples, hidden %lld, %lld layers, %lld steps\n", examples->size(),
              static_cast<long long>(c.hidden_size), static_cast<long long>(c.num_hidden_layers), static_cast<long long>(steps));
  train_loop("bert-pt", sess, heads.loss, train.step, train.lr, steps, args.batch_size,
             [&](int64_t) { return mlm_feeds(batcher.next(), kPredictions); }, csv_path(args, "bert_pretraining"));
}

}  // namespace

int train_lstm(const TrainArgs& args) {
  Task task = load_task(args, {});
  text::Batcher train(task.train, batching(args, true)), test(task.test, batching(args, false));
  models::LstmClassifierConfig c{.vocab_size = task.tokenizer.vocab().size(), .num_labels = task.num_labels, .seed = args.seed};
  Builder b, eval_b;
  auto m = models::lstm_classifier(b, c, args.batch_size, kMaxLen, true);
  auto eval = models::lstm_classifier(eval_b, c, args.batch_size, kMaxLen, false);
  int64_t steps = steps_for(args, train);
  auto opt = optim::minimize(b, m.loss, optim::AdamW{.lr = args.lr > 0 ? args.lr : 3e-3, .clip_norm = 1.0});
  runtime::Workspace ws;
  runtime::Session sess(b.graph(), ws), eval_sess(eval_b.graph(), ws);
  auto feeds = [](const text::Batch& x) {
    return runtime::Feeds{{"ids", x.ids}, {"lengths", x.lengths}, {"labels", x.labels}};
  };
  std::printf("LSTM classifier: %zu training sentences, vocab %d, %lld steps\n", task.train->size(), task.tokenizer.vocab().size(),
              static_cast<long long>(steps));
  train_loop("lstm", sess, m.loss, opt.step, opt.lr, steps, args.batch_size, [&](int64_t) { return feeds(train.next()); },
             csv_path(args, "lstm"));
  double acc = accuracy(eval_sess, eval.logits, test, feeds);
  std::printf("LSTM test accuracy: %.1f%% (%lld held-out sentences)\n", 100 * acc,
              static_cast<long long>(test.batches_per_epoch() * args.batch_size));
  save_weights(args, ws, "lstm.safetensors", [](const std::string& n) { return n; });
  write_accuracy(args, acc);
  return 0;
}

int train_bert(const TrainArgs& args) {
  auto corpus = text::read_corpus(data_file(args.data, "corpus.txt"));
  Task task = load_task(args, corpus);
  models::BertConfig c = bert_config(args, task.tokenizer.vocab().size(), task.num_labels);
  runtime::Workspace ws;
  TrainArgs pt = args;
  pt.epochs = 1;
  pretrain_bert(pt, c, task, corpus, ws);
  ws.erase_containing("optimizer/");  // fine-tuning starts with fresh optimizer state

  text::Batcher train(task.train, batching(args, true)), test(task.test, batching(args, false));
  Builder b, eval_b;
  auto in = models::bert_inputs(b, args.batch_size, kMaxLen);
  Expr labels = b.input("labels", {DType::i32, {args.batch_size}});
  auto head = models::bert_classifier_head(b, c, models::bert_encoder(b, c, in, {.training = true, .seed = args.seed}), labels,
                                           {.training = true, .seed = args.seed});
  auto ein = models::bert_inputs(eval_b, args.batch_size, kMaxLen);
  Expr elabels = eval_b.input("labels", {DType::i32, {args.batch_size}});
  auto ehead = models::bert_classifier_head(eval_b, c, models::bert_encoder(eval_b, c, ein, {.training = false}), elabels,
                                            {.training = false});
  int64_t steps = steps_for(args, train);
  auto opt = optim::minimize(b, head.loss, optim::AdamW{.lr = args.lr > 0 ? args.lr : 1e-3, .weight_decay = 0.01,
                                                        .schedule = {.kind = "linear", .warmup_steps = steps / 10, .total_steps = steps}});
  runtime::Session sess(b.graph(), ws), eval_sess(eval_b.graph(), ws);
  std::printf("BERT fine-tuning: %zu training sentences, %lld steps\n", task.train->size(), static_cast<long long>(steps));
  train_loop("bert-ft", sess, head.loss, opt.step, opt.lr, steps, args.batch_size, [&](int64_t) { return bert_feeds(train.next()); },
             csv_path(args, "bert_finetune"));
  double acc = accuracy(eval_sess, ehead.logits, test, bert_feeds);
  std::printf("BERT test accuracy: %.1f%% (%lld held-out sentences)\n", 100 * acc,
              static_cast<long long>(test.batches_per_epoch() * args.batch_size));
  write_accuracy(args, acc);
  if (!args.out.empty()) {
    save_weights(args, ws, "model.safetensors", models::hf_name);
    c.to_json_file(args.out + "/config.json");
    task.tokenizer.vocab().save(args.out + "/vocab.txt");
  }
  return 0;
}

}  // namespace flowgrad::tools
