#pragma once
// Optimizers as update ops in the training graph (torch.optim semantics).
//
//   auto train = optim::minimize(b, loss, optim::AdamW{.lr = 1e-3, .clip_norm = 1.0});
//   sess.run(feeds, {loss.id(), train.step.id()});   // forward + backward + update
//
// minimize() differentiates the loss (autodiff::grad), optionally clips the
// gradients by global norm, counts steps in a variable "optimizer/step",
// computes the scheduled learning rate in the graph, and adds one in-place
// update per parameter. Optimizer state (momentum buffers, Adam moments)
// lives in the Workspace next to the parameters:
// "optimizer/<param>/momentum", "optimizer/<param>/adam_m", ".../adam_v".
//
// Sparse gradients: a parameter whose gradient is a sparse_rows value (an
// embedding looked up with gather, ops/sparse_rows.h) is updated from its
// indices and rows by sparse_sgd_update / sparse_adam_update
// (ops/sparse_update.h), so the dense V x D gradient is never formed. Those
// updates are lazy: only the looked-up rows change, and weight decay and the
// Adam moments of the other rows stay untouched that step. Momentum SGD has
// no sparse form: minimize() throws a ValueError for it. Global-norm clipping
// consumes every gradient, so it materializes sparse ones (dense update).
//
// Data parallel (minimize with a DataParallel): every worker runs the same
// graph on its own shard of the batch; each gradient is replaced by its mean
// over the workers before clipping and the update. Dense gradients are
// grouped into buckets of at most `bucket_bytes` (a larger gradient is a
// bucket alone), taken in reverse order of parameter creation — roughly the
// order backward produces them — and each bucket is one variadic `allreduce`
// node, runnable as soon as its gradients are: the executor overlaps it with
// the rest of backward. A sparse gradient is exchanged by `allgather_rows`
// (indices and rows, never the V x D tensor). The collective nodes form one
// chain (each waits for the previous one), so every worker issues them in the
// same order (ops/allreduce.h).

#include <variant>

#include "frontend/builder.h"
#include "ops/lr_schedule.h"

namespace flowgrad::frontend::optim {

// The learning rate over the steps: lr times a factor computed in the graph.
struct Schedule {
  std::string kind = "constant";  // constant | linear | cosine (after linear warm-up)
  int64_t warmup_steps = 0;       // linear warm-up from 0 over these steps
  int64_t total_steps = 0;        // linear and cosine decay reach 0 here
};

// Stochastic gradient descent, as torch.optim.SGD.
struct Sgd {
  double lr = 0.01;           // learning rate
  double momentum = 0.0;      // 0: plain SGD
  bool nesterov = false;      // Nesterov momentum
  double weight_decay = 0.0;  // L2, added to the gradient
  Schedule schedule;          // of the learning rate
  double clip_norm = 0.0;     // > 0: clip gradients to this global L2 norm
};

// Adam, as torch.optim.Adam.
struct Adam {
  double lr = 1e-3;           // learning rate
  double beta1 = 0.9;         // decay of the first moment
  double beta2 = 0.999;       // decay of the second moment
  double eps = 1e-8;          // added to the denominator
  double weight_decay = 0.0;  // L2, added to the gradient
  Schedule schedule;          // of the learning rate
  double clip_norm = 0.0;     // > 0: clip gradients to this global L2 norm
};

// AdamW (decoupled weight decay), as torch.optim.AdamW.
struct AdamW {
  double lr = 1e-3;            // learning rate
  double beta1 = 0.9;          // decay of the first moment
  double beta2 = 0.999;        // decay of the second moment
  double eps = 1e-8;           // added to the denominator
  double weight_decay = 0.01;  // decoupled
  Schedule schedule;           // of the learning rate
  double clip_norm = 0.0;      // > 0: clip gradients to this global L2 norm
};

// One of the optimizers above.
using Optimizer = std::variant<Sgd, Adam, AdamW>;

// Data-parallel training (docs/distributed.md): each parameter's gradient is
// averaged over the workers by allreduce nodes, grouped in buckets of
// bucket_bytes in parameter order; sparse embedding gradients are exchanged
// with allgather_rows.
struct DataParallel {
  int64_t workers = 0;                  // 0: runtime::world().size()
  int64_t bucket_bytes = 25ll << 20;    // dense gradients per allreduce node
};

// What minimize() added to the graph.
struct TrainStep {
  Expr step;                 // fetch to run one update
  Expr lr;                   // the scheduled learning rate of this step
  Expr counter;              // the variable counting the steps taken ("optimizer/step")
  std::vector<Expr> params;  // in order
  std::vector<Expr> grads;   // after clipping
};

// All f32 variables `loss` depends on, in graph order.
std::vector<Expr> trainable_variables(Builder& b, Expr loss);

// Appends the training step for `loss` (see the file comment) over `params`
// (default: trainable_variables(b, loss)).
TrainStep minimize(Builder& b, Expr loss, const Optimizer& optimizer, std::vector<Expr> params = {},
                   const Loc& loc = Loc::current());
// The same, with each gradient averaged over the workers of a data-parallel job.
TrainStep minimize(Builder& b, Expr loss, const Optimizer& optimizer, const DataParallel& data_parallel,
                   std::vector<Expr> params = {}, const Loc& loc = Loc::current());

// The mean over the workers of each gradient (grads[i] of params[i]), with
// the buckets and the chain described above; sparse gradients stay sparse.
std::vector<Expr> allreduce_gradients(Builder& b, const std::vector<Expr>& grads, const DataParallel& data_parallel,
                                      const Loc& loc = Loc::current());

}  // namespace flowgrad::frontend::optim
