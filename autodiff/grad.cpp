#include "autodiff/grad.h"

#include <unordered_map>

#include "graph/algorithms.h"
#include "ops/binary.h"
#include "ops/fill.h"
#include "ops/sparse_rows.h"

namespace flowgrad::autodiff {
namespace {

using ops::Expr;

// Values that depend on any of `wrt` (forward reachability).
std::vector<bool> depends_on(const graph::Graph& g, const std::vector<graph::NodeId>& order,
                             const std::vector<Expr>& wrt) {
  std::vector<bool> dep(g.value_bound(), false);
  for (const Expr& w : wrt) dep[w.id()] = true;
  for (graph::NodeId id : order) {
    const graph::Node& n = g.node(id);
    bool any = false;
    for (graph::ValueId v : n.inputs) any = any || dep[v];
    if (any) {
      for (graph::ValueId v : n.outputs) dep[v] = true;
    }
  }
  return dep;
}

// Sum of the contributions to one value's gradient, in the order they came.
// Sparse row gradients (embedding lookups) stay sparse when every part is
// one: a single sparse_rows over all their indices and rows.
std::optional<Expr> total(const std::vector<Expr>& parts, const ops::Loc& loc) {
  if (parts.empty()) return std::nullopt;
  std::vector<ops::SparseRows> sparse;
  for (const Expr& p : parts) {
    if (auto s = ops::as_sparse_rows(p)) sparse.push_back(*s);
  }
  if (parts.size() > 1 && sparse.size() == parts.size()) return ops::add_sparse_rows(sparse, loc);
  Expr sum = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) sum = ops::add(sum, parts[i], loc);
  return sum;
}

}  // namespace

std::vector<Expr> grad(Expr loss, const std::vector<Expr>& wrt, GradOptions options, const ops::Loc& loc) {
  ops::Emitter& em = loss.emitter();
  graph::Graph& g = em.graph();
  if (!options.seed && loss.type().numel() != 1) {
    throw ShapeError("grad: expected a loss with one element (or a seed), got " + loss.type().str() + " from '" +
                     loss.producer().name + "' (at " + SourceLoc::from(loc).str() + ")");
  }
  if (options.seed && options.seed->type() != loss.type()) {
    throw ShapeError("grad: expected a seed of type " + loss.type().str() + ", got " + options.seed->type().str());
  }
  const std::vector<graph::NodeId> order = graph::topological_order(g);  // before any gradient node exists
  const std::vector<bool> reaches_loss = graph::ancestors(g, loss.producer().id);
  const std::vector<bool> dep = depends_on(g, order, wrt);

  std::unordered_map<graph::ValueId, std::vector<Expr>> parts;
  if (options.seed) {
    parts[loss.id()].push_back(*options.seed);
  } else {
    auto seed_scope = em.scope(loss.producer().name + "/grad");  // named like every other gradient node
    parts[loss.id()].push_back(ops::ones_like(loss, loc));
  }

  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const graph::Node& n = g.node(*it);
    if (!reaches_loss[n.id]) continue;
    bool needed = false;
    for (graph::ValueId v : n.inputs) needed = needed || dep[v];
    if (!needed) continue;
    auto scope = em.scope(n.name + "/grad");
    std::vector<std::optional<Expr>> douts;
    bool any = false;
    for (graph::ValueId v : n.outputs) {
      auto p = parts.find(v);
      douts.push_back(p == parts.end() ? std::nullopt : total(p->second, loc));
      any = any || douts.back().has_value();
    }
    if (!any) continue;
    const ops::OpDef& def = ops::get_op(n.op);
    if (def.not_differentiable) continue;
    if (!def.grad) {
      throw Error("grad: op '" + n.op + "' has no gradient rule (node '" + n.name + "', at " + n.loc.str() + ")");
    }
    ops::GradContext ctx{em, n, {}, {}, std::move(douts), loc};
    for (graph::ValueId v : n.inputs) ctx.inputs.push_back(em.wrap(v));
    for (graph::ValueId v : n.outputs) ctx.outputs.push_back(em.wrap(v));
    std::vector<std::optional<Expr>> dins = def.grad(ctx);
    FLOWGRAD_CHECK(dins.size() == n.inputs.size(), "gradient rule of '" + n.op + "' returned a wrong count");
    for (size_t i = 0; i < dins.size(); ++i) {
      if (!dins[i] || !dep[n.inputs[i]]) continue;
      FLOWGRAD_CHECK(dins[i]->type() == g.value(n.inputs[i]).type,
                     "gradient rule of '" + n.op + "' gave " + dins[i]->type().str() + " for input " +
                         g.value(n.inputs[i]).type.str());
      parts[n.inputs[i]].push_back(*dins[i]);
    }
  }

  std::vector<Expr> out;
  for (const Expr& w : wrt) {
    auto p = parts.find(w.id());
    std::optional<Expr> t = p == parts.end() ? std::nullopt : total(p->second, loc);
    out.push_back(t ? *t : ops::zeros_like(w, loc));
  }
  return out;
}

}  // namespace flowgrad::autodiff
