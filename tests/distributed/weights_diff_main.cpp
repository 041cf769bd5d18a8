// weights_diff A.safetensors B.safetensors MAX_REL: compares two weights files
// tensor by tensor (the same names and types), the difference of each measured
// as max |a - b| / max |b|. Prints the largest and the tensor it is in; exits 1
// if the names or types differ or a difference exceeds MAX_REL. For the
// resume-with-another-number-of-workers test (resume_workers_test.sh).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "runtime/safetensors.h"

namespace {

double max_rel_diff(const flowgrad::graph::Tensor& a, const flowgrad::graph::Tensor& b) {
  double err = 0, ref = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    err = std::max(err, std::abs(a.at(i) - b.at(i)));
    ref = std::max(ref, std::abs(b.at(i)));
  }
  return err / std::max(ref, 1e-12);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace flowgrad;
  if (argc != 4) {
    std::fprintf(stderr, "usage: weights_diff A.safetensors B.safetensors MAX_REL\n");
    return 2;
  }
  runtime::Safetensors a = runtime::read_safetensors(argv[1]), b = runtime::read_safetensors(argv[2]);
  const double limit = std::stod(argv[3]);
  if (a.tensors.size() != b.tensors.size()) {
    std::printf("FAIL: %zu tensors vs %zu\n", a.tensors.size(), b.tensors.size());
    return 1;
  }
  double worst = 0;
  std::string where;
  for (const auto& [name, t] : a.tensors) {
    auto it = b.tensors.find(name);
    if (it == b.tensors.end() || it->second.type() != t.type()) {
      std::printf("FAIL: tensor '%s' is missing or of another type in %s\n", name.c_str(), argv[2]);
      return 1;
    }
    double d = max_rel_diff(t, it->second);
    if (d >= worst) worst = d, where = name;
  }
  std::printf("%zu tensors, max rel diff %.3g (%s)\n", a.tensors.size(), worst, where.c_str());
  if (worst > limit) {
    std::printf("FAIL: above %g\n", limit);
    return 1;
  }
  return 0;
}
