#include "tools/profile.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "frontend/optimize.h"
#include "ops/matmul.h"
#include "ops/matmul_bias_act.h"
#include "runtime/graph_io.h"
#include "runtime/session.h"
#include "runtime/trace.h"
#include "tools/graph_inputs.h"
#include "tools/peak.h"

namespace flowgrad::tools {
namespace {

using Clock = std::chrono::steady_clock;

// Time of one executed node over the timed runs.
struct NodeTime {
  const runtime::Step* step = nullptr;
  double total_ms = 0;
  int64_t calls = 0;
};

struct Timing {
  std::vector<NodeTime> nodes;  // plan step order
  std::vector<double> step_ms;  // wall time of each timed run
  double first_ms = 0;          // the untimed first run (compile + warm-up)
  double mean_step_ms = 0;
  int threads = 1;
};

// A matmul node's GEMM: C[batch, M, N] = op(A)[batch, M, K] · op(B)[batch, K, N].
struct Gemm {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool ta = false, tb = false;
  std::string fused;  // what matmul_bias_act adds: "bias gelu +res"

  double flops() const { return 2.0 * static_cast<double>(batch) * static_cast<double>(m * n) * static_cast<double>(k); }
};

std::optional<Gemm> gemm_of(const graph::Graph& g, const graph::Node& node) {
  Gemm r;
  if (node.op == "matmul") {
    const auto& at = node.attrs_as<ops::MatmulAttrs>();
    r.ta = at.transpose_a;
    r.tb = at.transpose_b;
  } else if (node.op == "matmul_bias_act") {
    const auto& at = node.attrs_as<ops::MatmulBiasActAttrs>();
    r.ta = at.transpose_a;
    r.tb = at.transpose_b;
    if (node.inputs.size() - (at.residual ? 1 : 0) == 3) r.fused += "bias ";
    if (at.activation != "none") r.fused += at.activation + " ";
    if (at.residual) r.fused += "+res ";
    if (!r.fused.empty()) r.fused.pop_back();
  } else {
    return std::nullopt;
  }
  const graph::Shape& a = g.value(node.inputs[0]).type.shape;
  const graph::Shape& c = g.value(node.outputs[0]).type.shape;
  r.m = c[c.size() - 2];
  r.n = c[c.size() - 1];
  r.k = r.ta ? a[a.size() - 2] : a[a.size() - 1];
  for (size_t i = 0; i + 2 < c.size(); ++i) r.batch *= c[i];
  return r;
}

void check_args(const ProfileArgs& a) {
  if (a.steps < 2) {
    throw ValueError("--steps " + std::to_string(a.steps) +
                     ": the profile needs at least 2 runs (the first compiles and warms up and is not timed)");
  }
  for (const auto& [option, path] : {std::pair{"graph", a.graph}, {"--weights", a.weights}, {"--feed", a.feed}}) {
    if (!path.empty() && !std::filesystem::is_regular_file(path)) {
      throw ValueError(std::string(option) + " '" + path + "': no such file");
    }
  }
  if (a.peak < 0) throw ValueError("--peak " + std::to_string(a.peak) + ": expected GFLOP/s > 0");
  std::filesystem::path folder = std::filesystem::path(a.trace).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw ValueError("--trace '" + a.trace + "': the folder '" + folder.string() + "' does not exist");
  }
}

// Runs the graph a.steps times, recording the timed runs' trace events.
Timing run_timed(const ProfileArgs& a, runtime::Session& sess, const runtime::Feeds& feeds,
                 const std::vector<graph::ValueId>& fetches) {
  Timing t;
  auto ms_since = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  auto start = Clock::now();
  sess.run(feeds, fetches);
  t.first_ms = ms_since(start);
  runtime::start_trace(a.trace);
  for (int i = 1; i < a.steps; ++i) {
    start = Clock::now();
    sess.run(feeds, fetches);
    t.step_ms.push_back(ms_since(start));
  }
  std::vector<runtime::TraceEvent> events = runtime::trace_events();
  std::string file = runtime::stop_trace();
  if (!file.empty()) std::printf("wrote trace %s (%zu events)\n", file.c_str(), events.size());

  const runtime::Plan& plan = *sess.last_plan();
  t.threads = plan.threads();
  std::unordered_map<const runtime::StepLabel*, size_t> index;
  for (const runtime::Step& s : plan.steps()) {
    index.emplace(s.label.get(), t.nodes.size());
    t.nodes.push_back({&s});
  }
  for (const runtime::TraceEvent& e : events) {
    auto it = index.find(e.label.get());
    if (it == index.end()) continue;  // another plan's step
    t.nodes[it->second].total_ms += e.duration_us / 1e3;
    ++t.nodes[it->second].calls;
  }
  for (double ms : t.step_ms) t.mean_step_ms += ms / static_cast<double>(t.step_ms.size());
  return t;
}

void print_summary(const ProfileArgs& a, const Timing& t) {
  const double runs = static_cast<double>(t.step_ms.size());
  double node_ms = 0;
  for (const NodeTime& n : t.nodes) node_ms += n.total_ms / runs;
  auto [lo, hi] = std::minmax_element(t.step_ms.begin(), t.step_ms.end());
  std::printf("profile of %s: %zu timed runs after 1 untimed (compile + warm-up: %.1f ms); %s executor, %d thread%s\n",
              a.graph.c_str(), t.step_ms.size(), t.first_ms, a.serial ? "serial" : "parallel", t.threads,
              t.threads == 1 ? "" : "s");
  std::printf("step: %.3f ms mean (min %.3f, max %.3f); %zu nodes, their times add up to %.3f ms per step%s\n",
              t.mean_step_ms, *lo, *hi, t.nodes.size(), node_ms,
              a.serial ? "" : " (nodes that run at once overlap)");
}

void print_top_ops(const ProfileArgs& a, const Timing& t, const graph::Graph& g) {
  const double runs = static_cast<double>(t.step_ms.size());
  std::map<std::string, std::pair<int, double>> by_op;  // op -> (nodes, ms per step)
  for (const NodeTime& n : t.nodes) {
    auto& [count, ms] = by_op[g.node(n.step->node).op];
    ++count;
    ms += n.total_ms / runs;
  }
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [op, v] : by_op) order.emplace_back(-v.second, op);
  std::sort(order.begin(), order.end());
  std::printf("\ntop ops by time per step:\n  %-32s %6s %10s %9s\n", "op", "nodes", "ms", "% of step");
  double rest = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& [count, ms] = by_op[order[i].second];
    if (static_cast<int>(i) >= a.top) {
      rest += ms;
      continue;
    }
    std::printf("  %-32s %6d %10.3f %9.1f\n", order[i].second.c_str(), count, ms, 100 * ms / t.mean_step_ms);
  }
  if (order.size() > static_cast<size_t>(a.top)) {
    std::printf("  (%zu more ops: %.3f ms)\n", order.size() - static_cast<size_t>(a.top), rest);
  }

  std::vector<const NodeTime*> nodes;
  for (const NodeTime& n : t.nodes) nodes.push_back(&n);
  std::sort(nodes.begin(), nodes.end(), [](auto* x, auto* y) { return x->total_ms > y->total_ms; });
  std::printf("\ntop nodes by time per step:\n  %10s %9s %7s  %-30s %s\n", "ms", "% of step", "threads", "op", "node");
  for (size_t i = 0; i < nodes.size() && static_cast<int>(i) < a.top; ++i) {
    const NodeTime& n = *nodes[i];
    double ms = n.total_ms / runs;
    std::printf("  %10.3f %9.1f %7d  %-30s %s\n", ms, 100 * ms / t.mean_step_ms, n.step->threads,
                g.node(n.step->node).op.c_str(), n.step->name.c_str());
  }
}

