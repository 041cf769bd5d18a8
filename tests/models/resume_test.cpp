// Exact resume of the three models: N training steps straight equal N/2
// steps, a checkpoint, a restore into a fresh workspace, session and loader
// (what a new process has), and N/2 more — every loss and every tensor of the
// workspace (parameters, optimizer state, step counters) bit for bit. The
// checkpoint carries the session's run counter (dropout streams) and the
// loader's position and host-side random stream (negative sampling); resuming
// without either is shown to diverge, so the comparison can fail.

#include <unistd.h>

#include <filesystem>

#include "runtime/checkpoint.h"
#include "testing.h"
#include "tiny_training.h"

namespace flowgrad::testing {
namespace {

namespace fs = std::filesystem;
constexpr int kSteps = 12;

struct Run {
  std::vector<double> losses;
  runtime::Workspace ws;
};

void train(runtime::Session& sess, Loader& loader, const TinyTraining& t, int steps, std::vector<double>& losses) {
  for (int i = 0; i < steps; ++i) losses.push_back(sess.run(loader.next(), {t.loss, t.step})[0].at(0));
}

Run straight(const TinyTraining& t) {
  Run r;
  runtime::Session sess(t.graph, r.ws);
  auto loader = t.make_loader();
  train(sess, *loader, t, kSteps, r.losses);
  return r;
}

enum class Forget { nothing, session_step, loader_state };

// The second half after a checkpoint at kSteps / 2, in fresh objects.
Run resumed(const TinyTraining& t, const std::string& checkpoint, Forget forget) {
  runtime::Checkpoint c = runtime::load_checkpoint(checkpoint);
  REQUIRE(c.step == kSteps / 2);
  Run r;
  runtime::restore(c, r.ws);
  runtime::Session sess(t.graph, r.ws);
  if (forget != Forget::session_step) sess.set_step(c.session_step);
  auto loader = t.make_loader();
  if (forget != Forget::loader_state) loader->restore(c.extra);
  train(sess, *loader, t, kSteps - kSteps / 2, r.losses);
  return r;
}

std::string first_half(const TinyTraining& t, const std::string& dir, std::vector<double>& losses) {
  runtime::Workspace ws;
  runtime::Session sess(t.graph, ws);
  auto loader = t.make_loader();
  train(sess, *loader, t, kSteps / 2, losses);
  return runtime::save_checkpoint(dir, ws, kSteps / 2, sess.step(), loader->state());
}

bool same_weights(const runtime::Workspace& a, const runtime::Workspace& b) {
  if (a.names() != b.names()) return false;
  for (const auto& name : a.names()) {
    if (!graph::identical(a.get(name), b.get(name))) return false;
  }
  return true;
}

void check_exact_resume(const TinyTraining& t) {
  fs::path dir = fs::temp_directory_path() / ("flowgrad_resume_" + t.name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  Run full = straight(t);
  std::vector<double> losses;
  std::string checkpoint = first_half(t, dir.string(), losses);
  Run second = resumed(t, checkpoint, Forget::nothing);
  losses.insert(losses.end(), second.losses.begin(), second.losses.end());

  REQUIRE(losses.size() == full.losses.size());
  for (size_t i = 0; i < losses.size(); ++i) {
    INFO(t.name << " step " << i + 1);
    CHECK(losses[i] == full.losses[i]);  // exact, not approximate
  }
  REQUIRE(full.ws.names() == second.ws.names());
  for (const auto& name : full.ws.names()) {
    INFO(t.name << ": " << name);
    CHECK(graph::identical(full.ws.get(name), second.ws.get(name)));
  }
  // The state in the checkpoint matters: without it the run diverges.
  CHECK_FALSE(same_weights(full.ws, resumed(t, checkpoint, Forget::loader_state).ws));
  if (t.has_dropout) CHECK_FALSE(same_weights(full.ws, resumed(t, checkpoint, Forget::session_step).ws));
  fs::remove_all(dir);
}

TEST_CASE("word2vec resumes exactly: data position and negative-sampling stream from the checkpoint") {
  check_exact_resume(tiny_word2vec());
}

TEST_CASE("the LSTM classifier resumes exactly: shuffled loader position and dropout streams from the checkpoint") {
  check_exact_resume(tiny_lstm());
}

TEST_CASE("BERT pre-training resumes exactly: loader position, dropout streams and the LR schedule from the checkpoint") {
  check_exact_resume(tiny_bert());
}

}  // namespace
}  // namespace flowgrad::testing
