#include "passes/algebraic.h"

#include <cmath>
#include <numeric>

#include "ops/reshape.h"
#include "ops/transpose.h"
#include "passes/rewrite.h"

namespace flowgrad::passes {
namespace {

using graph::DType;
using graph::ValueId;

// A node whose output equals one of its inputs.
struct Forward {
  ValueId out, x;
};

void forward_x(graph::Graph& g, const Forward& c) { replace_value(g, c.out, c.x); }

using IsIdentity = bool (*)(double value, DType t);
bool is_one(double v, DType) { return v == 1.0; }
bool is_pos_zero(double v, DType t) { return v == 0.0 && (t != DType::f32 || !std::signbit(v)); }
bool is_neg_zero(double v, DType t) { return v == 0.0 && (t != DType::f32 || std::signbit(v)); }

// op(x, c), or op(c, x) if commutative, with c a splat satisfying `identity`
// and op's output of x's type.
std::optional<Forward> match_identity(const graph::Graph& g, const graph::Node& n, std::string_view op,
                                      bool commutative, IsIdentity identity) {
  if (n.op != op) return std::nullopt;
  const graph::TensorType out = g.value(n.output()).type;
  for (int x_slot : {0, 1}) {
    if (x_slot == 1 && !commutative) break;
    ValueId x = n.inputs[x_slot], c = n.inputs[1 - x_slot];
    std::optional<double> splat = splat_of(g, c);
    if (splat && identity(*splat, out.dtype) && g.value(x).type == out && !updated_in_place(g, n.output())) {
      return Forward{n.output(), x};
    }
  }
  return std::nullopt;
}

// A one-input node (reshape, transpose) whose output has its input's type.
std::optional<Forward> match_same_type(const graph::Graph& g, const graph::Node& n, std::string_view op) {
  if (n.op != op || g.value(n.output()).type != g.value(n.inputs[0]).type) return std::nullopt;
  if (updated_in_place(g, n.output())) return std::nullopt;
  return Forward{n.output(), n.inputs[0]};
}

std::vector<int64_t> normalized_perm(const std::vector<int64_t>& perm) {
  std::vector<int64_t> p = perm;
  for (int64_t& a : p) a = a < 0 ? a + static_cast<int64_t>(p.size()) : a;
  return p;
}

bool is_identity_perm(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

// An outer op over an inner op of the same kind, collapsed into one node
// (with `attrs`) reading the inner op's input.
struct Chain {
  graph::NodeId outer;
  ValueId out, x;
  std::shared_ptr<const graph::AttrsBase> attrs;
};

void collapse_chain(graph::Graph& g, const Chain& c) {
  const graph::Node outer = g.node(c.outer);
  graph::NodeId n = add_node_like(g, outer, outer.op, c.attrs, {c.x}, "");
  replace_value(g, c.out, g.node(n).output());
}

std::optional<Chain> match_reshape_reshape(const graph::Graph& g, const graph::Node& n) {
  const graph::Node* inner = n.op == "reshape" ? producer_of(g, n.inputs[0], "reshape") : nullptr;
  if (!inner || updated_in_place(g, n.output())) return std::nullopt;
  ops::ReshapeAttrs a{.shape = g.value(n.output()).type.shape};  // resolved: no -1
  return Chain{n.id, n.output(), inner->inputs[0], std::make_shared<graph::Attrs<ops::ReshapeAttrs>>(a)};
}

// y = transpose(transpose(x, p), q): y dim j = inner dim q[j] = x dim p[q[j]].
std::optional<Chain> match_transpose_transpose(const graph::Graph& g, const graph::Node& n) {
  const graph::Node* inner = n.op == "transpose" ? producer_of(g, n.inputs[0], "transpose") : nullptr;
  if (!inner || updated_in_place(g, n.output())) return std::nullopt;
  auto p = normalized_perm(inner->attrs_as<ops::TransposeAttrs>().perm);
  auto q = normalized_perm(n.attrs_as<ops::TransposeAttrs>().perm);
  ops::TransposeAttrs a;
  for (int64_t j : q) a.perm.push_back(p[j]);
  return Chain{n.id, n.output(), inner->inputs[0], std::make_shared<graph::Attrs<ops::TransposeAttrs>>(a)};
}

std::optional<Forward> match_transpose_identity(const graph::Graph& g, const graph::Node& n) {
  if (n.op != "transpose" || !is_identity_perm(normalized_perm(n.attrs_as<ops::TransposeAttrs>().perm))) {
    return std::nullopt;
  }
  return match_same_type(g, n, "transpose");
}

std::vector<RewriteRule> rules() {
  return {
      //   x ──┐                       
      //   1 ──┴─ mul ── y     ->     x ── y        (also mul(1, x))
      make_rule<Forward>("mul_one", 1, [](const auto& g, const auto& n) { return match_identity(g, n, "mul", true, is_one); }, forward_x),
      //   x ──┐
      //   1 ──┴─ div ── y     ->     x ── y
      make_rule<Forward>("div_one", 1, [](const auto& g, const auto& n) { return match_identity(g, n, "div", false, is_one); }, forward_x),
      //   x ──┐
      //  +0 ──┴─ sub ── y     ->     x ── y
      make_rule<Forward>("sub_zero", 1, [](const auto& g, const auto& n) { return match_identity(g, n, "sub", false, is_pos_zero); }, forward_x),
      //   x ──┐
      //  -0 ──┴─ add ── y     ->     x ── y        (also add(-0, x))
      make_rule<Forward>("add_neg_zero", 1, [](const auto& g, const auto& n) { return match_identity(g, n, "add", true, is_neg_zero); }, forward_x),
      //   x ── reshape ── reshape ── y     ->     x ── reshape ── y
      make_rule<Chain>("reshape_reshape", 2, match_reshape_reshape, collapse_chain),
      //   x [s] ── reshape(s) ── y     ->     x ── y
      make_rule<Forward>("reshape_same_shape", 1, [](const auto& g, const auto& n) { return match_same_type(g, n, "reshape"); }, forward_x),
      //   x ── transpose(p) ── transpose(q) ── y     ->     x ── transpose(p∘q) ── y
      make_rule<Chain>("transpose_transpose", 2, match_transpose_transpose, collapse_chain),
      //   x ── transpose(0, 1, ..., n) ── y     ->     x ── y
      make_rule<Forward>("transpose_identity", 1, match_transpose_identity, forward_x),
  };
}

}  // namespace

bool Algebraic::run(graph::Graph& g) { return apply_rules(g, rules()); }

}  // namespace flowgrad::passes
