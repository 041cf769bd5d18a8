// The registry-wide gradient check: for every op case (tests/ops/*) of a
// differentiable op, the gradient graph built by autodiff::grad and run by
// the runtime matches central finite differences of the op's reference kernel.
//
// The loss is L = Σ_i Σ_j out_i[j] · R_i[j] with fixed random R_i, so every
// output element and every input element is checked. The IR has no f64 dtype,
// so this is the f32 path: finite differences use f32 reference outputs,
// summed in double, with eps = 1e-3 and inputs nudged at least 0.05 away from
// 0 (the kink of relu); tolerance rel. 1e-3.

#include <cmath>
#include <set>

#include "autodiff/grad.h"
#include "ops/binary.h"
#include "ops/reduce.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

constexpr double kEps = 1e-3;
constexpr int64_t kMaxElements = 4096;  // larger cases are covered by the forward harness

bool checkable(const OpCase& c, const ops::OpDef& def, const std::vector<TensorType>& out_types) {
  if (!def.grad) return false;
  int64_t n = 0;
  bool any_f32 = false;
  for (const auto& t : c.inputs) {
    n += t.numel();
    any_f32 = any_f32 || t.dtype == DType::f32;
  }
  for (const auto& t : out_types) {
    if (t.dtype != DType::f32) return false;
  }
  return any_f32 && n <= kMaxElements;
}

Tensor away_from_zero(Tensor t) {
  if (t.dtype() != DType::f32) return t;
  for (float& x : t.span<float>()) {
    if (std::abs(x) < 0.05f) x = std::copysign(0.05f, x);
  }
  return t;
}

// Σ_i Σ_j out_i[j] R_i[j] for the reference kernel at `inputs`.
double reference_loss(const graph::Node& node, const ops::OpDef& def, const std::vector<Tensor>& inputs,
                      const std::vector<Tensor>& projections) {
  std::vector<Tensor> out;
  for (const auto& r : projections) out.emplace_back(r.type());
  def.reference(node, inputs, out);
  double loss = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    for (int64_t j = 0; j < out[i].numel(); ++j) loss += out[i].at(j) * projections[i].at(j);
  }
  return loss;
}

// Returns "" or a description of the first mismatch.
std::string gradcheck(const OpCase& c, uint64_t seed) {
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
    if (c.inputs[i].dtype == DType::f32) wrt.push_back(ins.back());
  }
  auto outs = em.emit(c.op, c.attrs, ins, ops::Loc::current(), "op");
  std::vector<Tensor> projections;
  std::optional<ops::Expr> loss;
  for (size_t i = 0; i < outs.size(); ++i) {
    projections.push_back(random_tensor(outs[i].type(), seed + 100 + i, -1, 1));
    ops::Expr term = ops::reduce_sum(ops::mul(outs[i], ops::constant(em, projections.back())));
    loss = loss ? ops::add(*loss, term) : term;
  }
  auto grads = autodiff::grad(*loss, wrt);
  std::vector<graph::ValueId> fetches;
  for (auto& gr : grads) fetches.push_back(gr.id());
  runtime::Session sess(g);
  auto analytic = sess.run(feeds, fetches);

  const graph::Node& node = outs[0].producer();
  size_t w = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].dtype() != DType::f32) continue;
    Tensor numeric(values[i].type());
    for (int64_t j = 0; j < values[i].numel(); ++j) {
      std::vector<Tensor> plus = values, minus = values;
      plus[i] = values[i].clone();
      minus[i] = values[i].clone();
      plus[i].data<float>()[j] += static_cast<float>(kEps);
      minus[i].data<float>()[j] -= static_cast<float>(kEps);
      double h = static_cast<double>(plus[i].data<float>()[j]) - minus[i].data<float>()[j];
      numeric.data<float>()[j] = static_cast<float>(
          (reference_loss(node, def, plus, projections) - reference_loss(node, def, minus, projections)) / h);
    }
    std::string why = compare(analytic[w++], numeric, 1e-3);
    if (!why.empty()) return "d/d input " + std::to_string(i) + ": " + why;
  }
  return "";
}

// Output types of a case (to decide whether it can be checked).
std::vector<TensorType> output_types(const OpCase& c) {
  graph::Graph probe;
  ops::Emitter em(probe);
  std::vector<ops::Expr> ins;
  for (size_t i = 0; i < c.inputs.size(); ++i) ins.push_back(ops::input(em, "in" + std::to_string(i), c.inputs[i]));
  std::vector<TensorType> out;
  for (auto& o : em.emit(c.op, c.attrs, ins, ops::Loc::current())) out.push_back(o.type());
  return out;
}

TEST_CASE("every differentiable op's gradient matches finite differences") {
  for (const OpCase& c : op_cases()) {
    if (!checkable(c, ops::get_op(c.op), output_types(c))) continue;
    SUBCASE(c.label().c_str()) {
      INFO(c.label());
      std::string why = gradcheck(c, 11);
      CHECK_MESSAGE(why.empty(), why);
    }
  }
}

TEST_CASE("every op has a passing gradient check or is declared not differentiable") {
  std::set<std::string> checked;
  for (const OpCase& c : op_cases()) {
    if (checked.contains(c.op) || !checkable(c, ops::get_op(c.op), output_types(c))) continue;
    if (gradcheck(c, 11).empty()) checked.insert(c.op);
  }
  for (const ops::OpDef* def : ops::all_ops()) {
    bool covered = def->not_differentiable || checked.contains(def->name);
    CHECK_MESSAGE(covered,
                  "op '" << def->name << "' has neither a passing gradient check nor a not_differentiable mark");
  }
}

}  // namespace
}  // namespace flowgrad::testing
