#include "runtime/checkpoint.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "frontend/flowgrad.h"
#include "ops/random.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

namespace fs = std::filesystem;

std::string temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("flowgrad_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

struct Trainer {
  Builder b;
  Expr loss;
  optim::TrainStep train;
  Tensor x = random_tensor(f32({32, 8}), 1), y = random_tensor(f32({32, 1}), 2);
  Trainer() {
    Expr xi = b.input("x", f32({32, 8})), yi = b.input("y", f32({32, 1}));
    Expr h = ops::tanh(nn::linear(b, xi, {.out_features = 16, .seed = 1}, "fc1"));
    Expr d = nn::linear(b, h, {.out_features = 1, .seed = 2}, "fc2") - yi;
    loss = ops::reduce_mean(d * d);
    train = optim::minimize(b, loss, optim::AdamW{.lr = 0.01});
  }
  void steps(runtime::Session& s, int n) {
    for (int i = 0; i < n; ++i) s.run({{"x", x}, {"y", y}}, {loss.id(), train.step.id()});
  }
};

TEST_CASE("training N steps equals N/2, checkpoint, restore into a fresh session, N/2 more — bit for bit") {
  std::string dir = temp_dir("resume");
  Trainer t;
  runtime::Workspace straight_ws;
  runtime::Session straight(t.b.graph(), straight_ws);
  t.steps(straight, 10);

  runtime::Workspace first_ws;
  runtime::Session first(t.b.graph(), first_ws);
  t.steps(first, 5);
  std::string path = runtime::save_checkpoint(dir, first_ws, 5, first.step(), {{"loader_index", "160"}});

  runtime::Checkpoint c = runtime::load_checkpoint(path);
  CHECK(c.step == 5);
  CHECK(c.extra.at("loader_index") == "160");
  runtime::Workspace resumed_ws;
  runtime::restore(c, resumed_ws);
  runtime::Session resumed(t.b.graph(), resumed_ws);
  resumed.set_step(c.session_step);
  t.steps(resumed, 5);
  for (const auto& name : straight_ws.names()) {
    INFO(name);
    CHECK(graph::identical(straight_ws.get(name), resumed_ws.get(name)));
  }
  fs::remove_all(dir);
}

TEST_CASE("a corrupted checkpoint fails its checksum and the previous good one is used") {
  std::string dir = temp_dir("corrupt");
  runtime::Workspace ws;
  ws.set("w", random_tensor(f32({64}), 3));
  runtime::save_checkpoint(dir, ws, 1, 1);
  ws.set("w", random_tensor(f32({64}), 4));
  std::string bad = runtime::save_checkpoint(dir, ws, 2, 2);
  {
    std::fstream f(bad + "/weights.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x7f');
  }
  CHECK_THROWS_WITH_AS(runtime::load_checkpoint(bad), doctest::Contains("checksum mismatch for tensor 'w'"), FormatError);
  runtime::LatestCheckpoint latest = runtime::latest_checkpoint(dir);
  CHECK(latest.path.find("step-00000001") != std::string::npos);
  REQUIRE(latest.skipped.size() == 1);
  CHECK(latest.skipped[0].find("checksum mismatch") != std::string::npos);
  fs::remove_all(dir);
}

// The child writes checkpoints in a loop; the parent kills it with SIGKILL at
// a random moment; the newest loadable checkpoint must always exist and load.
// 100 kills in CI; FLOWGRAD_CHECKPOINT_KILLS=N for more (bench/checkpoint_kills.sh: 1,000).
TEST_CASE("kill -9 during checkpoint writing never loses the last good checkpoint (100 kills by default)") {
  const char* env = std::getenv("FLOWGRAD_CHECKPOINT_KILLS");
  const int kills = env ? std::atoi(env) : 100;
  REQUIRE_MESSAGE(kills > 0, "FLOWGRAD_CHECKPOINT_KILLS must be a positive integer, got '" << env << "'");
  std::string dir = temp_dir("kill");
  runtime::Workspace ws;
  ws.set("big", random_tensor(f32({1 << 18}), 5));  // 1 MiB: writes take a while
  ws.set("small", random_tensor(f32({7}), 6));
  runtime::save_checkpoint(dir, ws, 0, 0);
  uint64_t key = ops::random_key(7, 7);
  int64_t best_seen = 0;
  for (int kill = 0; kill < kills; ++kill) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {  // child: only file I/O, no threads
      for (uint64_t step = 1;; ++step) runtime::save_checkpoint(dir, ws, 1'000'000 * static_cast<uint64_t>(kill + 1) + step, step);
    }
    ::usleep(static_cast<useconds_t>(ops::uniform01(key, kill) * 20000));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    runtime::LatestCheckpoint latest = runtime::latest_checkpoint(dir);
    REQUIRE_MESSAGE(!latest.path.empty(), "no loadable checkpoint after kill " << kill);
    runtime::Checkpoint c = runtime::load_checkpoint(latest.path);
    CHECK(graph::identical(c.tensors.tensors.at("big"), ws.get("big")));
    CHECK(static_cast<int64_t>(c.step) >= best_seen);
    best_seen = static_cast<int64_t>(c.step);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace flowgrad::testing
