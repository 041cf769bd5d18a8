#pragma once
// Local rewrites as data, and the small matcher they are written with
// (tinygrad's pattern lists, MLIR's benefits, XLA's one-user checks).
//
// A rule is {name, integer benefit, match, rewrite}. `match(g, root)` looks at
// the node `root` and the producers of its inputs and returns the rule's own
// captures struct, or nullopt; `rewrite(g, captures)` replaces the matched
// nodes. Every rule has an ASCII diagram (before -> after) above it:
//
//   //   mul(x, 1)  ->  x
//   make_rule<MulOne>("mul_one", 1, match_mul_one, rewrite_mul_one)
//
// apply_rules runs rules to a fixpoint: rules in decreasing benefit, each one
// sweeping every node in topological order; rounds repeat until a round
// changes nothing. A bigger pattern (matmul + bias + relu) thus gets the whole
// graph before a smaller one (matmul + bias) can take its nodes.
//
// Rewrites must not hold `const Node&` or `const Value&` across graph
// mutations (removing a node may free it): capture ids, copy what you need.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor.h"

namespace flowgrad::passes {

struct RewriteRule {
  std::string name;
  int benefit = 0;
  // Matches at node `root` and, on a match, rewrites: true if it did.
  std::function<bool(graph::Graph&, graph::NodeId root)> apply;
};

template <class Captures>
RewriteRule make_rule(std::string name, int benefit,
                      std::function<std::optional<Captures>(const graph::Graph&, const graph::Node& root)> match,
                      std::function<void(graph::Graph&, const Captures&)> rewrite) {
  return {std::move(name), benefit,
          [match = std::move(match), rewrite = std::move(rewrite)](graph::Graph& g, graph::NodeId root) {
            std::optional<Captures> c = match(g, g.node(root));
            if (!c) return false;
            rewrite(g, *c);
            return true;
          }};
}

// Runs `rules` to a fixpoint (see above); true if any rule fired.
bool apply_rules(graph::Graph& g, std::vector<RewriteRule> rules);

// --- matching -----------------------------------------------------------------

bool is_output(const graph::Graph& g, graph::ValueId v);
// The one-use check: exactly one consumer (g.uses(v).size() == 1) and not a
// graph output, so a rewrite that absorbs `v` leaves nobody without it.
bool one_use(const graph::Graph& g, graph::ValueId v);

enum class Uses { any, one };
// The producer of `v` if it runs `op` (with Uses::one: only if one_use(v)).
const graph::Node* producer_of(const graph::Graph& g, graph::ValueId v, std::string_view op, Uses uses = Uses::any);

// Some consumer updates `v` in place (OpDef::inplace): `v` must keep its
// storage, so it is never replaced by another value.
bool updated_in_place(const graph::Graph& g, graph::ValueId v);

// The tensor of a `constant` node's output, or nullptr.
const graph::Tensor* constant_of(const graph::Graph& g, graph::ValueId v);
// The one value all elements of `v` hold, if `v` is a constant or a fill
// (-0.0 is kept apart from +0.0); nullopt otherwise.
std::optional<double> splat_of(const graph::Graph& g, graph::ValueId v);

// --- rewriting ----------------------------------------------------------------

// Adds `op(inputs)` beside `like`: output types from the op's inference,
// named "<like.name><suffix>" (made unique), with `like`'s source location.
graph::NodeId add_node_like(graph::Graph& g, const graph::Node& like, std::string_view op,
                            std::shared_ptr<const graph::AttrsBase> attrs, std::vector<graph::ValueId> inputs,
                            std::string_view suffix);
template <class A>
graph::NodeId add_node_like(graph::Graph& g, const graph::Node& like, std::string_view op, A attrs,
                            std::vector<graph::ValueId> inputs, std::string_view suffix) {
  std::shared_ptr<const graph::AttrsBase> erased = std::make_shared<graph::Attrs<A>>(std::move(attrs));
  return add_node_like(g, like, op, std::move(erased), std::move(inputs), suffix);
}

// Points every use of `from` (graph outputs included) at `to`, then erases
// `from`'s producer if that left it dead.
void replace_value(graph::Graph& g, graph::ValueId from, graph::ValueId to);

// Removes node `id` if none of its outputs is used or a graph output, then,
// the same way, the producers of its inputs. Inputs (the graph's interface)
// and in-place ops are never removed here.
void erase_dead(graph::Graph& g, graph::NodeId id);

}  // namespace flowgrad::passes
