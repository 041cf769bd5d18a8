// The finite-difference gradient checker (see gradcheck.h).

#include "gradcheck.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "autodiff/grad.h"
#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/reduce.h"
#include "ops/sources.h"
#include "runtime/reference.h"
#include "runtime/session.h"

namespace flowgrad::testing {
namespace {

constexpr double kEps32 = 1e-3;  // absolute step of the f32 path
constexpr double kEps64 = 1e-6;  // relative step of the f64 path
constexpr double kTol32 = 1e-3;
constexpr double kTol64 = 1e-6;

DType float_type(Precision p) { return p == Precision::f64 ? DType::f64 : DType::f32; }

}  // namespace

std::vector<TensorType> case_output_types(const OpCase& c) {
  graph::Graph probe;
  ops::Emitter em(probe);
  std::vector<ops::Expr> ins;
  for (size_t i = 0; i < c.inputs.size(); ++i) ins.push_back(ops::input(em, "in" + std::to_string(i), c.inputs[i]));
  std::vector<TensorType> out;
  for (auto& o : em.emit(c.op, c.attrs, ins, ops::Loc::current())) out.push_back(o.type());
  return out;
}

namespace {

// Outputs that enter the loss: all of them on the f32 path (as before f64
// existed), the visible ones on the f64 path.
size_t loss_outputs(const ops::OpDef& def, size_t outputs, Precision p) {
  return p == Precision::f64 ? outputs - static_cast<size_t>(def.hidden_outputs) : outputs;
}

Tensor away_from_zero(Tensor t) {
  if (!graph::is_float(t.dtype())) return t;
  graph::with_float(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (T& x : t.span<T>()) {
      if (std::abs(x) < T(0.05)) x = std::copysign(T(0.05), x);
    }
  });
  return t;
}

std::vector<Tensor> run_reference_kernel(const graph::Node& node, const ops::OpDef& def, const std::vector<Tensor>& in,
                                         const std::vector<TensorType>& out_types) {
  std::vector<Tensor> out;
  for (const auto& t : out_types) out.emplace_back(t);
  def.reference(node, in, out);
  return out;
}

// Σ_o Σ_j (plus_o[j] - minus_o[j]) R_o[j] over the outputs in the loss.
double projected_difference(const std::vector<Tensor>& plus, const std::vector<Tensor>& minus,
                            const std::vector<Tensor>& projections) {
  double d = 0;
  for (size_t o = 0; o < projections.size(); ++o) {
    for (int64_t j = 0; j < projections[o].numel(); ++j) d += (plus[o].at(j) - minus[o].at(j)) * projections[o].at(j);
  }
  return d;
}

void set(Tensor& t, int64_t j, double v) {
  graph::with_float(t.dtype(), [&](auto tag) { t.data<decltype(tag)>()[j] = static_cast<decltype(tag)>(v); });
}

// The gradient of L by central differences of the reference kernel, for float input i.
Tensor numeric_gradient(const graph::Node& node, const ops::OpDef& def, const std::vector<Tensor>& values, size_t i,
                        const std::vector<TensorType>& out_types, const std::vector<Tensor>& projections, Precision p) {
  Tensor numeric(values[i].type());
  for (int64_t j = 0; j < values[i].numel(); ++j) {
    std::vector<Tensor> plus = values, minus = values;
    plus[i] = values[i].clone();
    minus[i] = values[i].clone();
    double x = values[i].at(j);
    double h = p == Precision::f64 ? kEps64 * std::max(1.0, std::abs(x)) : kEps32;
    set(plus[i], j, x + h);
    set(minus[i], j, x - h);
    double step = plus[i].at(j) - minus[i].at(j);  // the step actually taken, after rounding
    double d = projected_difference(run_reference_kernel(node, def, plus, out_types),
                                    run_reference_kernel(node, def, minus, out_types), projections);
    set(numeric, j, d / step);
  }
  return numeric;
}

double worst_rel(const Tensor& a, const Tensor& n, int64_t* where) {
  double worst = -1;
  for (int64_t j = 0; j < a.numel(); ++j) {
    double x = a.at(j), y = n.at(j);
    double e = std::abs(x - y) / std::max({1.0, std::abs(x), std::abs(y)});
    if (std::isnan(e)) e = INFINITY;
    if (e > worst) worst = e, *where = j;
  }
  return std::max(worst, 0.0);
}

}  // namespace

