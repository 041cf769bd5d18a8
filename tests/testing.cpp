#include "testing.h"

#include <cmath>
#include <sstream>

#include "graph/attrs.h"
#include "ops/random.h"

namespace flowgrad::testing {

Tensor random_tensor(const TensorType& t, uint64_t seed, double lo, double hi) {
  Tensor out(t);
  uint64_t key = ops::random_key(seed, 12345);
  for (int64_t i = 0; i < out.numel(); ++i) {
    double u = lo + (hi - lo) * ops::uniform01(key, static_cast<uint64_t>(i));
    switch (t.dtype) {
      case DType::f32: out.data<float>()[i] = static_cast<float>(u); break;
      case DType::f64: out.data<double>()[i] = u; break;
      case DType::i32: out.data<int32_t>()[i] = static_cast<int32_t>(std::floor(u)); break;
      case DType::i64: out.data<int64_t>()[i] = static_cast<int64_t>(std::floor(u)); break;
      case DType::boolean: out.data<bool>()[i] = u > (lo + hi) / 2; break;
    }
  }
  return out;
}

std::string compare(const Tensor& got, const Tensor& want, double rtol, double atol_floor) {
  if (got.type() != want.type()) return "type " + got.type().str() + " != expected " + want.type().str();
  double max_ref = 0;
  for (int64_t i = 0; i < want.numel(); ++i) max_ref = std::max(max_ref, std::abs(want.at(i)));
  double atol = std::max(rtol * max_ref, atol_floor);
  double worst = 0;
  int64_t worst_i = -1;
  for (int64_t i = 0; i < want.numel(); ++i) {
    double g = got.at(i), w = want.at(i);
    double excess = std::abs(g - w) - (atol + rtol * std::abs(w));
    if (std::isnan(g) != std::isnan(w) || excess > worst) {
      worst = std::isnan(g) != std::isnan(w) ? INFINITY : excess;
      worst_i = i;
    }
  }
  if (worst_i < 0) return "";
  std::ostringstream os;
  os.precision(9);
  os << "element " << worst_i << " of " << want.type().str() << ": got " << got.at(worst_i) << ", expected "
     << want.at(worst_i) << " (rtol " << rtol << ")";
  return os.str();
}

std::string OpCase::label() const {
  std::string s = op + "(";
  for (size_t i = 0; i < inputs.size(); ++i) s += (i ? ", " : "") + inputs[i].str();
  std::string a = graph::attrs_str(*attrs);
  return s + (a.empty() ? "" : "; " + a) + ")";
}

std::vector<OpCase>& op_cases() {
  static std::vector<OpCase> cases;
  return cases;
}

OpCaseRegistrar::OpCaseRegistrar(std::vector<OpCase> cases) {
  for (auto& c : cases) op_cases().push_back(std::move(c));
}

}  // namespace flowgrad::testing
