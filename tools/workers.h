#pragma once
// Data-parallel `flowgrad train` under mpirun (runtime/comm.h): every worker
// runs the same training graph on its own slice of each global batch.
//
//   mpirun -np 4 flowgrad train lstm --batch-size 32 ...   (global batch 128)
//
// --batch-size is per worker. The data pipeline reads global batches of
// batch_size x workers in the same order on every worker (same seed), and
// each worker feeds rows [rank x b, (rank + 1) x b) of it, so N workers with
// batch b train like one worker with batch N x b. Gradients are averaged by
// allreduce nodes (optim::DataParallel); the workers start from rank 0's
// variables. Only rank 0 prints and writes files; an error on any worker ends
// the whole job (Communicator::abort).

#include "frontend/flowgrad.h"
#include "runtime/comm.h"
#include "tools/train.h"

namespace flowgrad::tools {

int64_t num_workers();
bool is_main_worker();  // rank 0: prints, writes --out

// optim::minimize, with gradients averaged over the workers when there are several.
optim::TrainStep minimize_on_workers(Builder& b, Expr loss, const optim::Optimizer& optimizer, const TrainArgs& args);
// The exchange of `flowgrad train`: every worker, buckets of --bucket-mb.
optim::DataParallel data_parallel(const TrainArgs& args);

// This worker's rows of a global batch: dimension 0 of every feed is cut into
// num_workers() equal parts. ValueError if one does not divide.
runtime::Feeds shard_feeds(runtime::Feeds global);

// Before the first step: every worker takes rank 0's variables (creating them
// first), and its random streams (dropout, masking) are offset by its rank so
// that workers do not draw the same masks for different rows.
void start_workers(runtime::Session& sess);
// The session's run counter without this worker's offset: the same on every
// worker and what a checkpoint stores (start_workers adds the offset back).
uint64_t global_run_counter(const runtime::Session& sess);

}  // namespace flowgrad::tools
