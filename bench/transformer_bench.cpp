// The pass pipeline on a real training graph: a 2-layer Transformer encoder
// (BERT layers: hidden 256, 4 heads, FFN 1024, seq 128, batch 32) with a
// classification head and AdamW. Reports node counts before/after the
// pipeline, planned peak memory vs no reuse, RSS growth over the first step,
// step time with all passes vs with the fusions disabled, and the loss of
// both runs over 5 steps.
//
//   transformer_bench [runs]

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "bench/bench_util.h"
#include "models/bert.h"
#include "ops/matmul_bias_act.h"
#include "passes/pipeline.h"

using namespace flowgrad;

namespace {

constexpr int64_t kBatch = 32, kSeq = 128;

struct Net {
  Builder b;
  Expr loss, step;
  Net() {
    models::BertConfig c{.vocab_size = 1000, .hidden_size = 256, .num_hidden_layers = 2, .num_attention_heads = 4,
                         .intermediate_size = 1024, .max_position_embeddings = kSeq};
    auto in = models::bert_inputs(b, kBatch, kSeq);
    Expr labels = b.input("labels", {DType::i32, {kBatch}});
    auto head = models::bert_classifier_head(b, c, models::bert_encoder(b, c, in, {.training = true}), labels, {});
    loss = head.loss;
    step = optim::minimize(b, loss, optim::AdamW{.lr = 1e-4}).step;
    b.output(loss);  // the graph's outputs: what dce keeps when the pipeline runs on it alone
    b.output(step);
  }
};

runtime::Feeds feeds() {
  Tensor ids({DType::i32, {kBatch, kSeq}}), seg({DType::i32, {kBatch, kSeq}}), att({DType::f32, {kBatch, kSeq}});
  Tensor labels({DType::i32, {kBatch}});
  for (int64_t i = 0; i < kBatch * kSeq; ++i) {
    ids.data<int32_t>()[i] = static_cast<int32_t>((i * 7919) % 1000);
    att.data<float>()[i] = (i % kSeq) < kSeq - (i / kSeq) % 16 ? 1.0f : 0.0f;  // some padding
  }
  for (int64_t i = 0; i < kBatch; ++i) labels.data<int32_t>()[i] = static_cast<int32_t>(i % 2);
  return {{"ids", ids}, {"segments", seg}, {"attention", att}, {"labels", labels}};
}

long rss_kib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  Net net;
  graph::Graph optimized = net.b.graph();
  passes::optimize(optimized);
  // Every fusion pass: the unfused run keeps simplification and memory planning.
  const passes::PipelineOptions unfused{.disabled = {"fuse_masked_softmax", "fuse_add_layer_norm", "fuse_matmul_bias_act",
                                                     "fuse_matmul_residual", "fuse_elementwise"}};
  graph::Graph simplified = net.b.graph();
  passes::optimize(simplified, unfused);
  std::printf("nodes: %zu before the pipeline, %zu after (%zu with the fusions disabled)\n", net.b.graph().num_nodes(),
              optimized.num_nodes(), simplified.num_nodes());
  std::map<std::string, int> fused_ops;
  for (graph::NodeId id : optimized.node_ids()) {
    const std::string& op = optimized.node(id).op;
    if (op == "matmul_bias_act" || op == "add_layer_norm" || op == "masked_softmax" || op == "fused_elementwise") ++fused_ops[op];
  }
  int residual = 0;
  for (graph::NodeId id : optimized.node_ids()) {
    const graph::Node& n = optimized.node(id);
    residual += n.op == "matmul_bias_act" && n.attrs_as<ops::MatmulBiasActAttrs>().residual;
  }
  for (const auto& [op, n] : fused_ops) std::printf("  %s: %d\n", op.c_str(), n);
  std::printf("  (matmul_bias_act with a residual: %d)\n", residual);

  auto f = feeds();
  runtime::Workspace ws_a, ws_b;
  runtime::Session fused(net.b.graph(), ws_a, frontend::with_passes({}, {}));
  runtime::Session plain(net.b.graph(), ws_b, frontend::with_passes({}, unfused));
  long rss0 = rss_kib();
  double first = fused.run(f, {net.loss.id(), net.step.id()})[0].at(0);
  long rss1 = rss_kib();
  const auto& m = fused.last_plan()->memory();
  std::printf("planned peak %.1f MiB vs %.1f MiB without reuse (%.0f%% lower); parameters %.1f MiB, optimizer state %.1f MiB\n",
              m.planned_peak / 1048576.0, m.no_reuse_total / 1048576.0, 100.0 * (1.0 - double(m.planned_peak) / double(m.no_reuse_total)),
              m.parameters / 1048576.0, m.optimizer_state / 1048576.0);
  std::printf("RSS growth over the first step (compile + run): %.1f MiB\n", (rss1 - rss0) / 1024.0);
  double worst = 0;
  double loss_b = plain.run(f, {net.loss.id(), net.step.id()})[0].at(0);
  worst = std::max(worst, std::abs(first - loss_b) / std::abs(loss_b));
  const auto& mu = plain.last_plan()->memory();
  std::printf("with the fusions disabled: planned peak %.1f MiB vs %.1f MiB without reuse\n", mu.planned_peak / 1048576.0,
              mu.no_reuse_total / 1048576.0);
  for (int i = 0; i < 4; ++i) {
    double a = fused.run(f, {net.loss.id(), net.step.id()})[0].at(0);
    double b = plain.run(f, {net.loss.id(), net.step.id()})[0].at(0);
    worst = std::max(worst, std::abs(a - b) / std::abs(b));
  }
  std::printf("5 training steps, fused vs unfused loss: max relative difference %.3g (step 1: %.9g vs %.9g)\n", worst,
              first, loss_b);
  // Alternate the two sessions run by run, so that load from other processes
  // on this shared machine falls on both alike.
  std::vector<double> a, u;
  for (int i = 0; i < runs; ++i) {
    a.push_back(bench::time_runs(0, 1, [&] { fused.run(f, {net.loss.id(), net.step.id()}); }).median_ms);
    u.push_back(bench::time_runs(0, 1, [&] { plain.run(f, {net.loss.id(), net.step.id()}); }).median_ms);
  }
  bench::print_row("train step, all passes", bench::summarize(a));
  bench::print_row("train step, fusions disabled", bench::summarize(u));
  return 0;
}
