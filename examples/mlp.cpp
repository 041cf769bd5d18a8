// A 2-layer MLP in the DSL: checked against the reference kernels, trained
// with AdamW on two concentric rings (not linearly separable), and exported
// as a graph file that `flowgrad replay` can train without this program.
//
//   mlp_example                 check, train, print the loss and accuracy
//   mlp_example --check         only the check (exit 1 on a mismatch)
//   mlp_example --export DIR    also write DIR/graph.pb, DIR/feed.safetensors,
//                               DIR/weights.safetensors

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "frontend/flowgrad.h"
#include "ops/random.h"
#include "runtime/graph_io.h"
#include "runtime/reference.h"
#include "runtime/safetensors.h"

using namespace flowgrad;

namespace {

constexpr int64_t kN = 256, kHidden = 32;

// Inner disc (label 0) and an outer ring (label 1).
void rings(uint64_t seed, graph::Tensor& x, graph::Tensor& y) {
  x = graph::Tensor({graph::DType::f32, {kN, 2}});
  y = graph::Tensor({graph::DType::i32, {kN}});
  uint64_t key = ops::random_key(seed, 1);
  for (int64_t i = 0; i < kN; ++i) {
    int32_t label = static_cast<int32_t>(i % 2);
    double u = ops::uniform01(key, 2 * i), a = 2 * M_PI * ops::uniform01(key, 2 * i + 1);
    double r = label ? 1.5 + 0.5 * u : 0.8 * u;
    x.data<float>()[2 * i] = static_cast<float>(r * std::cos(a));
    x.data<float>()[2 * i + 1] = static_cast<float>(r * std::sin(a));
    y.data<int32_t>()[i] = label;
  }
}

struct Model {
  Builder b;
  Expr x, y, logits, loss;
  optim::TrainStep train;
  Model() {
    x = b.input("x", {graph::DType::f32, {kN, 2}});
    y = b.input("y", {graph::DType::i32, {kN}});
    auto s = b.scope("mlp");
    Expr h = ops::relu(nn::linear(b, x, {.out_features = kHidden, .seed = 1}, "layer1"));
    logits = nn::linear(b, h, {.out_features = 2, .seed = 2}, "layer2");
    loss = ops::softmax_cross_entropy(logits, y);
    train = optim::minimize(b, loss, optim::AdamW{.lr = 0.02, .weight_decay = 1e-4});
    b.output(loss);
    b.output(train.step);
  }
};

bool check_against_reference(Model& m, const graph::Tensor& xs) {
  runtime::Session sess(m.b.graph(), frontend::with_passes());  // fused kernels included
  auto got = sess.run({{"x", xs}}, {m.logits.id()});
  auto want = runtime::run_reference(m.b.graph(), {{"x", xs}}, {m.logits.id()}, sess.workspace());
  double err = 0, ref = 0;
  for (int64_t i = 0; i < got[0].numel(); ++i) {
    err = std::max(err, std::abs(got[0].at(i) - want[0].at(i)));
    ref = std::max(ref, std::abs(want[0].at(i)));
  }
  bool ok = err <= 1e-5 * std::max(1.0, ref);
  std::printf("runtime vs reference kernels: max |diff| = %.3g (max |ref| = %.3g): %s\n", err, ref, ok ? "match" : "MISMATCH");
  return ok;
}

double accuracy(runtime::Session& sess, Model& m, const graph::Tensor& xs, const graph::Tensor& ys) {
  graph::Tensor p = sess.run({{"x", xs}}, {m.logits.id()})[0];
  int64_t correct = 0;
  for (int64_t i = 0; i < kN; ++i) correct += (p.at(2 * i + 1) > p.at(2 * i)) == (ys.data<int32_t>()[i] == 1);
  return static_cast<double>(correct) / kN;
}

void export_to(const std::string& dir, Model& m, const graph::Tensor& xs, const graph::Tensor& ys) {
  std::filesystem::create_directories(dir);
  runtime::save_graph(m.b.graph(), dir + "/graph.pb");
  runtime::Safetensors feed;
  feed.tensors = {{"x", xs}, {"y", ys}};
  runtime::write_safetensors(dir + "/feed.safetensors", feed);
  runtime::Session init(m.b.graph());
  init.run({{"x", xs}}, {m.logits.id()});  // materializes the initial weights
  runtime::Safetensors w;
  for (const auto& name : init.workspace().names()) w.tensors[name] = init.workspace().get(name);
  runtime::write_safetensors(dir + "/weights.safetensors", w);
  std::printf("exported %s/graph.pb (%zu nodes), feed.safetensors, weights.safetensors\n", dir.c_str(), m.b.graph().num_nodes());
}

}  // namespace

int main(int argc, char** argv) {
  bool check_only = argc > 1 && std::strcmp(argv[1], "--check") == 0;
  std::string export_dir = argc > 2 && std::strcmp(argv[1], "--export") == 0 ? argv[2] : "";
  Model m;
  graph::Tensor xs, ys, xt, yt;
  rings(1, xs, ys);
  rings(2, xt, yt);
  if (!check_against_reference(m, xs)) return 1;
  if (check_only) return 0;
  if (!export_dir.empty()) export_to(export_dir, m, xs, ys);

  std::printf("training a 2-layer MLP (2 -> %lld -> 2) on concentric rings, AdamW, %d threads\n",
              static_cast<long long>(kHidden), runtime::num_threads());
  runtime::Session sess(m.b.graph(), frontend::with_passes());
  for (int step = 1; step <= 200; ++step) {
    double loss = sess.run({{"x", xs}, {"y", ys}}, {m.loss.id(), m.train.step.id()})[0].at(0);
    if (step == 1 || step % 40 == 0) std::printf("  step %3d  loss %.4f\n", step, loss);
  }
  std::printf("held-out accuracy: %.1f%%\n", 100 * accuracy(sess, m, xt, yt));
  return 0;
}
