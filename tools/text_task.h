#pragma once
// The pieces `flowgrad train lstm|bert` and `flowgrad eval` share: a TSV
// classification task encoded with a WordPiece vocabulary, fixed-shape
// batching, the feeds of each model, and the files of a classifier's output
// folder (config.json, vocab.txt, labels.txt, weights).

#include <memory>
#include <string>
#include <vector>

#include "frontend/flowgrad.h"
#include "text/batcher.h"
#include "text/corpus.h"
#include "text/tsv_dataset.h"
#include "text/wordpiece.h"
#include "tools/train.h"

namespace flowgrad::tools {

inline constexpr int32_t kMaxLen = 32;  // tokens per sequence, [CLS] and [SEP] included

struct Task {
  text::WordPieceTokenizer tokenizer;
  std::shared_ptr<std::vector<text::SequenceExample>> train, test;
  std::vector<std::string> labels;  // id -> label
};

// sentiment_{train,test}.tsv from --data, encoded with `vocab`.
Task load_task(const TrainArgs& args, text::Vocab vocab);
// ... with a WordPiece vocabulary trained on `corpus` and the training sentences.
Task load_task(const TrainArgs& args, const std::vector<text::Document>& corpus);

// Every batch has exactly batch_size rows unless `keep_last` (graph shapes are static).
text::BatcherOptions batching(int64_t batch_size, uint64_t seed, bool shuffle, bool keep_last = false);

runtime::Feeds lstm_feeds(const text::Batch& b);
runtime::Feeds bert_feeds(const text::Batch& b);

// What `flowgrad eval` reads next to a classifier's weights: vocab.txt,
// labels.txt and the held-out accuracy.
void save_task_files(const std::string& out, const Task& task, double accuracy);

// labels.txt: one label per line, in id order.
void save_labels(const std::string& path, const std::vector<std::string>& labels);
std::vector<std::string> load_labels(const std::string& path);

// Writes the workspace's model tensors (not the optimizer state), renamed.
void save_weights(const runtime::Workspace& ws, const std::string& path,
                  const std::function<std::string(const std::string&)>& rename);

}  // namespace flowgrad::tools
