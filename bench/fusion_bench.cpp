// Each fusion rule on Transformer-sized tensors (batch 32, seq 128, hidden
// 256, FFN 1024): the pattern as built vs after the pass pipeline, forward
// only, in one session each. Medians of several runs with min and max.
//
//   fusion_bench [runs]

#include <cstdio>
#include <cstdlib>
#include <functional>

#include "bench/bench_util.h"
#include "frontend/flowgrad.h"
#include "ops/matmul.h"
#include "ops/unary.h"
#include "passes/pipeline.h"

using namespace flowgrad;

namespace {

struct Case {
  const char* name;
  std::function<Expr(Builder&)> build;  // inputs are named in0, in1, ...
  std::vector<TensorType> inputs;
};

TensorType f32(Shape s) { return {DType::f32, std::move(s)}; }

// Values in [-2, 0.5) from a fixed LCG (the mask-like inputs stay <= 0.5).
Tensor random(const TensorType& t, uint64_t seed) {
  Tensor out(t);
  uint64_t state = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (float& x : out.span<float>()) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    x = -2.0f + 2.5f * static_cast<float>(state >> 40) / static_cast<float>(1ull << 24);
  }
  return out;
}

void run(const Case& c, int runs) {
  Builder b;
  b.output(c.build(b));
  runtime::Feeds feeds;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    feeds.emplace_back("in" + std::to_string(i), random(c.inputs[i], 10 + i));
  }
  runtime::Workspace ws_a, ws_b;
  runtime::Session plain(b.graph(), ws_a), fused(b.graph(), ws_b, frontend::with_passes({}, {}));
  // Alternating runs, so that load from other processes falls on both alike.
  std::vector<double> a, u;
  for (int i = 0; i < runs + 2; ++i) {
    double tu = bench::time_runs(0, 1, [&] { plain.run(feeds, b.graph().outputs()); }).median_ms;
    double ta = bench::time_runs(0, 1, [&] { fused.run(feeds, b.graph().outputs()); }).median_ms;
    if (i < 2) continue;  // two warm-up rounds
    u.push_back(tu);
    a.push_back(ta);
  }
  std::string unfused = std::string(c.name) + ", unfused";
  bench::print_row(unfused.c_str(), bench::summarize(u));
  std::string with = std::string(c.name) + ", fused";
  bench::print_row(with.c_str(), bench::summarize(a));
  std::printf("    nodes %zu -> %zu\n", b.graph().num_nodes(), fused.last_plan()->graph().num_nodes());
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 20;
  const int64_t rows = 32 * 128, h = 256, ffn = 1024;
  std::vector<Case> cases{
      {"add + layer_norm [4096, 256]",
       [](Builder& b) { return nn::layer_norm(b, b.input("in0", f32({rows, h})) + b.input("in1", f32({rows, h})), {}, "ln"); },
       {f32({rows, h}), f32({rows, h})}},
      {"matmul + bias + residual [4096, 1024] x [1024, 256]",
       [](Builder& b) {
         Expr x = b.input("in0", f32({rows, ffn}));
         return nn::linear(b, x, {.out_features = h, .seed = 1}, "fc") + b.input("in1", f32({rows, h}));
       },
       {f32({rows, ffn}), f32({rows, h})}},
      {"scale + mask + softmax [32, 4, 128, 128]",
       [](Builder& b) {
         return ops::softmax(b.input("in0", f32({32, 4, 128, 128})) * 0.125f + b.input("in1", f32({32, 1, 1, 128})));
       },
       {f32({32, 4, 128, 128}), f32({32, 1, 1, 128})}},
      {"relu(x * 0.5 + r) * r - 1 [4096, 1024]",
       [](Builder& b) {
         Expr x = b.input("in0", f32({rows, ffn})), r = b.input("in1", f32({rows, ffn}));
         return ops::relu(x * 0.5f + r) * r - 1.0f;
       },
       {f32({rows, ffn}), f32({rows, ffn})}},
  };
  for (const Case& c : cases) run(c, runs);
  return 0;
}
