// The model summary table (frontend/summary.h).

#include "frontend/summary.h"

#include <cstdio>

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
  return s;
}

std::string GraphSummary::str() const {
  std::string out = row_line("node", "op", "output", "params");
  std::string rule(101, '-');
  out += rule + "\n";
  for (const SummaryRow& r : rows) out += row_line(r.name, r.op, r.output, r.params ? grouped(r.params) : "");
  out += std::string(101, '=') + "\n";
  out += std::to_string(rows.size()) + " nodes shown";
  if (hidden_nodes > 0) out += ", " + std::to_string(hidden_nodes) + " gradient and optimizer nodes hidden";
  out += "\nparameters: " + grouped(params) + " (" + bytes(param_bytes) + ") in " + std::to_string(param_tensors) +
         " tensors";
  if (state > 0) out += "; optimizer state: " + grouped(state) + " (" + bytes(state_bytes) + ")";
  return out + "\n";
}

std::string summary(const graph::Graph& g, const SummaryOptions& options) { return summarize(g, options).str(); }

}  // namespace flowgrad::frontend
