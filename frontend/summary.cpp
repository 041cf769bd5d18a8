// The model summary table (frontend/summary.h).

#include "frontend/summary.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "ops/op_def.h"

namespace flowgrad::frontend {
namespace {

// 1234567 -> "1,234,567"
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string bytes(int64_t n) {
  char buf[32];
  if (n < 1024) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(n));
  else if (n < (1 << 20)) std::snprintf(buf, sizeof buf, "%.2f KiB", static_cast<double>(n) / 1024);
  else std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(n) / (1 << 20));
  return buf;
}

std::string row_line(const std::string& name, const std::string& op, const std::string& out, const std::string& params) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-44s %-22s %-20s %12s\n", name.c_str(), op.c_str(), out.c_str(), params.c_str());
  return buf;
}

// "a/b/c/d" at depth 2 -> "a/b"; names with fewer levels stay whole.
std::string scope_prefix(const std::string& name, int depth) {
  size_t at = 0;
  for (int level = 0; level < depth; ++level) {
    at = name.find('/', at);
    if (at == std::string::npos) return name;
    ++at;
  }
  return name.substr(0, at - 1);
}

// One row per scope prefix, in order of first appearance: parameters summed,
// the output of the group's last node, the ops it computes (sources left out).
std::vector<SummaryRow> group_by_scope(const graph::Graph& g, const std::vector<SummaryRow>& rows, int depth) {
  std::vector<SummaryRow> out;
  std::vector<std::vector<std::string>> ops_of;
  std::map<std::string, size_t> index;
  for (const SummaryRow& r : rows) {
    std::string key = scope_prefix(r.name, depth);
    auto [it, fresh] = index.try_emplace(key, out.size());
    if (fresh) {
      out.push_back({.name = key});
      ops_of.emplace_back();
    }
    SummaryRow& group = out[it->second];
    std::vector<std::string>& ops = ops_of[it->second];
    group.params += r.params;
    group.output = r.output;
    bool source = ops::get_op(g.find(r.name)->op).source != ops::Source::none;
    if (!source && std::find(ops.begin(), ops.end(), r.op) == ops.end()) ops.push_back(r.op);
    if (ops.empty() && group.op.empty()) group.op = r.op;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (ops_of[i].empty()) continue;
    out[i].op.clear();
    for (const std::string& op : ops_of[i]) out[i].op += (out[i].op.empty() ? "" : ", ") + op;
  }
  return out;
}

}  // namespace

bool is_optimizer_node(const graph::Node& n) {
  return n.name.starts_with("optimizer/") || n.name.find("/optimizer/") != std::string::npos;
}

bool is_gradient_node(const graph::Node& n) {
  return n.name.find("/grad/") != std::string::npos || n.name.ends_with("/grad") || n.name.starts_with("grad/");
}

GraphSummary summarize(const graph::Graph& g, const SummaryOptions& options) {
  GraphSummary s;
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    const graph::TensorType& t = g.value(n.outputs.at(0)).type;
    bool variable = ops::get_op(n.op).source == ops::Source::variable;
    bool training = is_optimizer_node(n) || is_gradient_node(n);
    SummaryRow row{.name = n.name, .op = n.op, .output = t.str()};
    if (n.outputs.size() > 1) row.output += " +" + std::to_string(n.outputs.size() - 1);
    if (variable && is_optimizer_node(n)) {
      s.state += t.numel();
      s.state_bytes += static_cast<int64_t>(t.nbytes());
    } else if (variable) {
      row.params = t.numel();
      s.params += t.numel();
      s.param_bytes += static_cast<int64_t>(t.nbytes());
      ++s.param_tensors;
    }
    if (training && !options.training_nodes) ++s.hidden_nodes;
    else s.rows.push_back(std::move(row));
  }
  s.shown_nodes = s.rows.size();
  if (options.depth > 0) s.rows = group_by_scope(g, s.rows, options.depth);
  return s;
}

std::string GraphSummary::str() const {
  std::string out = row_line("node", "op", "output", "params");
  std::string rule(101, '-');
  out += rule + "\n";
  for (const SummaryRow& r : rows) out += row_line(r.name, r.op, r.output, r.params ? grouped(r.params) : "");
  out += std::string(101, '=') + "\n";
  out += std::to_string(shown_nodes) + " nodes shown";
  if (rows.size() != shown_nodes) out += " in " + std::to_string(rows.size()) + " scopes";
  if (hidden_nodes > 0) out += ", " + std::to_string(hidden_nodes) + " gradient and optimizer nodes hidden";
  out += "\nparameters: " + grouped(params) + " (" + bytes(param_bytes) + ") in " + std::to_string(param_tensors) +
         " tensors";
  if (state > 0) out += "; optimizer state: " + grouped(state) + " (" + bytes(state_bytes) + ")";
  return out + "\n";
}

std::string summary(const graph::Graph& g, const SummaryOptions& options) { return summarize(g, options).str(); }

}  // namespace flowgrad::frontend
