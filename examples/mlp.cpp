// A 2-layer MLP in the DSL, run through a Session and checked against the
// plain reference kernels.
//
//   mlp_example            prints the logits of a small batch and the check
//   mlp_example --check    exits non-zero if the runtime and reference differ

#include <cmath>
#include <cstdio>
#include <cstring>

#include "frontend/flowgrad.h"
#include "ops/random.h"
#include "runtime/reference.h"

using namespace flowgrad;

int main(int argc, char** argv) {
  bool check_only = argc > 1 && std::strcmp(argv[1], "--check") == 0;
  constexpr int64_t kBatch = 8, kIn = 16, kHidden = 32, kClasses = 4;

  Builder b;
  Expr x = b.input("x", {graph::DType::f32, {kBatch, kIn}});
  Expr logits;
  {
    auto s = b.scope("mlp");
    Expr h = ops::relu(nn::linear(b, x, {.out_features = kHidden, .seed = 1}, "layer1"));
    logits = nn::linear(b, h, {.out_features = kClasses, .seed = 2}, "layer2");
  }
  b.output(logits);

  graph::Tensor xs({graph::DType::f32, {kBatch, kIn}});
  for (int64_t i = 0; i < xs.numel(); ++i) xs.data<float>()[i] = static_cast<float>(std::sin(0.37 * i));

  runtime::Session sess(b.graph());
  auto got = sess.run({{"x", xs}}, {logits.id()});
  auto want = runtime::run_reference(b.graph(), {{"x", xs}}, {logits.id()}, sess.workspace());

  double max_err = 0, max_ref = 0;
  for (int64_t i = 0; i < got[0].numel(); ++i) {
    max_err = std::max(max_err, std::abs(got[0].at(i) - want[0].at(i)));
    max_ref = std::max(max_ref, std::abs(want[0].at(i)));
  }
  bool ok = max_err <= 1e-5 * std::max(1.0, max_ref);
  if (!check_only) {
    std::printf("2-layer MLP %lldx%lld -> %lld -> relu -> %lld, %zu nodes, %d threads\n",
                static_cast<long long>(kBatch), static_cast<long long>(kIn), static_cast<long long>(kHidden),
                static_cast<long long>(kClasses), b.graph().num_nodes(), runtime::num_threads());
    for (int64_t r = 0; r < kBatch; ++r) {
      std::printf("  logits[%lld] =", static_cast<long long>(r));
      for (int64_t c = 0; c < kClasses; ++c) std::printf(" %+.5f", got[0].data<float>()[r * kClasses + c]);
      std::printf("\n");
    }
  }
  std::printf("runtime vs reference kernels: max |diff| = %.3g (max |ref| = %.3g): %s\n", max_err, max_ref,
              ok ? "match" : "MISMATCH");
  return ok ? 0 : 1;
}
