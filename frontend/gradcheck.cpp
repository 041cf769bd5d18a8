// The public gradient and forward checks (frontend/gradcheck.h): the same
// harness the test suite runs over every built-in op.

#include "frontend/gradcheck.h"

#include <cmath>
#include <optional>
#include <sstream>

#include "autodiff/grad.h"
#include "ops/binary.h"
#include "ops/random.h"
#include "ops/reduce.h"
#include "ops/sources.h"
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

Tensor away_from_zero(Tensor t, double min_abs) {
  if (t.dtype() != DType::f32) return t;
  auto m = static_cast<float>(min_abs);
  for (float& x : t.span<float>()) {
    if (std::abs(x) < m) x = std::copysign(m, x);
  }
  return t;
}

// Σ_i Σ_j out_i[j] R_i[j] for the reference kernel at `inputs`.
double reference_loss(const graph::Node& node, const std::vector<Tensor>& inputs,
                      const std::vector<Tensor>& projections) {
  std::vector<Tensor> out;
  for (const auto& r : projections) out.emplace_back(r.type());
  ops::get_op(node.op).reference(node, inputs, out);
  double loss = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    for (int64_t j = 0; j < out[i].numel(); ++j) loss += out[i].at(j) * projections[i].at(j);
  }
  return loss;
}

// Central differences of reference_loss along every element of input i.
Tensor numeric_gradient(const graph::Node& node, const std::vector<Tensor>& values, size_t i,
                        const std::vector<Tensor>& projections, double eps) {
  Tensor numeric(values[i].type());
  for (int64_t j = 0; j < values[i].numel(); ++j) {
    std::vector<Tensor> plus = values, minus = values;
    plus[i] = values[i].clone();
    minus[i] = values[i].clone();
    plus[i].data<float>()[j] += static_cast<float>(eps);
    minus[i].data<float>()[j] -= static_cast<float>(eps);
    double h = static_cast<double>(plus[i].data<float>()[j]) - minus[i].data<float>()[j];
    numeric.data<float>()[j] =
        static_cast<float>((reference_loss(node, plus, projections) - reference_loss(node, minus, projections)) / h);
  }
  return numeric;
}

}  // namespace

Tensor random_tensor(const TensorType& t, uint64_t seed, double lo, double hi) {
  Tensor out(t);
  uint64_t key = ops::random_key(seed, 12345);
  for (int64_t i = 0; i < out.numel(); ++i) {
    double u = lo + (hi - lo) * ops::uniform01(key, static_cast<uint64_t>(i));
    switch (t.dtype) {
      case DType::f32: out.data<float>()[i] = static_cast<float>(u); break;
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

bool gradcheckable(const OpCheck& c, const GradCheckOptions& options) {
  if (!ops::get_op(c.op).grad) return false;
  int64_t n = 0;
  bool any_f32 = false;
  for (const auto& t : c.inputs) {
    n += t.numel();
    any_f32 = any_f32 || t.dtype == DType::f32;
  }
  OneOp probe(c);
  for (const auto& o : probe.outs) {
    if (o.dtype() != DType::f32) return false;
  }
  return any_f32 && n <= options.max_elements;
}

std::string gradcheck(const OpCheck& c, const GradCheckOptions& options) {
  if (!gradcheckable(c, options)) {
    throw ValueError("gradcheck: op '" + c.op + "' on these inputs cannot be checked (needs a gradient rule, " +
                     "f32 outputs, an f32 input and at most " + std::to_string(options.max_elements) +
                     " input elements)");
  }
  OneOp m(c);
  std::vector<Tensor> values;
  runtime::Feeds feeds;
  std::vector<ops::Expr> wrt;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    values.push_back(away_from_zero(random_tensor(c.inputs[i], options.seed + i, c.lo, c.hi), options.min_abs));
    feeds.emplace_back("in" + std::to_string(i), values.back());
    if (c.inputs[i].dtype == DType::f32) wrt.push_back(m.ins[i]);
  }
  std::vector<Tensor> projections;
  std::optional<ops::Expr> loss;
  for (size_t i = 0; i < m.outs.size(); ++i) {
    projections.push_back(random_tensor(m.outs[i].type(), options.seed + 100 + i, -1, 1));
    ops::Expr term = ops::reduce_sum(ops::mul(m.outs[i], ops::constant(m.em, projections.back())));
    loss = loss ? ops::add(*loss, term) : term;
  }
  std::vector<graph::ValueId> fetches;
  for (auto& gr : autodiff::grad(*loss, wrt)) fetches.push_back(gr.id());
  runtime::Session sess(m.g);
  auto analytic = sess.run(feeds, fetches);

  const graph::Node& node = m.outs[0].producer();
  size_t w = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].dtype() != DType::f32) continue;
    Tensor numeric = numeric_gradient(node, values, i, projections, options.eps);
    std::string why = compare(analytic[w++], numeric, options.rtol);
    if (!why.empty()) return "d/d input " + std::to_string(i) + ": " + why;
  }
  return "";
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