bool gradcheckable(const OpCase& c, Precision p) {
  const ops::OpDef& def = ops::get_op(c.op);
  if (!def.grad) return false;
  int64_t n = 0;
  bool any_float = false;
  for (const auto& t : c.inputs) {
    n += t.numel();
    any_float = any_float || t.dtype == DType::f32;
  }
  std::vector<TensorType> outs = case_output_types(c);
  for (size_t o = 0; o < loss_outputs(def, outs.size(), p); ++o) {
    if (outs[o].dtype != DType::f32) return false;
  }
  return any_float && n <= kGradcheckMaxElements;
}

OpCase to_f64(const OpCase& c) {
  OpCase d = c;
  for (TensorType& t : d.inputs) {
    if (t.dtype == DType::f32) t.dtype = DType::f64;
  }
  return d;
}

GradcheckResult gradcheck(const OpCase& registered, Precision p, uint64_t seed) {
  const OpCase c = p == Precision::f64 ? to_f64(registered) : registered;
  const DType ft = float_type(p);
  const ops::OpDef& def = ops::get_op(c.op);
  graph::Graph g;
  ops::Emitter em(g);
  std::vector<ops::Expr> ins, wrt;
  std::vector<Tensor> values;
  runtime::Feeds feeds;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    std::string name = "in" + std::to_string(i);
    ins.push_back(ops::input(em, name, c.inputs[i]));
    values.push_back(away_from_zero(random_tensor(c.inputs[i], seed + i, c.lo, c.hi)));
    feeds.emplace_back(name, values.back());
    if (c.inputs[i].dtype == ft) wrt.push_back(ins.back());
  }
  auto outs = em.emit(c.op, c.attrs, ins, ops::Loc::current(), "op");
  std::vector<TensorType> out_types;
  for (const auto& o : outs) out_types.push_back(o.type());
  std::vector<Tensor> projections;
  std::optional<ops::Expr> loss;
  for (size_t i = 0; i < loss_outputs(def, outs.size(), p); ++i) {
    projections.push_back(random_tensor(outs[i].type(), seed + 100 + i, -1, 1));
    ops::Expr term = ops::reduce_sum(ops::mul(outs[i], ops::constant(em, projections.back())));
    loss = loss ? ops::add(*loss, term) : term;
  }
  auto grads = autodiff::grad(*loss, wrt);
  std::vector<graph::ValueId> fetches;
  for (auto& gr : grads) fetches.push_back(gr.id());
  std::vector<Tensor> analytic;
  if (p == Precision::f64) {
    runtime::Workspace ws;
    analytic = runtime::run_reference(g, feeds, fetches, ws);
  } else {
    runtime::Session sess(g);
    analytic = sess.run(feeds, fetches);
  }

  const graph::Node& node = outs[0].producer();
  GradcheckResult result;
  size_t w = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].dtype() != ft) continue;
    Tensor numeric = numeric_gradient(node, def, values, i, out_types, projections, p);
    int64_t at = -1;
    double rel = worst_rel(analytic[w], numeric, &at);
    result.worst_rel = std::max(result.worst_rel, rel);
    std::string why;
    if (p == Precision::f32) {
      why = compare(analytic[w], numeric, kTol32);
    } else if (rel > kTol64) {
      std::ostringstream os;
      os.precision(12);
      os << "element " << at << " of " << numeric.type().str() << ": got " << analytic[w].at(at) << ", expected "
         << numeric.at(at) << " (rel. err " << rel << " > " << kTol64 << ")";
      why = os.str();
    }
    ++w;
    if (!why.empty() && result.error.empty()) result.error = "d/d input " + std::to_string(i) + ": " + why;
  }
  return result;
}

}  // namespace flowgrad::testing
