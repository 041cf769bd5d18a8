#include "tools/workers.h"

#include <cstring>

namespace flowgrad::tools {
namespace {

constexpr int kRankShift = 40;  // worker r's run counter starts at r << 40

}  // namespace

int64_t num_workers() { return runtime::world().size(); }
bool is_main_worker() { return runtime::world().rank() == 0; }

optim::DataParallel data_parallel(const TrainArgs& args) {
  return {.workers = num_workers(), .bucket_bytes = std::max<int64_t>(1, static_cast<int64_t>(args.bucket_mb * (1 << 20)))};
}

optim::TrainStep minimize_on_workers(Builder& b, Expr loss, const optim::Optimizer& optimizer, const TrainArgs& args) {
  if (num_workers() == 1) return optim::minimize(b, loss, optimizer);
  return optim::minimize(b, loss, optimizer, data_parallel(args));
}

runtime::Feeds shard_feeds(runtime::Feeds global) {
  const int64_t workers = num_workers(), rank = runtime::world().rank();
  if (workers == 1) return global;
  for (auto& [name, t] : global) {
    const int64_t rows = t.shape().empty() ? 0 : t.shape()[0];
    if (rows == 0 || rows % workers != 0) {
      throw ValueError("feed '" + name + "' " + t.type().str() + ": expected a first dimension divisible by " +
                       std::to_string(workers) + " workers");
    }
    graph::Shape shape = t.shape();
    shape[0] = rows / workers;
    graph::Tensor part({t.dtype(), shape});
    std::memcpy(part.raw(), t.raw() + rank * part.nbytes(), part.nbytes());
    t = std::move(part);
  }
  return global;
}

void start_workers(runtime::Session& sess) {
  runtime::Communicator& comm = runtime::world();
  if (comm.size() == 1) return;
  runtime::broadcast_variables(sess.graph(), sess.workspace(), comm);
  // Random ops key their streams by (seed, run counter, node): disjoint run
  // counters per worker give each its own masks and samples.
  sess.set_step(sess.step() + (static_cast<uint64_t>(comm.rank()) << kRankShift));
}

uint64_t global_run_counter(const runtime::Session& sess) { return sess.step() & ((uint64_t{1} << kRankShift) - 1); }

}  // namespace flowgrad::tools
