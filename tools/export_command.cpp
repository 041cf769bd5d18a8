// flowgrad export word2vec|lstm|bert: writes a model's whole training step
// (or, with --inference, its forward pass) as a graph file, with its initial
// weights and one batch of synthetic inputs, so that `flowgrad replay` can run
// or train it without any model code:
//
//   <out>/graph.pb              the graph (proto/flowgrad.proto)
//   <out>/weights.safetensors   initial parameters (names = variable node names)
//   <out>/feed.safetensors      one batch for every graph input (names = input names)
//
// `--out path/name.pb` (the spelling) writes the graph to that file and
// the two safetensors files next to it.
//
// The batch is drawn from a seeded counter stream (valid token ids, lengths,
// masked positions and labels); training on it repeatedly must lower the loss.

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "models/bert.h"
#include "models/json_fields.h"
#include "models/lstm_classifier.h"
#include "models/word2vec.h"
#include "runtime/graph_io.h"
#include "runtime/safetensors.h"
#include "text/random.h"
#include "tools/commands.h"
#include "tools/train.h"

namespace flowgrad::tools {
namespace {

struct ExportArgs {
  std::string model, config, out;
  int64_t batch_size = 8;
  int64_t seq_len = 32;
  int64_t vocab_size = 2000;  // word2vec and lstm (BERT: config.json's vocab_size)
  int64_t seed = 1;
  bool inference = false;
};

struct Exported {
  Builder b;
  runtime::Feeds feed;
};

Tensor ints(const graph::Shape& shape, text::CounterRng& rng, int64_t lo, int64_t hi) {
  Tensor t({graph::DType::i32, shape});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int32_t>()[i] = static_cast<int32_t>(rng.between(lo, hi));
  return t;
}

// The --config object (empty without --config): models/json_fields.h's reading.
nlohmann::json json_object(const std::string& path) {
  return path.empty() ? nlohmann::json::object() : models::read_json_object(path);
}

void export_word2vec(const ExportArgs& a, Exported& e, text::CounterRng& rng) {
  if (a.inference) throw ValueError("export word2vec: there is no inference graph (the vectors are the weights)");
  models::Word2VecConfig c{.seed = a.seed};
  auto j = json_object(a.config);
  models::read_field(j, "mode", c.mode, a.config);
  models::read_field(j, "dim", c.dim, a.config);
  models::read_field(j, "window", c.window, a.config);
  models::read_field(j, "negatives", c.negatives, a.config);
  models::read_field(j, "lr", c.lr, a.config);
  models::Word2Vec m = models::word2vec(e.b, c, a.vocab_size, a.batch_size, 1000);
  e.b.output(m.loss);
  e.b.output(m.train.step);
  int64_t n = a.batch_size, v = a.vocab_size;
  if (c.mode == "cbow") {
    e.feed.emplace_back("contexts", ints({n, 2 * c.window}, rng, 0, v - 1));
    Tensor mask({graph::DType::f32, {n, 2 * c.window}});
    for (int64_t i = 0; i < mask.numel(); ++i) mask.data<float>()[i] = 1.0f;
    e.feed.emplace_back("context_mask", mask);
  } else {
    e.feed.emplace_back("inputs", ints({n}, rng, 0, v - 1));
  }
  e.feed.emplace_back("targets", ints({n}, rng, 0, v - 1));
  e.feed.emplace_back("negatives", ints({n, c.negatives}, rng, 0, v - 1));
}

void export_lstm(const ExportArgs& a, Exported& e, text::CounterRng& rng) {
  models::LstmClassifierConfig c{.vocab_size = a.vocab_size, .seed = a.seed};
  auto j = json_object(a.config);
  models::read_field(j, "embedding_dim", c.embedding_dim, a.config);
  models::read_field(j, "hidden_size", c.hidden_size, a.config);
  models::read_field(j, "num_layers", c.num_layers, a.config);
  models::read_field(j, "bidirectional", c.bidirectional, a.config);
  models::read_field(j, "dropout", c.dropout, a.config);
  models::read_field(j, "num_labels", c.num_labels, a.config);
  int64_t n = a.batch_size, t = a.seq_len;
  auto m = models::lstm_classifier(e.b, c, n, t, !a.inference);
  if (a.inference) {
    e.b.output(m.logits);
  } else {
    auto train = optim::minimize(e.b, m.loss, optim::AdamW{.lr = 3e-3, .clip_norm = 1.0});
    e.b.output(m.loss);
    e.b.output(train.step);
  }
  e.feed.emplace_back("ids", ints({n, t}, rng, 1, a.vocab_size - 1));
  e.feed.emplace_back("lengths", ints({n}, rng, 1, t));
  e.feed.emplace_back("labels", ints({n}, rng, 0, c.num_labels - 1));
}

// Pre-training (masked-LM + next sentence), as `flowgrad train bert` runs it.
void export_bert(const ExportArgs& a, Exported& e, text::CounterRng& rng) {
  models::BertConfig c = a.config.empty() ? models::BertConfig{.vocab_size = a.vocab_size, .hidden_size = 64,
                                                               .num_hidden_layers = 2, .num_attention_heads = 4,
                                                               .intermediate_size = 128, .max_position_embeddings = 64}
                                          : models::BertConfig::from_json_file(a.config);
  int64_t n = a.batch_size, t = a.seq_len, p = std::max<int64_t>(1, t * 15 / 100);
  if (t > c.max_position_embeddings) {
    throw ValueError("export bert: --seq-len " + std::to_string(t) + " exceeds max_position_embeddings " +
                     std::to_string(c.max_position_embeddings));
  }
  auto in = models::bert_inputs(e.b, n, t);
  Expr positions = e.b.input("mlm_positions", {graph::DType::i32, {n, p}});
  Expr mlm_labels = e.b.input("mlm_labels", {graph::DType::i32, {n, p}});
  Expr nsp_labels = e.b.input("nsp_labels", {graph::DType::i32, {n}});
  auto enc = models::bert_encoder(e.b, c, in, {.training = !a.inference, .seed = a.seed});
  auto heads = models::bert_pretraining_heads(e.b, c, enc, positions, mlm_labels, nsp_labels);
  if (a.inference) {
    e.b.output(heads.mlm_logits);
    e.b.output(heads.nsp_logits);
  } else {
    auto train = optim::minimize(e.b, heads.loss, optim::AdamW{.lr = 1e-3, .weight_decay = 0.01, .clip_norm = 1.0});
    e.b.output(heads.loss);
    e.b.output(heads.mlm_loss);
    e.b.output(heads.nsp_loss);
    e.b.output(train.step);
  }
  Tensor ids = ints({n, t}, rng, 5, c.vocab_size - 1), segments({graph::DType::i32, {n, t}});
  Tensor attention({graph::DType::f32, {n, t}}), pos({graph::DType::i32, {n, p}}), labels({graph::DType::i32, {n, p}});
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t i = 0; i < t; ++i) {
      segments.data<int32_t>()[r * t + i] = i >= t / 2;
      attention.data<float>()[r * t + i] = 1.0f;
    }
    for (int64_t k = 0; k < p; ++k) {  // positions 1, 1 + stride, ...: distinct, inside the row
      int64_t i = 1 + k * ((t - 1) / p);
      pos.data<int32_t>()[r * p + k] = static_cast<int32_t>(i);
      labels.data<int32_t>()[r * p + k] = ids.data<int32_t>()[r * t + i];
      ids.data<int32_t>()[r * t + i] = 3;  // the masked token's id stands in for [MASK]
    }
  }
  e.feed = {{"ids", ids}, {"segments", segments}, {"attention", attention}, {"mlm_positions", pos},
            {"mlm_labels", labels}, {"nsp_labels", ints({n}, rng, 0, 1)}};
}

