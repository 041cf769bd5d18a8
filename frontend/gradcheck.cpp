// The public gradient and forward checks (frontend/gradcheck.h): the same
// harness the test suite runs over every built-in op, in f32 on the compiled
// runtime and in f64 on the reference interpreter.

#include "frontend/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "autodiff/grad.h"
#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/random.h"
#include "ops/reduce.h"
#include "ops/sources.h"
#include "runtime/reference.h"
#include "runtime/session.h"

namespace flowgrad::frontend {
namespace {

using graph::DType;
using graph::Tensor;
using graph::TensorType;

std::shared_ptr<const graph::AttrsBase> attrs_of(const OpCheck& c) {
  return c.attrs ? c.attrs : std::shared_ptr<const graph::AttrsBase>(ops::get_op(c.op).make_attrs());
}

// Inputs named in0, in1, ... and the op applied to them as node "op".
struct OneOp {
  graph::Graph g;
  ops::Emitter em{g};
  std::vector<ops::Expr> ins, outs;

  explicit OneOp(const OpCheck& c) {
    for (size_t i = 0; i < c.inputs.size(); ++i) ins.push_back(ops::input(em, "in" + std::to_string(i), c.inputs[i]));
    outs = em.emit(c.op, attrs_of(c), ins, ops::Loc::current(), "op");
  }
};

DType float_type(Precision p) { return p == Precision::f64 ? DType::f64 : DType::f32; }

// Outputs that enter the loss: all of them on the f32 path, the visible ones
// (not kernel state, which stays f32 in f64 graphs) on the f64 path.
size_t loss_outputs(const ops::OpDef& def, size_t outputs, Precision p) {
  return p == Precision::f64 ? outputs - static_cast<size_t>(def.hidden_outputs) : outputs;
}

Tensor away_from_zero(Tensor t, double min_abs) {
  if (!graph::is_float(t.dtype())) return t;
  graph::with_float(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto m = static_cast<T>(min_abs);
    for (T& x : t.span<T>()) {
      if (std::abs(x) < m) x = std::copysign(m, x);
    }
  });
  return t;
}

std::vector<Tensor> run_reference_kernel(const graph::Node& node, const std::vector<Tensor>& in,
                                         const std::vector<TensorType>& out_types) {
  std::vector<Tensor> out;
  for (const auto& t : out_types) out.emplace_back(t);
  ops::get_op(node.op).reference(node, in, out);
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
Tensor numeric_gradient(const graph::Node& node, const std::vector<Tensor>& values, size_t i,
                        const std::vector<TensorType>& out_types, const std::vector<Tensor>& projections,
                        const GradCheckOptions& o) {
  Tensor numeric(values[i].type());
  for (int64_t j = 0; j < values[i].numel(); ++j) {
    std::vector<Tensor> plus = values, minus = values;
    plus[i] = values[i].clone();
    minus[i] = values[i].clone();
    double x = values[i].at(j);
    double h = o.precision == Precision::f64 ? o.f64_step * std::max(1.0, std::abs(x)) : o.f32_eps;
    set(plus[i], j, x + h);
    set(minus[i], j, x - h);
    double step = plus[i].at(j) - minus[i].at(j);  // the step actually taken, after rounding
    double d = projected_difference(run_reference_kernel(node, plus, out_types),
                                    run_reference_kernel(node, minus, out_types), projections);
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

// "" when the f64 path's worst rel. err (at element `at`) is within the bound.
std::string rel_err_report(const Tensor& analytic, const Tensor& numeric, double rel, int64_t at, double bound) {
  if (rel <= bound) return "";
  std::ostringstream os;
  os.precision(12);
  os << "element " << at << " of " << numeric.type().str() << ": got " << analytic.at(at) << ", expected "
     << numeric.at(at) << " (rel. err " << rel << " > " << bound << ")";
  return os.str();
}

}  // namespace

Tensor random_tensor(const TensorType& t, uint64_t seed, double lo, double hi) {
  Tensor out(t);
  uint64_t key = ops::random_key(seed, 12345);
  for (int64_t i = 0; i < out.numel(); ++i) {
    double u = lo + (hi - lo) * ops::uniform01(key, static_cast<uint64_t>(i));
    switch (t.dtype) {
      case DType::f32: out.data<float>()[i] = static_cast<float>(u); break;
      case DType::f64: out.data<double>()[i] = u; break;
      case DType::i32: out.data<int32_t>()[i] = static_cast<int32_t>(std::floor(u)); break;
      case DType::i64: out.data<int64_t>()[i] = static_cast<int64_t>(std::floor(u)); break;
      case DType::boolean: out.data<bool>()[i] = u > (lo + hi) / 2; break;
    }
  }
  return out;
}

std::string compare(const Tensor& got, const Tensor& want, double rtol, double atol_floor) {
  if (got.type() != want.type()) return "type " + got.type().str() + " != expected " + want.type().str();
  double max_ref = 0;
  for (int64_t i = 0; i < want.numel(); ++i) max_ref = std::max(max_ref, std::abs(want.at(i)));
  double atol = std::max(rtol * max_ref, atol_floor);
  double worst = 0;
  int64_t worst_i = -1;
  for (int64_t i = 0; i < want.numel(); ++i) {
    double g = got.at(i), w = want.at(i);
    double excess = std::abs(g - w) - (atol + rtol * std::abs(w));
    if (std::isnan(g) != std::isnan(w) || excess > worst) {
      worst = std::isnan(g) != std::isnan(w) ? INFINITY : excess;
      worst_i = i;
    }
  }
  if (worst_i < 0) return "";
  std::ostringstream os;
  os.precision(9);
  os << "element " << worst_i << " of " << want.type().str() << ": got " << got.at(worst_i) << ", expected "
     << want.at(worst_i) << " (rtol " << rtol << ")";
  return os.str();
}

std::vector<TensorType> output_types(const OpCheck& c) {
  OneOp m(c);
  std::vector<TensorType> out;
  for (const auto& o : m.outs) out.push_back(o.type());
  return out;
}

OpCheck to_f64(const OpCheck& c) {
  OpCheck d = c;
  for (TensorType& t : d.inputs) {
    if (t.dtype == DType::f32) t.dtype = DType::f64;
  }
  return d;
}

bool gradcheckable(const OpCheck& c, const GradCheckOptions& options) {
  const ops::OpDef& def = ops::get_op(c.op);
  if (!def.grad) return false;
  int64_t n = 0;
  bool any_f32 = false;
  for (const auto& t : c.inputs) {
    n += t.numel();
    any_f32 = any_f32 || t.dtype == DType::f32;
  }
  std::vector<TensorType> outs = output_types(c);
  for (size_t o = 0; o < loss_outputs(def, outs.size(), options.precision); ++o) {
    if (outs[o].dtype != DType::f32) return false;
  }
  return any_f32 && n <= options.max_elements;
}

GradCheckResult gradcheck(const OpCheck& described, const GradCheckOptions& options) {
  if (!gradcheckable(described, options)) {
    throw ValueError("gradcheck: op '" + described.op + "' on these inputs cannot be checked (needs a gradient rule, " +
                     "f32 outputs, an f32 input and at most " + std::to_string(options.max_elements) +
                     " input elements)");
  }
  const Precision p = options.precision;
  const OpCheck c = p == Precision::f64 ? to_f64(described) : described;
  const DType ft = float_type(p);
  OneOp m(c);
  std::vector<Tensor> values;
  runtime::Feeds feeds;
  std::vector<ops::Expr> wrt;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    values.push_back(away_from_zero(random_tensor(c.inputs[i], options.seed + i, c.lo, c.hi), options.min_abs));
    feeds.emplace_back("in" + std::to_string(i), values.back());
    if (c.inputs[i].dtype == ft) wrt.push_back(m.ins[i]);
  }
  std::vector<TensorType> out_types;
  for (const auto& o : m.outs) out_types.push_back(o.type());
  std::vector<Tensor> projections;
  std::optional<ops::Expr> loss;
  for (size_t i = 0; i < loss_outputs(ops::get_op(c.op), m.outs.size(), p); ++i) {
    projections.push_back(random_tensor(m.outs[i].type(), options.seed + 100 + i, -1, 1));
    ops::Expr term = ops::reduce_sum(ops::mul(m.outs[i], ops::constant(m.em, projections.back())));
    loss = loss ? ops::add(*loss, term) : term;
  }
  std::vector<graph::ValueId> fetches;
  for (auto& gr : autodiff::grad(*loss, wrt)) fetches.push_back(gr.id());
  std::vector<Tensor> analytic;
  if (p == Precision::f64) {
    runtime::Workspace ws;
    analytic = runtime::run_reference(m.g, feeds, fetches, ws);
  } else {
    runtime::Session sess(m.g);
    analytic = sess.run(feeds, fetches);
  }

  const graph::Node& node = m.outs[0].producer();
  GradCheckResult result;
  size_t w = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].dtype() != ft) continue;
    Tensor numeric = numeric_gradient(node, values, i, out_types, projections, options);
    int64_t at = -1;
    double rel = worst_rel(analytic[w], numeric, &at);
    result.worst_rel = std::max(result.worst_rel, rel);
    std::string why = p == Precision::f32 ? compare(analytic[w], numeric, options.f32_rtol)
                                          : rel_err_report(analytic[w], numeric, rel, at, options.f64_max_rel_err);
    ++w;
    if (!why.empty() && result.error.empty()) result.error = "d/d input " + std::to_string(i) + ": " + why;
  }
  return result;
}

std::string check_forward(const OpCheck& c, double rtol, uint64_t seed) {
  OneOp m(c);
  std::vector<Tensor> values;
  runtime::Feeds feeds;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    values.push_back(random_tensor(c.inputs[i], seed + i, c.lo, c.hi));
    feeds.emplace_back("in" + std::to_string(i), values.back());
  }
  std::vector<Tensor> want;
  std::vector<graph::ValueId> fetches;
  for (auto& o : m.outs) {
    want.emplace_back(o.type());
    fetches.push_back(o.id());
  }
  const graph::Node& node = m.outs[0].producer();
  const ops::OpDef& def = ops::get_op(c.op);
  def.reference(node, values, want);
  size_t compared = want.size() - static_cast<size_t>(def.hidden_outputs);  // hidden: kernel state
  for (int threads : {1, 2}) {
    runtime::Session sess(m.g, {.threads = threads});
    auto got = sess.run(feeds, fetches);
    for (size_t i = 0; i < compared; ++i) {
      std::string why = compare(got[i], want[i], rtol);
      if (!why.empty()) return "output " + std::to_string(i) + " at " + std::to_string(threads) + " threads: " + why;
    }
  }
  return "";
}

}  // namespace flowgrad::frontend
