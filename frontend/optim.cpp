#include "frontend/optim.h"

#include "autodiff/grad.h"
#include "graph/algorithms.h"
#include "ops/adam_update.h"
#include "ops/allreduce.h"
#include "ops/control.h"
#include "ops/global_norm.h"
#include "ops/sgd_update.h"
#include "ops/sparse_rows.h"
#include "ops/sparse_update.h"
#include "runtime/comm.h"

namespace flowgrad::frontend::optim {
namespace {

template <class O>
ops::LrScheduleAttrs schedule_of(const O& o) {
  return {.kind = o.schedule.kind, .lr = o.lr, .warmup_steps = o.schedule.warmup_steps,
          .total_steps = o.schedule.total_steps};
}

// A zero-initialized state variable for `param`, named "<param>/<suffix>".
Expr state_like(Builder& b, Expr param, const std::string& suffix, const Loc& loc) {
  return b.variable(param.producer().name + "/" + suffix, {.shape = param.shape(), .init = "zeros"}, loc);
}

std::vector<Expr> sgd_updates(Builder& b, const Sgd& o, const TrainStep& t, const Loc& loc) {
  std::vector<Expr> out;
  ops::SgdAttrs a{.momentum = o.momentum, .nesterov = o.nesterov, .weight_decay = o.weight_decay};
  for (size_t i = 0; i < t.params.size(); ++i) {
    if (auto sparse = ops::as_sparse_rows(t.grads[i])) {
      if (o.momentum > 0) {
        throw ValueError("minimize: momentum is not supported with sparse gradients: '" + t.params[i].producer().name +
                         "' gets a sparse row gradient (an embedding lookup); use Sgd without momentum, Adam or "
                         "AdamW (at " + SourceLoc::from(loc).str() + ")");
      }
      out.push_back(ops::sparse_sgd_update(t.params[i], sparse->indices, sparse->rows, t.lr, a, loc));
    } else if (o.momentum > 0) {
      Expr buf = state_like(b, t.params[i], "momentum", loc);
      out.push_back(ops::sgd_momentum_update(t.params[i], t.grads[i], t.lr, buf, a, loc)[0]);
    } else {
      out.push_back(ops::sgd_update(t.params[i], t.grads[i], t.lr, a, loc));
    }
  }
  return out;
}

template <class O>
std::vector<Expr> adam_updates(Builder& b, const O& o, bool decoupled, const TrainStep& t, Expr step_count,
                               const Loc& loc) {
  std::vector<Expr> out;
  ops::AdamAttrs a{.beta1 = o.beta1, .beta2 = o.beta2, .eps = o.eps, .weight_decay = o.weight_decay,
                   .decoupled = decoupled};
  for (size_t i = 0; i < t.params.size(); ++i) {
    Expr m = state_like(b, t.params[i], "adam_m", loc), v = state_like(b, t.params[i], "adam_v", loc);
    if (auto sparse = ops::as_sparse_rows(t.grads[i])) {  // lazy: touched rows only
      out.push_back(ops::sparse_adam_update(t.params[i], sparse->indices, sparse->rows, m, v, t.lr, step_count, a, loc)[0]);
    } else {
      out.push_back(ops::adam_update(t.params[i], t.grads[i], m, v, t.lr, step_count, a, loc)[0]);
    }
  }
  return out;
}

}  // namespace

std::vector<Expr> trainable_variables(Builder& b, Expr loss) {
  const graph::Graph& g = b.graph();
  auto anc = graph::ancestors(g, loss.producer().id);
  std::vector<Expr> vars;
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    if (anc[id] && ops::get_op(n.op).source == ops::Source::variable && g.value(n.outputs[0]).type.dtype == DType::f32) {
      vars.push_back(b.wrap(n.outputs[0]));
    }
  }
  return vars;
}

std::vector<Expr> allreduce_gradients(Builder& b, const std::vector<Expr>& grads, const DataParallel& dp,
                                      const Loc& loc) {
  const int64_t workers = dp.workers > 0 ? dp.workers : runtime::world().size();
  if (dp.bucket_bytes <= 0) {
    throw ValueError("data parallel: expected bucket_bytes > 0, got " + std::to_string(dp.bucket_bytes) + " (at " +
                     SourceLoc::from(loc).str() + ")");
  }
  auto scope = b.scope("data_parallel");
  std::vector<Expr> out(grads);
  std::optional<Expr> last;  // the previous collective: the chain that fixes their order
  std::vector<size_t> bucket;
  int64_t bucket_bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<Expr> xs;
    for (size_t i : bucket) xs.push_back(grads[i]);
    std::vector<Expr> reduced = ops::allreduce(xs, last, loc);
    for (size_t j = 0; j < bucket.size(); ++j) out[bucket[j]] = reduced[j];
    last = reduced[0];
    bucket.clear();
    bucket_bytes = 0;
  };
  for (size_t k = grads.size(); k-- > 0;) {  // reverse creation order: roughly backward's order
    if (auto sparse = ops::as_sparse_rows(grads[k])) {
      flush();  // the bucket so far goes first: its gradients were ready earlier
      std::vector<Expr> all = ops::allgather_rows(sparse->indices, sparse->rows, workers, last, loc);
      out[k] = ops::sparse_rows(all[0], all[1], sparse->num_rows, loc);
      last = all[0];
      continue;
    }
    const int64_t bytes = static_cast<int64_t>(grads[k].type().nbytes());
    if (!bucket.empty() && bucket_bytes + bytes > dp.bucket_bytes) flush();
    bucket.push_back(k);
    bucket_bytes += bytes;
  }
  flush();
  return out;
}

namespace {

TrainStep minimize_impl(Builder& b, Expr loss, const Optimizer& optimizer, const DataParallel* data_parallel,
                        std::vector<Expr> params, const Loc& loc) {
  TrainStep t;
  t.params = params.empty() ? trainable_variables(b, loss) : std::move(params);
  if (t.params.empty()) throw ValueError("minimize: the loss depends on no trainable variable (at " + SourceLoc::from(loc).str() + ")");
  t.grads = autodiff::grad(loss, t.params, {}, loc);
  if (data_parallel) t.grads = allreduce_gradients(b, t.grads, *data_parallel, loc);
  auto scope = b.scope("optimizer");
  double clip = std::visit([](const auto& o) { return o.clip_norm; }, optimizer);
  if (clip > 0) t.grads = ops::clip_by_global_norm(t.grads, clip, loc);
  t.counter = b.variable("step", {.shape = {}, .init = "zeros"}, loc);
  Expr step_count = ops::increment(t.counter, loc);  // t = 1 at the first step
  t.lr = ops::lr_schedule(step_count, std::visit([](const auto& o) { return schedule_of(o); }, optimizer), loc);
  std::vector<Expr> ups = std::visit(
      [&](const auto& o) {
        using O = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<O, Sgd>) return sgd_updates(b, o, t, loc);
        else return adam_updates(b, o, std::is_same_v<O, AdamW>, t, step_count, loc);
      },
      optimizer);
  t.step = ops::group(ups, loc, "train_step");
  return t;
}

}  // namespace

TrainStep minimize(Builder& b, Expr loss, const Optimizer& optimizer, std::vector<Expr> params, const Loc& loc) {
  return minimize_impl(b, loss, optimizer, nullptr, std::move(params), loc);
}

TrainStep minimize(Builder& b, Expr loss, const Optimizer& optimizer, const DataParallel& data_parallel,
                   std::vector<Expr> params, const Loc& loc) {
  return minimize_impl(b, loss, optimizer, &data_parallel, std::move(params), loc);
}

}  // namespace flowgrad::frontend::optim