// The matmul peak of each team size the matmul nodes ran with (threads ->
// GFLOP/s), printed with where each comes from. A team size that --peak or
// the peak file does not give is scaled linearly from the budget's (or the
// largest team's) figure, and says so.
std::map<int, double> matmul_peaks(const ProfileArgs& a, const std::set<int>& teams, int budget) {
  std::map<int, double> peaks;
  std::vector<PeakResult> known;
  std::string source;
  if (a.peak > 0) {
    known.push_back({.threads = budget, .best_gflops = a.peak});
    source = "given by --peak";
  } else if (!a.peak_file.empty()) {
    known = read_peak_file(a.peak_file);
    source = "from " + a.peak_file;
  } else {
    for (int t : teams) known.push_back(measure_matmul_peak(t, 2048, 0.4));
    source = "measured now: a quick estimate; pass --peak-file build-bench/results/peak.json from bench/run.sh, or --peak";
  }
  auto base = std::find_if(known.begin(), known.end(), [&](const PeakResult& p) { return p.threads == budget; });
  if (base == known.end()) {
    base = std::max_element(known.begin(), known.end(), [](auto& x, auto& y) { return x.threads < y.threads; });
  }
  for (int t : teams) {
    auto exact = std::find_if(known.begin(), known.end(), [&](const PeakResult& p) { return p.threads == t; });
    if (exact != known.end()) {
      peaks[t] = exact->best_gflops;
      std::string gemm = exact->size > 0 ? "oneDNN f32 matmul " + std::to_string(exact->size) + "^3, " : "";
      std::printf("matmul peak: %.1f GFLOP/s at %d thread%s (%s%s)\n", peaks[t], t, t == 1 ? "" : "s", gemm.c_str(),
                  source.c_str());
    } else {
      peaks[t] = base->best_gflops * t / base->threads;
      std::printf("matmul peak: %.1f GFLOP/s at %d thread%s (%d/%d of the %d-thread figure, %s)\n", peaks[t], t,
                  t == 1 ? "" : "s", t, base->threads, base->threads, source.c_str());
    }
  }
  return peaks;
}

