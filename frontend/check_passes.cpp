#include "frontend/check_passes.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "graph/algorithms.h"
#include "ops/op_def.h"

namespace flowgrad::frontend {
namespace {

using graph::Tensor;
using graph::ValueId;

// A copy whose tensors do not share storage with `ws` (updates stay apart).
runtime::Workspace copy_of(const runtime::Workspace& ws) {
  runtime::Workspace out;
  for (const std::string& name : ws.names()) out.set(name, ws.get(name));
  return out;
}

std::vector<Tensor> run(const graph::Graph& g, const runtime::Feeds& feeds, const std::vector<ValueId>& fetches,
                        const runtime::Workspace& ws) {
  runtime::Workspace vars = copy_of(ws);
  runtime::Session sess(g, vars);
  std::vector<Tensor> out;
  for (const Tensor& t : sess.run(feeds, fetches)) out.push_back(t.clone());
  return out;
}

// "" if close: |a - b| <= rtol · (max|b| + |b|) everywhere.
std::string difference(const Tensor& a, const Tensor& b, double rtol) {
  if (a.type() != b.type()) return a.type().str() + " vs " + b.type().str();
  double scale = 0;
  for (int64_t i = 0; i < b.numel(); ++i) scale = std::max(scale, std::abs(b.at(i)));
  for (int64_t i = 0; i < b.numel(); ++i) {
    double x = a.at(i), y = b.at(i);
    if (std::isnan(x) != std::isnan(y) || std::abs(x - y) > rtol * (scale + std::abs(y))) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "element %lld of %s: %.9g optimized vs %.9g unoptimized", static_cast<long long>(i),
                    b.type().str().c_str(), x, y);
      return buf;
    }
  }
  return "";
}

// Computed values of `opt` that `base` computes too, in `opt`'s topological order.
std::vector<ValueId> common_values(const graph::Graph& base, const graph::Graph& opt) {
  std::vector<ValueId> out;
  for (graph::NodeId id : graph::topological_order(opt)) {
    const graph::Node& n = opt.node(id);
    if (ops::get_op(n.op).source != ops::Source::none || !base.has_node(id) || base.node(id).op != n.op) continue;
    for (ValueId v : n.outputs) {
      if (base.has_value(v) && base.value(v).type == opt.value(v).type) out.push_back(v);
    }
  }
  return out;
}

// The graph specialized to the feeds, with the fetches as its last outputs.
graph::Graph prepared(const graph::Graph& g, const runtime::Feeds& feeds, const std::vector<ValueId>& fetches) {
  std::vector<runtime::FeedSpec> specs;
  for (const auto& [name, t] : feeds) {
    const graph::Node* n = g.find(name);
    if (!n) throw ValueError("check_passes: unknown feed '" + name + "'");
    specs.push_back({n->outputs[0], t.type()});
  }
  graph::Graph out = runtime::specialize(g, specs);
  for (ValueId v : fetches) out.add_output(v);
  return out;
}

}  // namespace

std::string PassMismatch::str() const {
  return "pass '" + pass + "' changed the results: first differing value " + value + ", " + detail;
}

std::optional<PassMismatch> check_passes(const graph::Graph& g, const runtime::Feeds& feeds,
                                         const std::vector<ValueId>& fetches, const runtime::Workspace& workspace,
                                         const passes::PipelineOptions& options, double rtol, const Optimizer& optimize) {
  const graph::Graph base = prepared(g, feeds, fetches);
  const size_t first_fetch = base.outputs().size() - fetches.size();
  const std::vector<std::string_view> names = passes::pass_names();
  for (size_t k = 0; k < names.size(); ++k) {
    auto& off = options.disabled;
    if (std::find(off.begin(), off.end(), names[k]) != off.end()) continue;
    passes::PipelineOptions prefix = options;  // the passes up to names[k]
    prefix.print_after.clear();
    for (size_t j = k + 1; j < names.size(); ++j) prefix.disabled.emplace_back(names[j]);
    graph::Graph opt = base;
    optimize(opt, prefix);
    std::vector<ValueId> values = common_values(base, opt);
    std::vector<ValueId> want_ids = values, got_ids = values;
    want_ids.insert(want_ids.end(), base.outputs().begin() + first_fetch, base.outputs().end());
    got_ids.insert(got_ids.end(), opt.outputs().begin() + first_fetch, opt.outputs().end());
    std::vector<Tensor> want = run(base, feeds, want_ids, workspace), got = run(opt, feeds, got_ids, workspace);
    for (size_t i = 0; i < want.size(); ++i) {
      std::string why = difference(got[i], want[i], rtol);
      if (why.empty()) continue;
      const graph::Value& v = opt.value(got_ids[i]);
      std::string what = (i < values.size() ? "" : "(fetch " + std::to_string(i - values.size()) + ") ") + "'" +
                         opt.node(v.producer).name + "' output " + std::to_string(v.index);
      return PassMismatch{std::string(names[k]), what, why};
    }
  }
  return std::nullopt;
}

}  // namespace flowgrad::frontend
