// flowgrad eval lstm|bert: the accuracy of a trained classifier (the --out
// folder of `flowgrad train lstm|bert`: weights, config.json, vocab.txt,
// labels.txt) on a TSV file, every example counted (the last, partial batch
// runs through a graph of its own size).

#include <cstdio>
#include <map>
#include <memory>

#include "models/bert.h"
#include "models/load_weights.h"
#include "models/lstm_classifier.h"
#include "tools/commands.h"
#include "tools/text_task.h"

namespace flowgrad::tools {
namespace {

struct EvalArgs {
  std::string model;  // lstm | bert
  std::string dir;
  std::string data;
  int64_t batch_size = 32;
};

// A classifier's inference graph for one batch size, on a shared workspace.
struct EvalGraph {
  Builder b;
  Expr logits;
  std::unique_ptr<runtime::Session> session;
};

// Builds the model's graph for `batch` rows; loads the weights on first use.
class Classifier {
 public:
  Classifier(const EvalArgs& a, int64_t num_labels) : args_(a), num_labels_(num_labels) {
    std::string config = a.dir + "/config.json";
    if (a.model == "lstm") {
      lstm_ = models::LstmClassifierConfig::from_json_file(config);
      lstm_.validate();
      check_labels(lstm_.num_labels, config);
    } else {
      bert_ = models::BertConfig::from_json_file(config);
      check_labels(bert_.num_labels, config);
    }
  }

  graph::Tensor logits(const text::Batch& batch) {
    int64_t rows = batch.ids.shape()[0];
    auto& g = graphs_[rows];
    if (!g) g = build(rows);
    auto feeds = args_.model == "lstm" ? lstm_feeds(batch) : bert_feeds(batch);
    return g->session->run(feeds, {g->logits.id()})[0];
  }

  int64_t vocab_size() const { return args_.model == "lstm" ? lstm_.vocab_size : bert_.vocab_size; }

 private:
  void check_labels(int64_t n, const std::string& config) const {
    if (n != num_labels_) {
      throw FormatError(config + ": num_labels is " + std::to_string(n) + ", but " + args_.dir + "/labels.txt lists " +
                        std::to_string(num_labels_));
    }
  }

  std::unique_ptr<EvalGraph> build(int64_t rows) {
    auto g = std::make_unique<EvalGraph>();
    if (args_.model == "lstm") {
      g->logits = models::lstm_classifier(g->b, lstm_, rows, kMaxLen, false).logits;
    } else {
      auto in = models::bert_inputs(g->b, rows, kMaxLen);
      Expr labels = g->b.input("labels", {DType::i32, {rows}});
      g->logits = models::bert_classifier_head(g->b, bert_, models::bert_encoder(g->b, bert_, in, {.training = false}), labels,
                                               {.training = false})
                      .logits;
    }
    if (!loaded_) {
      if (args_.model == "lstm") {
        auto same = [](const std::string& n) { return n; };
        models::load_weights(args_.dir + "/lstm.safetensors", g->b.graph(), ws_,
                             {.to_variable = same, .to_file = same, .required_prefix = "lstm_classifier/"});
      } else {
        models::load_hf_bert_weights(args_.dir + "/model.safetensors", g->b.graph(), ws_);
      }
      loaded_ = true;
    }
    g->session = std::make_unique<runtime::Session>(g->b.graph(), ws_);
    return g;
  }

  EvalArgs args_;
  int64_t num_labels_;
  models::LstmClassifierConfig lstm_;
  models::BertConfig bert_;
  runtime::Workspace ws_;
  bool loaded_ = false;
  std::map<int64_t, std::unique_ptr<EvalGraph>> graphs_;
};

int run_eval(const EvalArgs& a) {
  auto labels = load_labels(a.dir + "/labels.txt");
  Classifier model(a, static_cast<int64_t>(labels.size()));
  std::string vocab_file = a.dir + "/vocab.txt";
  text::WordPieceTokenizer tokenizer(text::Vocab::load(vocab_file));
  if (tokenizer.vocab().size() != model.vocab_size()) {
    throw FormatError(vocab_file + ": has " + std::to_string(tokenizer.vocab().size()) + " tokens, but " + a.dir +
                      "/config.json says vocab_size " + std::to_string(model.vocab_size()));
  }
  std::string file = data_file(a.data, "sentiment_test.tsv");
  auto data = text::read_tsv(file, {.labels = labels});
  auto examples = std::make_shared<std::vector<text::SequenceExample>>(text::encode_for_classification(data, tokenizer, kMaxLen));
  text::Batcher batcher(examples, batching(a.batch_size, 0, false, true));
  int64_t correct = 0;
  for (int64_t i = 0; i < batcher.batches_per_epoch(); ++i) {
    text::Batch batch = batcher.batch_at({0, i});
    correct += count_correct(model.logits(batch), batch.labels);
  }
  auto total = static_cast<int64_t>(examples->size());
  std::printf("%s accuracy on %s: %.1f%% (%lld of %lld)\n", a.model.c_str(), file.c_str(),
              100.0 * static_cast<double>(correct) / static_cast<double>(total), static_cast<long long>(correct),
              static_cast<long long>(total));
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Accuracy of a classifier trained by `flowgrad train lstm|bert` on a TSV file");
  auto a = std::make_shared<EvalArgs>();
  cmd->add_option("model", a->model, "lstm | bert")->required()->check(CLI::IsMember({"lstm", "bert"}));
  cmd->add_option("--model-dir", a->dir, "The --out folder of `flowgrad train`")->required();
  cmd->add_option("--data", a->data, "A TSV file (text<TAB>label), or a folder with sentiment_test.tsv")->required();
  cmd->add_option("--batch-size", a->batch_size, "Examples per step")->check(CLI::PositiveNumber);
  return [a] { return run_eval(*a); };
}

}  // namespace flowgrad::tools
