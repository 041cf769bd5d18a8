// Training-step throughput of the shipped models on the shapes of the
// performance issue (bench/README.md), one workload and thread count per
// process so that runs do not share caches, allocator state or thread pools.
//
//   train_bench WORKLOAD THREADS [STEPS] [--bucket-mb MB]
//
//   bert-mini  vocab 30522, 4 layers, hidden 256, 4 heads, FFN 1024, seq 128,
//              batch 32, MLM on 20 positions (15%) with tied decoder + NSP, AdamW
//   bert-base  12 layers, hidden 768, 12 heads, FFN 3072, seq 128, batch 8
//   lstm       vocab 20000, embedding 128, LSTM 256, 1 layer, seq 64, batch 64, Adam
//   bilstm2    the same with 2 bidirectional layers
//
// --bucket-mb: data parallel (docs/distributed.md): gradients averaged over
// the workers of `mpirun -np N train_bench ...` in allreduce buckets of MB;
// with FLOWGRAD_TRACE set, each worker's trace shows the overlap
// (bench/trace_overlap.py). Batch sizes are per worker.
//
// Prints one JSON line (bench/run.sh collects them): per-step throughput
// median/min/max over STEPS timed steps after one warm-up step, the time of
// the first step (compile + run), and the process's peak RSS.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "bench/bench_util.h"
#include "models/bert.h"
#include "models/lstm_classifier.h"
#include "runtime/threads.h"

using namespace flowgrad;

namespace {

struct Workload {
  std::optional<optim::DataParallel> data_parallel;
  Builder b;
  Expr loss, step;
  runtime::Feeds feeds;
  double items_per_step = 0;
  const char* unit = "";
};

// Deterministic filler: a fixed integer hash, so every run feeds the same data.
int32_t hash_int(int64_t i, int64_t mod) { return static_cast<int32_t>((static_cast<uint64_t>(i) * 2654435761u >> 7) % static_cast<uint64_t>(mod)); }

Tensor int_tensor(Shape s, int64_t mod, int64_t salt) {
  Tensor t({DType::i32, s});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int32_t>()[i] = hash_int(i * 31 + salt, mod);
  return t;
}

Expr minimize(Workload& w, Expr loss, const optim::Optimizer& opt) {
  return w.data_parallel ? optim::minimize(w.b, loss, opt, *w.data_parallel).step : optim::minimize(w.b, loss, opt).step;
}

void build_bert(Workload& w, const models::BertConfig& c, int64_t batch, int64_t seq) {
  const int64_t predictions = (seq * 15 + 99) / 100;  // 15% of the tokens, rounded up
  auto in = models::bert_inputs(w.b, batch, seq);
  Expr positions = w.b.input("mlm_positions", {DType::i32, {batch, predictions}});
  Expr mlm_labels = w.b.input("mlm_labels", {DType::i32, {batch, predictions}});
  Expr nsp_labels = w.b.input("nsp_labels", {DType::i32, {batch}});
  auto enc = models::bert_encoder(w.b, c, in, {.training = true, .seed = 1});
  auto heads = models::bert_pretraining_heads(w.b, c, enc, positions, mlm_labels, nsp_labels);
  w.loss = heads.loss;
  w.step = minimize(w, heads.loss, optim::AdamW{.lr = 1e-4, .weight_decay = 0.01});

  Tensor segments({DType::i32, {batch, seq}}), attention({DType::f32, {batch, seq}}), pos({DType::i32, {batch, predictions}});
  for (int64_t i = 0; i < batch * seq; ++i) {
    segments.data<int32_t>()[i] = (i % seq) < seq / 2 ? 0 : 1;
    attention.data<float>()[i] = 1.0f;
  }
  for (int64_t r = 0; r < batch; ++r) {
    for (int64_t p = 0; p < predictions; ++p) {  // distinct positions, spread over the sequence
      pos.data<int32_t>()[r * predictions + p] = static_cast<int32_t>(1 + (p * (seq - 2) / predictions + r) % (seq - 2));
    }
  }
  w.feeds = {{"ids", int_tensor({batch, seq}, c.vocab_size, 1)}, {"segments", segments}, {"attention", attention},
             {"mlm_positions", pos}, {"mlm_labels", int_tensor({batch, predictions}, c.vocab_size, 2)},
             {"nsp_labels", int_tensor({batch}, 2, 3)}};
  w.items_per_step = static_cast<double>(batch * seq);
  w.unit = "tokens/s";
}

void build_lstm(Workload& w, int64_t layers, bool bidirectional) {
  constexpr int64_t kBatch = 64, kSeq = 64;
  models::LstmClassifierConfig c{.vocab_size = 20000, .embedding_dim = 128, .hidden_size = 256, .num_layers = layers,
                                 .bidirectional = bidirectional, .dropout = 0.1, .num_labels = 2};
  auto m = models::lstm_classifier(w.b, c, kBatch, kSeq, true);
  w.loss = m.loss;
  w.step = minimize(w, m.loss, optim::Adam{.lr = 1e-3});
  Tensor lengths({DType::i32, {kBatch}});
  for (int64_t i = 0; i < kBatch; ++i) lengths.data<int32_t>()[i] = kSeq;
  w.feeds = {{"ids", int_tensor({kBatch, kSeq}, c.vocab_size, 1)}, {"lengths", lengths}, {"labels", int_tensor({kBatch}, 2, 2)}};
  w.items_per_step = kBatch;
  w.unit = "sequences/s";
}

void build(Workload& w, const std::string& name) {
  if (name == "bert-mini") {
    build_bert(w, {.vocab_size = 30522, .hidden_size = 256, .num_hidden_layers = 4, .num_attention_heads = 4,
                   .intermediate_size = 1024, .max_position_embeddings = 512},
               32, 128);
  } else if (name == "bert-base") {
    build_bert(w, {.vocab_size = 30522}, 8, 128);
  } else if (name == "lstm") {
    build_lstm(w, 1, false);
  } else if (name == "bilstm2") {
    build_lstm(w, 2, true);
  } else {
    throw ValueError("unknown workload '" + name + "' (expected bert-mini, bert-base, lstm or bilstm2)");
  }
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::fprintf(stderr, "usage: train_bench bert-mini|bert-base|lstm|bilstm2 THREADS [STEPS] [--bucket-mb MB]\n");
    return 2;
  }
  const std::string name = argv[1];
  const int threads = std::atoi(argv[2]);
  const int steps = argc > 3 ? std::atoi(argv[3]) : 10;
  if (threads < 1 || steps < 1) throw ValueError("THREADS and STEPS must be positive");
  runtime::set_num_threads(threads);

