#pragma once
// Tiny training setups of the three models (word2vec, the LSTM classifier,
// BERT pre-training), each with its data loader, for the resume and
// graph-file tests. A setup holds the whole training step as one graph and
// makes fresh loaders; a loader yields each step's feeds and saves / restores
// its position (data order and any host-side random stream) as the strings a
// checkpoint stores in its manifest ("extra").

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "frontend/flowgrad.h"

namespace flowgrad::testing {

class Loader {
 public:
  virtual ~Loader() = default;
  virtual runtime::Feeds next() = 0;
  virtual std::map<std::string, std::string> state() const = 0;
  virtual void restore(const std::map<std::string, std::string>& state) = 0;
};

struct TinyTraining {
  std::string name;
  graph::Graph graph;   // forward, backward and optimizer update
  graph::ValueId loss;  // scalar
  graph::ValueId step;  // fetch to run one update
  bool has_dropout = false;
  std::function<std::unique_ptr<Loader>()> make_loader;
};

// Skip-gram with 3 negatives drawn on the host from a counter stream; about
// 4 batches per epoch, so 12 steps cross epochs.
TinyTraining tiny_word2vec();
// Bidirectional LSTM classifier, dropout 0.5, AdamW with clipping; a shuffled
// Batcher of 20 sequences in batches of 4.
TinyTraining tiny_lstm();
// BERT (1 layer, hidden 16) with masked-LM + NSP heads, dropout 0.1, AdamW
// with warm-up and clipping; a shuffled Batcher of 20 sequences in batches of 4.
TinyTraining tiny_bert();

}  // namespace flowgrad::testing
