// The executor's thread policy, measured: graphs with independent big nodes
// (two GEMM branches) and with a chain of dependent GEMMs, run serially (each
// big node with the whole OpenMP team, one after the other) and on the TBB
// flow graph (concurrent big nodes split the budget), with 1 and 2 threads.
//
//   threads_bench [runs]

#include <cstdlib>
#include <string>

#include "bench/bench_util.h"
#include "frontend/flowgrad.h"

using namespace flowgrad;

namespace {

graph::Tensor random(graph::Shape s) {
  graph::Tensor t({graph::DType::f32, s});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>((i * 7919 % 1000) / 1000.0 - 0.5);
  return t;
}

// x [256, 1024] -> `branches` independent linear(1024) + tanh -> sum
Expr branches(Builder& b, Expr x, int n) {
  Expr sum;
  for (int i = 0; i < n; ++i) {
    Expr y = ops::tanh(nn::linear(b, x, {.out_features = 1024, .seed = i}, "branch" + std::to_string(i)));
    sum = i == 0 ? y : sum + y;
  }
  return sum;
}

// x -> 4 dependent linear(1024) layers
Expr chain(Builder& b, Expr x) {
  for (int i = 0; i < 4; ++i) x = ops::tanh(nn::linear(b, x, {.out_features = 1024, .seed = i}, "layer" + std::to_string(i)));
  return x;
}

void measure(const char* label, const std::function<Expr(Builder&, Expr)>& build, int runs) {
  Builder b;
  Expr x = b.input("x", {graph::DType::f32, {256, 1024}});
  Expr y = build(b, x);
  graph::Tensor xs = random({256, 1024});
  runtime::Workspace ws;
  for (int threads : {1, 2}) {
    for (auto mode : {runtime::ExecMode::serial, runtime::ExecMode::parallel}) {
      runtime::Session sess(b.graph(), ws, {.threads = threads, .mode = mode});
      auto stats = bench::time_runs(3, runs, [&] { sess.run({{"x", xs}}, {y.id()}); });
      std::string name = std::string(label) + ", " + std::to_string(threads) + " thread(s), " +
                         (mode == runtime::ExecMode::serial ? "serial" : "flow graph");
      bench::print_row(name.c_str(), stats);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 15;
  measure("2 independent GEMM branches", [](Builder& b, Expr x) { return branches(b, x, 2); }, runs);
  measure("4 independent GEMM branches", [](Builder& b, Expr x) { return branches(b, x, 4); }, runs);
  measure("chain of 4 dependent GEMMs", chain, runs);
  return 0;
}
