// Exact resume of the three models: N training steps straight equal N/2
// steps, a checkpoint, a restore into a fresh workspace, session and loader
// (what a new process has), and N/2 more — every loss and every tensor of the
// workspace (parameters, optimizer state, step counters) bit for bit. The
// checkpoint carries the session's run counter (dropout streams) and the
// loader's position and host-side random stream (negative sampling); resuming
// without either is shown to diverge, so the comparison can fail. A second
// test kills a training process with SIGKILL at random moments while it
// trains and checkpoints, and resumes from the newest good checkpoint.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "ops/random.h"
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
  REQUIRE(c.step <= kSteps);
  Run r;
  runtime::restore(c, r.ws);
  runtime::Session sess(t.graph, r.ws);
  if (forget != Forget::session_step) sess.set_step(c.session_step);
  auto loader = t.make_loader();
  if (forget != Forget::loader_state) loader->restore(c.extra);
  train(sess, *loader, t, kSteps - static_cast<int>(c.step), r.losses);
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
  REQUIRE(runtime::load_checkpoint(checkpoint).step == kSteps / 2);
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

TinyTraining tiny(const std::string& name) {
  if (name == "word2vec") return tiny_word2vec();
  if (name == "lstm") return tiny_lstm();
  return tiny_bert();
}

// The child process: trains kSteps steps, checkpointing after each, with a
// pause after each checkpoint so that the parent's kill lands mid-run.
const ChildRole kResumeChild("resume", [](const std::string& arg) {
  std::istringstream in(arg);
  std::string model, dir;
  in >> model >> dir;
  TinyTraining t = tiny(model);
  runtime::Workspace ws;
  runtime::Session sess(t.graph, ws);
  auto loader = t.make_loader();
  for (int step = 1; step <= kSteps; ++step) {
    sess.run(loader->next(), {t.loss, t.step});
    runtime::save_checkpoint(dir, ws, static_cast<uint64_t>(step), sess.step(), loader->state());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
});

// Kills the child at a random moment after its first checkpoint; returns the
// newest good checkpoint it left.
std::string kill_during_training(const std::string& model, const fs::path& dir, uint64_t seed) {
  pid_t pid = spawn_child("resume", model + " " + dir.string());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(dir / "step-00000001") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(ops::uniform01(ops::random_key(seed, 3), 0) * 200000)));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL), model << ": the child ended before the kill");
  runtime::LatestCheckpoint latest = runtime::latest_checkpoint(dir.string());
  REQUIRE_MESSAGE(!latest.path.empty(), model << ": no loadable checkpoint after the kill");
  return latest.path;
}

TEST_CASE("kill -9 during training and checkpointing, then resume from the newest good checkpoint, bit for bit (3 models, 3 kills each)") {
  for (std::string model : {"word2vec", "lstm", "bert"}) {
    TinyTraining t = tiny(model);
    Run full = straight(t);
    for (uint64_t kill = 0; kill < 3; ++kill) {
      fs::path dir = fs::temp_directory_path() / ("flowgrad_kill_" + t.name + "_" + std::to_string(::getpid()));
      fs::remove_all(dir);
      std::string checkpoint = kill_during_training(model, dir, kill);
      int done = static_cast<int>(runtime::load_checkpoint(checkpoint).step);
      Run second = resumed(t, checkpoint, Forget::nothing);
      INFO(model << ": killed after step " << done);
      REQUIRE(second.losses.size() == static_cast<size_t>(kSteps - done));
      for (size_t i = 0; i < second.losses.size(); ++i) CHECK(second.losses[i] == full.losses[static_cast<size_t>(done) + i]);
      CHECK(same_weights(full.ws, second.ws));
      fs::remove_all(dir);
    }
  }
}

}  // namespace
}  // namespace flowgrad::testing
