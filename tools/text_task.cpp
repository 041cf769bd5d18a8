#include "tools/text_task.h"

#include <cstdio>
#include <fstream>

#include "runtime/safetensors.h"
#include "text/basic_tokenizer.h"

namespace flowgrad::tools {

namespace {

// Training and the accuracy printout run full batches only.
text::TsvDataset read_batches(const std::string& file, const TrainArgs& args, const text::TsvOptions& options = {}) {
  auto data = text::read_tsv(file, options);
  if (static_cast<int64_t>(data.examples.size()) < args.batch_size) {
    throw ValueError(file + ": " + std::to_string(data.examples.size()) + " examples, fewer than one batch of --batch-size " +
                     std::to_string(args.batch_size));
  }
  return data;
}

}  // namespace

Task load_task(const TrainArgs& args, text::Vocab vocab) {
  auto train = read_batches(data_file(args.data, "sentiment_train.tsv"), args);
  auto test = read_batches(data_file(args.data, "sentiment_test.tsv"), args, {.labels = train.labels});
  Task t{text::WordPieceTokenizer(std::move(vocab)), nullptr, nullptr, train.labels};
  t.train = std::make_shared<std::vector<text::SequenceExample>>(text::encode_for_classification(train, t.tokenizer, kMaxLen));
  t.test = std::make_shared<std::vector<text::SequenceExample>>(text::encode_for_classification(test, t.tokenizer, kMaxLen));
  return t;
}

Task load_task(const TrainArgs& args, const std::vector<text::Document>& corpus) {
  auto train = text::read_tsv(data_file(args.data, "sentiment_train.tsv"));
  std::vector<text::Document> docs = corpus;
  text::Document sentences;
  for (const auto& e : train.examples) sentences.push_back(e.text);
  docs.push_back(sentences);
  return load_task(args, text::train_wordpiece(docs, text::BasicTokenizer{}, {.vocab_size = 2000}));
}

text::BatcherOptions batching(int64_t batch_size, uint64_t seed, bool shuffle, bool keep_last) {
  return {.batch_size = batch_size, .max_len = kMaxLen, .shuffle = shuffle, .seed = seed, .drop_last = !keep_last};
}

runtime::Feeds lstm_feeds(const text::Batch& b) { return {{"ids", b.ids}, {"lengths", b.lengths}, {"labels", b.labels}}; }

runtime::Feeds bert_feeds(const text::Batch& b) {
  return {{"ids", b.ids}, {"segments", b.segment_ids}, {"attention", b.attention_mask}, {"labels", b.labels}};
}

void save_task_files(const std::string& out, const Task& task, double accuracy) {
  task.tokenizer.vocab().save(out + "/vocab.txt");
  save_labels(out + "/labels.txt", task.labels);
  write_accuracy(out, accuracy);
}

void save_labels(const std::string& path, const std::vector<std::string>& labels) {
  std::ofstream f(path);
  for (const auto& l : labels) f << l << "\n";
  if (!f) throw Error("cannot write '" + path + "'");
}

std::vector<std::string> load_labels(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw FormatError("cannot open '" + path + "'");
  std::vector<std::string> labels;
  for (std::string line; std::getline(f, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw FormatError(path + ":" + std::to_string(labels.size() + 1) + ": expected a label, got an empty line");
    labels.push_back(line);
  }
  if (labels.empty()) throw FormatError(path + ": expected at least one label, got none");
  return labels;
}

void save_weights(const runtime::Workspace& ws, const std::string& path,
                  const std::function<std::string(const std::string&)>& rename) {
  runtime::Safetensors st;
  for (const auto& name : ws.names()) {
    if (name.find("optimizer/") == std::string::npos) st.tensors[rename(name)] = ws.get(name);
  }
  runtime::write_safetensors(path, st);
  std::printf("wrote %s (%zu tensors)\n", path.c_str(), st.tensors.size());
}

}  // namespace flowgrad::tools
