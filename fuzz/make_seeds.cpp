// Writes the seed corpora of the fuzz harnesses (tools/fuzz.sh runs it):
//   <out>/graph/        training graphs of word2vec, the LSTM classifier and
//                       BERT pre-training (tiny configs), and an inference graph
//   <out>/safetensors/  their initial weights, plus a file with F16/BF16
//                       tensors and metadata
//   <out>/manifest/     a real checkpoint manifest of the tensors
//                       fuzz_checkpoint_manifest.cpp verifies
// Real files make the fuzzer start from deep inside the formats.

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "frontend/flowgrad.h"
#include "graph/serialize.h"
#include "models/bert.h"
#include "models/lstm_classifier.h"
#include "models/word2vec.h"
#include "ops/op_def.h"
#include "runtime/checkpoint.h"
#include "runtime/graph_io.h"
#include "runtime/safetensors.h"

namespace fs = std::filesystem;
using namespace flowgrad;

namespace {

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The graph and its initial parameters (each variable's own init rule, run by
// Workspace::bind; optimizer state left out, as in exported weights).
void save_model(const fs::path& out, const std::string& name, const graph::Graph& g) {
  write(out / "graph" / (name + ".pb"), graph::serialize(g));
  runtime::Workspace ws;
  runtime::Safetensors w;
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    if (ops::get_op(n.op).source != ops::Source::variable || n.name.find("optimizer/") != std::string::npos) continue;
    w.tensors[n.name] = ws.bind(n, g.value(n.outputs[0]).type);
  }
  write(out / "safetensors" / (name + ".safetensors"), runtime::encode_safetensors(w));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT_DIR\n");
    return 2;
  }
  fs::path out = argv[1];
  for (const char* d : {"graph", "safetensors", "manifest"}) fs::create_directories(out / d);
  {
    Builder b;
    auto m = models::word2vec(b, {.dim = 4, .window = 1, .negatives = 2, .min_count = 1}, 10, 2, 10);
    b.output(m.loss);
    save_model(out, "word2vec", b.graph());
  }
  {
    Builder b;
    auto m = models::lstm_classifier(b, {.vocab_size = 10, .embedding_dim = 4, .hidden_size = 4}, 2, 3, true);
    auto train = optim::minimize(b, m.loss, optim::AdamW{.clip_norm = 1.0});
    b.output(m.loss);
    b.output(train.step);
    save_model(out, "lstm", b.graph());
  }
  models::BertConfig c{.vocab_size = 12, .hidden_size = 4, .num_hidden_layers = 1, .num_attention_heads = 2,
                       .intermediate_size = 8, .max_position_embeddings = 4};
  for (bool training : {true, false}) {
    Builder b;
    auto in = models::bert_inputs(b, 1, 4);
    Expr pos = b.input("mlm_positions", {DType::i32, {1, 1}});
    Expr labels = b.input("mlm_labels", {DType::i32, {1, 1}});
    Expr nsp = b.input("nsp_labels", {DType::i32, {1}});
    auto heads = models::bert_pretraining_heads(b, c, models::bert_encoder(b, c, in, {.training = training}), pos, labels, nsp);
    if (training) {
      auto train = optim::minimize(b, heads.loss, optim::AdamW{.schedule = {.kind = "linear", .warmup_steps = 1, .total_steps = 5}});
      b.output(train.step);
    }
    b.output(heads.loss);
    save_model(out, training ? "bert_train" : "bert_inference", b.graph());
  }
  std::string h = R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},)"
                  R"("__metadata__":{"format":"pt"}})";
  std::string f(8, '\0');
  f[0] = static_cast<char>(h.size());
  write(out / "safetensors" / "half.safetensors", f + h + std::string("\x00\x3c\x00\xc0\x80\x3f", 6));

  // The tensors fuzz_checkpoint_manifest.cpp verifies against.
  runtime::Workspace ws;
  graph::Tensor w({DType::f32, {2, 3}}), n({DType::i64, {1}});
  for (int i = 0; i < 6; ++i) w.data<float>()[i] = 0.5f * static_cast<float>(i);
  n.data<int64_t>()[0] = 7;
  ws.set("w", w);
  ws.set("optimizer/step", n);
  fs::path tmp = out / "checkpoint.tmp";
  std::string dir = runtime::save_checkpoint(tmp.string(), ws, 3, 3, {{"loader", R"({"epoch":0,"index":3})"}});
  fs::copy_file(fs::path(dir) / "manifest.json", out / "manifest" / "manifest.json", fs::copy_options::overwrite_existing);
  fs::remove_all(tmp);
  std::printf("seeds written to %s\n", out.c_str());
  return 0;
}