int export_model(const ExportArgs& a) {
  Exported e;
  text::CounterRng rng(static_cast<uint64_t>(a.seed), 0xE0);
  if (a.model == "word2vec") export_word2vec(a, e, rng);
  else if (a.model == "lstm") export_lstm(a, e, rng);
  else export_bert(a, e, rng);
  const graph::Graph& g = e.b.graph();
  // --out DIR, or --out DIR/name.pb
  std::filesystem::path graph_path = a.out;
  if (graph_path.extension() != ".pb") graph_path /= "graph.pb";
  const std::filesystem::path dir = graph_path.parent_path().empty() ? "." : graph_path.parent_path();
  std::filesystem::create_directories(dir);
  runtime::save_graph(g, graph_path.string());
  runtime::Safetensors feed;
  for (const auto& [name, t] : e.feed) feed.tensors[name] = t;
  runtime::write_safetensors((dir / "feed.safetensors").string(), feed);
  // Running the first output (the loss or the logits) without the update
  // materializes the initial parameters, and only those.
  runtime::Session init(g);
  init.run(e.feed, {g.outputs().front()});
  runtime::Safetensors w;
  for (const auto& name : init.workspace().names()) w.tensors[name] = init.workspace().get(name);
  runtime::write_safetensors((dir / "weights.safetensors").string(), w);
  std::printf("exported %s %s graph to %s (%zu nodes), %s/weights.safetensors (%zu tensors), feed.safetensors\n",
              a.model.c_str(), a.inference ? "inference" : "training", graph_path.c_str(), g.num_nodes(), dir.c_str(),
              w.tensors.size());
  return 0;
}

}  // namespace

Command add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Write a model's training step (or --inference graph) with initial weights and a feed");
  auto a = std::make_shared<ExportArgs>();
  cmd->add_option("model", a->model, "word2vec | lstm | bert")->required()->check(CLI::IsMember({"word2vec", "lstm", "bert"}));
  cmd->add_option("--out", a->out, "Output folder for graph.pb, weights.safetensors, feed.safetensors (or a path ending in .pb: the graph file, the others beside it)")->required();
  cmd->add_option("--config", a->config, "Model configuration (JSON; BERT: Hugging Face config.json fields)");
  cmd->add_option("--batch-size", a->batch_size, "Examples per step")->check(CLI::PositiveNumber);
  cmd->add_option("--seq-len", a->seq_len, "Tokens per sequence (lstm, bert)")->check(CLI::Range(2, 4096));
  cmd->add_option("--vocab-size", a->vocab_size, "Vocabulary size (word2vec, lstm; BERT without --config)")->check(CLI::Range(8, 1 << 24));
  cmd->add_option("--seed", a->seed, "Seed of the initial weights, dropout streams and the feed");
  cmd->add_flag("--inference", a->inference, "The forward pass only (lstm, bert)");
  return [a] { return export_model(*a); };
}

}  // namespace flowgrad::tools
