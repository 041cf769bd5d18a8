// Data parallel over MPI, run by ctest as `mpirun -np 2 data_parallel_main`
// (only in a build with -DFLOWGRAD_MPI=ON):
//
//   data_parallel_main             20 Adam steps of an embedding + MLP
//                                  classifier; each worker takes its half of
//                                  every global batch of 2b. Rank 0 then trains
//                                  the same model alone on batches of 2b and
//                                  asserts every variable (weights, Adam
//                                  moments) matches within rel 1e-5; the
//                                  workers must hold bit-identical weights.
//   data_parallel_main --fail-at N rank 1 throws at step N: the job must end
//                                  (MPI_Abort) with the error, not hang.
//   data_parallel_main --kill-at N rank 1 dies by SIGKILL at step N.
//
// Exit status 0 on success, 1 on a mismatch.
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "frontend/flowgrad.h"
#include "ops/random.h"
#include "runtime/comm.h"

using namespace flowgrad;

namespace {

constexpr int64_t kBatch = 8, kTokens = 3, kVocab = 30, kDim = 8, kClasses = 3, kSteps = 20;

struct Net {
  Builder b;
  Expr loss;
  optim::TrainStep train;
  Net(int64_t batch, std::optional<optim::DataParallel> dp) {
    Expr ids = b.input("ids", {graph::DType::i32, {batch, kTokens}});
    Expr y = b.input("y", {graph::DType::i32, {batch}});
    Expr e = nn::embedding(b, ids, {.num_embeddings = kVocab, .dim = kDim}, {.init_std = 0.5, .seed = 1});
    Expr h = ops::tanh(nn::linear(b, ops::reshape(e, {batch, kTokens * kDim}), {.out_features = 16, .seed = 2}, "l1"));
    Expr logits = nn::linear(b, h, {.out_features = kClasses, .seed = 3}, "l2");
    loss = ops::softmax_cross_entropy(logits, y);
    optim::Adam adam{.lr = 0.05};
    train = dp ? optim::minimize(b, loss, adam, *dp) : optim::minimize(b, loss, adam);
  }
};

// Rows [first, first + count) of step `step`'s global batch of 2 * kBatch.
runtime::Feeds batch_rows(int64_t step, int64_t first, int64_t count) {
  graph::Tensor ids({graph::DType::i32, {count, kTokens}}), y({graph::DType::i32, {count}});
  uint64_t key = ops::random_key(1234, static_cast<uint64_t>(step));
  for (int64_t i = 0; i < count; ++i) {
    int64_t row = first + i;
    int32_t label = static_cast<int32_t>(ops::uniform01(key, 100 * row) * kClasses);
    y.data<int32_t>()[i] = label;
    for (int64_t t = 0; t < kTokens; ++t) {  // tokens correlate with the label; duplicates across workers
      double u = ops::uniform01(key, 100 * row + 1 + t);
      ids.data<int32_t>()[i * kTokens + t] = static_cast<int32_t>(u < 0.5 ? label * 5 + t : u * kVocab) % kVocab;
    }
  }
  return {{"ids", ids}, {"y", y}};
}

double max_rel_diff(const graph::Tensor& a, const graph::Tensor& b) {
  double err = 0, ref = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    err = std::max(err, std::abs(a.at(i) - b.at(i)));
    ref = std::max(ref, std::abs(b.at(i)));
  }
  return err / std::max(ref, 1e-12);
}

int run(runtime::Communicator& comm, int fail_at, int kill_at) {
  const int64_t workers = comm.size(), rank = comm.rank();
  Net dp(kBatch, optim::DataParallel{.bucket_bytes = 1024});  // several buckets: the chain is exercised
  runtime::Session sess(dp.b.graph());
  if (rank != 0) {  // start from different weights: the broadcast must fix that
    for (graph::NodeId id : dp.b.graph().node_ids()) {
      const graph::Node& n = dp.b.graph().node(id);
      if (n.op != "variable") continue;
      graph::Tensor& t = sess.workspace().bind(n, dp.b.graph().value(n.outputs[0]).type);
      std::memset(t.raw(), 0x40, t.nbytes());  // 3.0f in every f32
    }
  }
  runtime::broadcast_variables(dp.b.graph(), sess.workspace(), comm);
  double loss = 0;
  for (int64_t step = 0; step < kSteps; ++step) {
    if (rank == 1 && step == fail_at) throw ValueError("worker 1 failed on purpose at step " + std::to_string(step));
    if (rank == 1 && step == kill_at) std::raise(SIGKILL);
    loss = sess.run(batch_rows(step, rank * kBatch, kBatch), {dp.loss.id(), dp.train.step.id()})[0].at(0);
  }
  // Every worker must hold the same variables, bit for bit.
  int mismatches = 0;
  for (const std::string& name : sess.workspace().names()) {
    const graph::Tensor& t = sess.workspace().get(name);
    std::vector<std::byte> all = comm.allgather_bytes({t.raw(), t.nbytes()});
    for (int64_t w = 1; w < workers; ++w) {
      if (std::memcmp(all.data(), all.data() + w * t.nbytes(), t.nbytes()) != 0) {
        std::printf("rank %lld: variable %s differs between worker 0 and worker %lld\n", static_cast<long long>(rank),
                    name.c_str(), static_cast<long long>(w));
        ++mismatches;
      }
    }
  }
  if (rank == 0) {  // the same training on one worker with the global batch
    Net one(workers * kBatch, std::nullopt);
    runtime::Session ref(one.b.graph());
    for (int64_t step = 0; step < kSteps; ++step) {
      ref.run(batch_rows(step, 0, workers * kBatch), {one.train.step.id()});
    }
    double worst = 0;
    for (const std::string& name : ref.workspace().names()) {
      double d = max_rel_diff(sess.workspace().get(name), ref.workspace().get(name));
      worst = std::max(worst, d);
      if (!(d <= 1e-5)) {
        std::printf("variable %s: %lld workers vs 1 worker differ by rel %.3g (> 1e-5)\n", name.c_str(),
                    static_cast<long long>(workers), d);
        ++mismatches;
      }
    }
    std::printf("%lld workers x batch %lld vs 1 worker x batch %lld, %lld Adam steps: %zu variables, "
                "max rel diff %.3g, last loss %.4f\n",
                static_cast<long long>(workers), static_cast<long long>(kBatch),
                static_cast<long long>(workers * kBatch), static_cast<long long>(kSteps), ref.workspace().names().size(),
                worst, loss);
  }
  int total = 0;
  std::vector<int> all = comm.allgather<int>(std::span<const int>(&mismatches, 1));
  for (int m : all) total += m;
  return total == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int fail_at = -1, kill_at = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--fail-at") == 0) fail_at = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--kill-at") == 0) kill_at = std::atoi(argv[i + 1]);
  }
  runtime::Communicator& comm = runtime::world();
  try {
    return run(comm, fail_at, kill_at);
  } catch (const std::exception& e) {
    comm.abort(e.what(), 1);
  }
}
