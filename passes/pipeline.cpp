#include "passes/pipeline.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "graph/algorithms.h"
#include "ops/op_def.h"
#include "passes/algebraic.h"
#include "passes/constant_fold.h"
#include "passes/cse.h"
#include "passes/dce.h"
#include "passes/fuse_add_layer_norm.h"
#include "passes/fuse_elementwise.h"
#include "passes/fuse_masked_softmax.h"
#include "passes/fuse_matmul_bias_act.h"
#include "passes/fuse_matmul_residual.h"

namespace flowgrad::passes {
namespace {

// The pipeline. `run` visits each pass in order: optimize() runs them,
// pass_names() lists them, so the order is written down once, here.
template <class Visitor>
void pipeline(Visitor& run) {
  run.template pass<ConstantFold>();        // constant subgraphs -> constants
  run.template pass<Algebraic>();           // x*1, x/1, reshape and transpose chains
  run.template pass<Cse>();                 // duplicate computations
  run.template pass<Dce>();                 // what no output needs
  run.template pass<FuseMaskedSoftmax>();   // scale + mask + softmax -> masked_softmax
  run.template pass<FuseAddLayerNorm>();    // residual add + layer norm -> one pass per row
  run.template pass<FuseMatmulBiasAct>();   // matmul + bias + activation -> one oneDNN primitive
  run.template pass<FuseMatmulResidual>();  // ... + residual add -> a binary post-op of the same primitive
  run.template pass<FuseElementwise>();     // chains of elementwise ops -> one parallel loop
}

class Runner {
 public:
  Runner(graph::Graph& g, const PipelineOptions& o) : g_(g), o_(o) {}

  template <Pass P>
  void pass() {
    if (std::find(o_.disabled.begin(), o_.disabled.end(), P::name) != o_.disabled.end()) return;
    bool changed = P{}.run(g_);
    changed_ = changed_ || changed;
    if (o_.verify) verify_after(P::name);
    if (o_.print_after == P::name) {
      std::cerr << "// graph after pass '" << P::name << "'" << (changed ? "" : " (unchanged)") << "\n" << format_graph(g_);
    }
  }
  bool changed() const { return changed_; }

 private:
  void verify_after(std::string_view pass) const {
    try {
      ops::verify(g_);
    } catch (const Error& e) {
      throw Error("the graph is invalid after pass '" + std::string(pass) + "': " + e.what());
    }
  }

  graph::Graph& g_;
  const PipelineOptions& o_;
  bool changed_ = false;
};

struct Lister {
  std::vector<std::string_view> names;
  template <Pass P>
  void pass() {
    if (std::find(names.begin(), names.end(), P::name) == names.end()) names.push_back(P::name);
  }
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = std::min(s.find(',', start), s.size());
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void check_name(const std::string& name, const std::string& where) {
  auto known = pass_names();
  if (std::find(known.begin(), known.end(), name) != known.end()) return;
  std::string list;
  for (auto n : known) list += (list.empty() ? "" : ", ") + std::string(n);
  throw ValueError(where + ": unknown pass '" + name + "'; the passes are: " + list);
}

std::string value_list(const std::vector<graph::ValueId>& vs) {
  std::string s;
  for (graph::ValueId v : vs) s += (s.empty() ? "%" : ", %") + std::to_string(v);
  return s;
}

}  // namespace

PipelineOptions PipelineOptions::from_env() {
  PipelineOptions o;
  if (const char* d = std::getenv("FLOWGRAD_DISABLE_PASSES")) o.disabled = split(d);
  if (const char* p = std::getenv("FLOWGRAD_PRINT_AFTER")) o.print_after = p;
  return o;
}

bool optimize(graph::Graph& g, const PipelineOptions& options) {
  for (const auto& name : options.disabled) check_name(name, "disabled passes (FLOWGRAD_DISABLE_PASSES)");
  if (!options.print_after.empty()) check_name(options.print_after, "print_after (FLOWGRAD_PRINT_AFTER)");
  Runner run(g, options);
  pipeline(run);
  return run.changed();
}

std::vector<std::string_view> pass_names() {
  Lister list;
  pipeline(list);
  return list.names;
}

std::string format_graph(const graph::Graph& g) {
  std::string out;
  for (graph::NodeId id : graph::topological_order(g)) {
    const graph::Node& n = g.node(id);
    std::string types;
    for (graph::ValueId v : n.outputs) types += (types.empty() ? "" : ", ") + g.value(v).type.str();
    std::string attrs = graph::attrs_str(*n.attrs);
    out += value_list(n.outputs) + " = " + n.op + "(" + value_list(n.inputs) + ")" +
           (attrs.empty() ? "" : " {" + attrs + "}") + " : " + types + "   # " + n.name + "\n";
  }
  return out;
}

}  // namespace flowgrad::passes