  Workload w;
  if (argc > 5 && std::string(argv[4]) == "--bucket-mb") {
    const double mb = std::atof(argv[5]);
    if (!(mb > 0)) throw ValueError("--bucket-mb must be positive");
    w.data_parallel = optim::DataParallel{.bucket_bytes = static_cast<int64_t>(mb * (1 << 20))};
  } else if (argc > 4) {
    throw ValueError(std::string("unknown argument '") + argv[4] + "' (expected --bucket-mb MB)");
  }
  build(w, name);
  runtime::Session session(w.b.graph());
  double loss = 0;
  auto run = [&] { loss = session.run(w.feeds, {w.loss.id(), w.step.id()})[0].at(0); };
  auto t0 = std::chrono::steady_clock::now();
  run();  // compile + first step
  double first_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "%s", runtime::format_memory_report(session.last_plan()->memory()).c_str());  // where RSS goes
  bench::Stats s = bench::time_runs(1, steps, run);
  std::printf("{\"impl\": \"flowgrad\", \"workload\": \"%s\", \"threads\": %d, \"unit\": \"%s\", \"median\": %.2f, "
              "\"min\": %.2f, \"max\": %.2f, \"first_step_ms\": %.1f, \"peak_rss_mib\": %.1f, \"steps\": %d, \"loss\": %.4f}\n",
              name.c_str(), threads, w.unit, w.items_per_step / (s.median_ms / 1e3), w.items_per_step / (s.max_ms / 1e3),
              w.items_per_step / (s.min_ms / 1e3), first_ms, peak_rss_mib(), steps, loss);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "train_bench: %s\n", e.what());
  return 1;
}
