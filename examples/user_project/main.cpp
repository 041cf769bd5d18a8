// attention_classifier: a program of its own, built against an installed
// flowgrad (find_package(flowgrad)). It
//   1. checks its custom op `swish` with flowgrad's public harness
//      (kernel vs reference, gradient vs finite differences in f32 and f64),
//   2. trains the attention-pooling classifier of model.h (the loss must fall),
//   3. saves the training graph and every variable (weights and AdamW state),
//   4. replays them in a fresh session and checks that training continues
//      bit for bit as it does in the original session.
// Exits 1 if any of these fails.
//
//   attention_classifier [OUT_DIR]   (default: ./attention_classifier_out)

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "frontend/gradcheck.h"
#include "frontend/summary.h"
#include "model.h"
#include "runtime/graph_io.h"
#include "runtime/safetensors.h"
#include "swish.h"

using namespace flowgrad;

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "FAILED: %s\n", what.c_str());
  return 1;
}

// 0 when swish's kernel and gradient rule pass flowgrad's checks.
int check_swish() {
  for (double beta : {1.0, 1.7}) {
    frontend::OpCheck c{.op = "swish",
                        .inputs = {{DType::f32, {3, 5}}},
                        .attrs = std::make_shared<graph::Attrs<user::SwishAttrs>>(user::SwishAttrs{.beta = beta})};
    if (std::string why = frontend::check_forward(c); !why.empty()) return fail("swish forward: " + why);
    for (auto p : {frontend::Precision::f32, frontend::Precision::f64}) {
      frontend::GradCheckResult r = frontend::gradcheck(c, {.precision = p});
      if (!r.ok()) return fail(std::string("swish gradient (") + (p == frontend::Precision::f64 ? "f64" : "f32") +
                               "): " + r.error);
    }
  }
  std::printf("swish: kernel matches its reference, gradient matches finite differences in f32 and f64\n");
  return 0;
}

runtime::Feeds feeds_of(const user::Batch& batch) { return {{"tokens", batch.tokens}, {"labels", batch.labels}}; }

double accuracy(runtime::Session& sess, const user::AttentionClassifier& m, const user::Batch& batch) {
  Tensor logits = sess.run(feeds_of(batch), {m.logits.id()})[0];
  int64_t n = batch.labels.numel(), correct = 0;
  for (int64_t i = 0; i < n; ++i) correct += (logits.at(2 * i + 1) > logits.at(2 * i)) == (batch.labels.at(i) == 1);
  return static_cast<double>(correct) / static_cast<double>(n);
}

// The value of `v` in a graph read back from a file: found by its node's name.
graph::ValueId same_value(const graph::Graph& loaded, const Expr& v) {
  const graph::Node* n = loaded.find(v.producer().name);
  if (n == nullptr) throw ValueError("the saved graph has no node '" + v.producer().name + "'");
  return n->outputs.at(v.emitter().graph().value(v.id()).index);
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.type() == b.type() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out = argc > 1 ? argv[1] : "attention_classifier_out";
  if (int failed = check_swish()) return failed;

  user::ClassifierConfig config;
  user::AttentionClassifier m(config);
  std::printf("%s", frontend::summary(m.b.graph()).c_str());

  // 2. Train: 120 AdamW steps on fresh batches.
  runtime::Session sess(m.b.graph(), frontend::with_passes());
  constexpr int kSteps = 120;
  double first = 0, last = 0;
  for (int step = 0; step < kSteps; ++step) {
    double loss = sess.run(feeds_of(user::make_batch(config, step)), {m.loss.id(), m.train.step.id()})[0].at(0);
    if (step < 10) first += loss / 10;
    if (step >= kSteps - 10) last += loss / 10;
    if (step % 20 == 0) std::printf("step %3d  loss %.4f\n", step, loss);
  }
  double acc = accuracy(sess, m, user::make_batch(config, 1000));
  std::printf("mean loss: first 10 steps %.4f, last 10 steps %.4f; held-out accuracy %.1f%%\n", first, last,
              100 * acc);
  if (!(last < 0.5 * first)) return fail("the loss did not fall by half");
  if (acc < 0.9) return fail("held-out accuracy below 90%");

  // 3. Save the training graph and every variable.
  std::filesystem::create_directories(out);
  runtime::save_graph(m.b.graph(), out + "/graph.pb");
  runtime::Safetensors weights;
  for (const auto& name : sess.workspace().names()) weights.tensors[name] = sess.workspace().get(name).clone();
  runtime::write_safetensors(out + "/weights.safetensors", weights);
  std::printf("saved %s/graph.pb (%zu nodes) and %s/weights.safetensors (%zu tensors)\n", out.c_str(),
              m.b.graph().num_nodes(), out.c_str(), weights.tensors.size());

  // 4. Replay: a fresh graph and workspace from the files; both sessions train
  // 5 more steps on the same batches and must agree bit for bit.
  graph::Graph loaded = runtime::load_graph(out + "/graph.pb");
  runtime::Workspace ws;
  for (const auto& [name, t] : runtime::read_safetensors(out + "/weights.safetensors").tensors) ws.set(name, t);
  runtime::Session replay(loaded, ws, frontend::with_passes());
  graph::ValueId loss2 = same_value(loaded, m.loss), step2 = same_value(loaded, m.train.step);
  for (int step = kSteps; step < kSteps + 5; ++step) {
    user::Batch batch = user::make_batch(config, step);
    Tensor a = sess.run(feeds_of(batch), {m.loss.id(), m.train.step.id()})[0];
    Tensor b = replay.run(feeds_of(batch), {loss2, step2})[0];
    if (!bit_identical(a, b)) return fail("replayed loss differs at step " + std::to_string(step));
  }
  for (const auto& name : sess.workspace().names()) {
    if (!bit_identical(sess.workspace().get(name), ws.get(name))) return fail("replayed variable " + name + " differs");
  }
  std::printf("replay: 5 more steps from the saved files match the original session bit for bit (%zu variables)\n",
              sess.workspace().names().size());
  return 0;
}