void print_matmuls(const ProfileArgs& a, const Timing& t, const graph::Graph& g) {
  std::vector<std::pair<const NodeTime*, Gemm>> rows;
  for (const NodeTime& n : t.nodes) {
    if (auto gemm = gemm_of(g, g.node(n.step->node)); gemm && n.calls > 0) rows.emplace_back(&n, *gemm);
  }
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.first->total_ms > y.first->total_ms; });
  std::printf("\nmatmul nodes: %zu\n", rows.size());
  if (rows.empty()) return;
  std::set<int> teams = {t.threads};
  for (const auto& row : rows) teams.insert(row.first->step->threads);
  const std::map<int, double> peaks = matmul_peaks(a, teams, t.threads);
  std::printf("(flops = 2 x batch x M x N x K; %% of peak: against the peak at the node's threads, thr)\n");
  std::printf("  %5s %6s %6s %6s %2s %2s %9s %9s %8s %6s %3s  %-16s %s\n", "batch", "M", "N", "K", "tA", "tB", "MFLOP",
              "ms/call", "GFLOP/s", "%peak", "thr", "fused", "node");
  const double runs = static_cast<double>(t.step_ms.size());
  double flops = 0, ms = 0;
  for (const auto& [n, gemm] : rows) {
    const double call_ms = n->total_ms / static_cast<double>(n->calls);
    const double gflops = gemm.flops() / (call_ms * 1e6);
    const double node_peak = peaks.at(n->step->threads);
    std::printf("  %5lld %6lld %6lld %6lld %2s %2s %9.2f %9.4f %8.1f %6.1f %3d  %-16s %s\n",
                static_cast<long long>(gemm.batch), static_cast<long long>(gemm.m), static_cast<long long>(gemm.n),
                static_cast<long long>(gemm.k), gemm.ta ? "T" : "-", gemm.tb ? "T" : "-", gemm.flops() / 1e6, call_ms,
                gflops, 100 * gflops / node_peak, n->step->threads, gemm.fused.empty() ? "-" : gemm.fused.c_str(),
                n->step->name.c_str());
    flops += gemm.flops() * static_cast<double>(n->calls) / runs;
    ms += n->total_ms / runs;
  }
  std::printf("all matmuls: %.3f GFLOP per step in %.3f ms (%.1f%% of the step): %.1f GFLOP/s, %.1f%% of the %d-thread peak\n",
              flops / 1e9, ms, 100 * ms / t.mean_step_ms, flops / (ms * 1e6),
              100 * flops / (ms * 1e6) / peaks.at(t.threads), t.threads);
}

}  // namespace

int profile(const ProfileArgs& a) {
  check_args(a);
  graph::Graph g = runtime::load_graph(a.graph);
  runtime::Workspace ws;
  if (!a.weights.empty()) load_weights(g, a.weights, ws);
  runtime::Feeds feeds = read_feeds(a.feed);
  runtime::SessionOptions options;
  if (a.serial) options.mode = runtime::ExecMode::serial;
  runtime::Session sess(g, ws, frontend::with_passes(options));
  Timing t = run_timed(a, sess, feeds, fetch_targets(g));
  const graph::Graph& compiled = sess.last_plan()->graph();  // after the passes: node ids of the steps
  print_summary(a, t);
  print_top_ops(a, t, compiled);
  print_matmuls(a, t, compiled);
  return 0;
}

}  // namespace flowgrad::tools
