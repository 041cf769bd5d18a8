#include "passes/fuse_elementwise.h"

#include <algorithm>

#include "ops/fused_elementwise.h"
#include "passes/rewrite.h"

namespace flowgrad::passes {
namespace {

using graph::ValueId;
using ops::ElementwiseOperand;
using Kind = ElementwiseOperand::Kind;

// A member node seen as a program over its non-literal inputs.
struct Piece {
  std::vector<ValueId> inputs;
  ops::ElementwiseProgram program;
};

// The ops this pass fuses: memory-bound arithmetic, where one pass over
// memory instead of several is the whole cost. fused_elementwise also runs
// exp, tanh, sigmoid, gelu and log, but measured on the target machine
// (bench/fusion_bench) oneDNN's JIT eltwise kernels for those (AVX-512 there)
// beat the baseline-ISA polynomials of this build by more than the memory
// pass they would save, so they stay oneDNN primitives.
constexpr std::string_view kMembers[] = {"add", "sub", "mul", "div", "neg", "relu"};

// The program's name for a node's op, or "" if it is not a member.
std::string member_op(const graph::Node& n) {
  return std::find(std::begin(kMembers), std::end(kMembers), n.op) != std::end(kMembers) ? n.op : "";
}

std::optional<Piece> piece_of(const graph::Graph& g, const graph::Node& n) {
  if (n.outputs.size() != 1) return std::nullopt;
  const graph::TensorType& y = g.value(n.output()).type;
  if (y.dtype != graph::DType::f32 || y.numel() == 0) return std::nullopt;
  if (n.op == "fused_elementwise") {
    std::string error;
    auto p = ops::ElementwiseProgram::parse(n.attrs_as<ops::FusedElementwiseAttrs>().program, error);
    if (!p) return std::nullopt;
    return Piece{n.inputs, *p};
  }
  std::string op = member_op(n);
  if (op.empty() || static_cast<int>(n.inputs.size()) != ops::elementwise_arity(op)) return std::nullopt;
  Piece piece;
  ops::ElementwiseInstruction ins{op, {}};
  for (ValueId v : n.inputs) {
    if (g.value(v).type == y) {
      ins.args.push_back({.kind = Kind::input, .index = static_cast<int64_t>(piece.inputs.size())});
      piece.inputs.push_back(v);
    } else if (std::optional<double> c = splat_of(g, v); c && g.value(v).type.dtype == graph::DType::f32) {
      ins.args.push_back({.kind = Kind::literal, .value = static_cast<float>(*c)});
    } else {
      return std::nullopt;  // a broadcast operand
    }
  }
  if (piece.inputs.empty()) return std::nullopt;  // constants only: constant folding's job
  piece.program.code.push_back(std::move(ins));
  return piece;
}

// Index of `v` in `inputs`, appended if absent.
int64_t input_index(std::vector<ValueId>& inputs, ValueId v) {
  auto it = std::find(inputs.begin(), inputs.end(), v);
  if (it != inputs.end()) return it - inputs.begin();
  inputs.push_back(v);
  return static_cast<int64_t>(inputs.size()) - 1;
}

// `producer` computed first, then `consumer` with its input `slot` (the
// producer's output) read from the producer's result.
Piece merge(const Piece& producer, const Piece& consumer, ValueId link) {
  Piece out{producer.inputs, producer.program};
  const int64_t shift = static_cast<int64_t>(producer.program.code.size());
  for (ops::ElementwiseInstruction ins : consumer.program.code) {
    for (ElementwiseOperand& a : ins.args) {
      if (a.kind == Kind::temp) {
        a.index += shift;
      } else if (a.kind == Kind::input) {
        ValueId v = consumer.inputs[static_cast<size_t>(a.index)];
        a = v == link ? ElementwiseOperand{.kind = Kind::temp, .index = shift - 1} :
                        ElementwiseOperand{.kind = Kind::input, .index = input_index(out.inputs, v)};
      }
    }
    out.program.code.push_back(std::move(ins));
  }
  return out;
}

struct Fusion {
  graph::NodeId consumer;
  Piece merged;
};

// A member whose input is a member's output read only here.
std::optional<Fusion> match_chain(const graph::Graph& g, const graph::Node& n) {
  std::optional<Piece> consumer = piece_of(g, n);
  if (!consumer || updated_in_place(g, n.output())) return std::nullopt;
  for (ValueId v : consumer->inputs) {
    if (!one_use(g, v) || updated_in_place(g, v)) continue;
    std::optional<Piece> producer = piece_of(g, g.producer(v));
    if (!producer || producer->program.code.size() + consumer->program.code.size() > ops::kMaxInstructions) continue;
    return Fusion{n.id, merge(*producer, *consumer, v)};
  }
  return std::nullopt;
}

void fuse(graph::Graph& g, const Fusion& f) {
  const graph::Node n = g.node(f.consumer);  // a copy: the rewrite removes it
  ops::FusedElementwiseAttrs attrs{f.merged.program.str()};
  graph::NodeId fused = add_node_like(g, n, "fused_elementwise", attrs, f.merged.inputs, "_fused");
  replace_value(g, n.output(), g.node(fused).output());
}

std::vector<RewriteRule> rules() {
  return {
      //   x0 ── op1 ──┐
      //         x1 ───┴─ op2 ── y    ->    x0, x1 ── fused_elementwise("op1 x0; op2 t0 x1") ── y
      make_rule<Fusion>("elementwise_chain", 1, match_chain, fuse),
  };
}

}  // namespace

bool FuseElementwise::run(graph::Graph& g) { return apply_rules(g, rules()); }

}  // namespace flowgrad::passes
