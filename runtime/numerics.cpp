// Value ranges for the numerics check mode (runtime/numerics.h); the check
// itself runs in Plan::run (runtime/plan.cpp).

#include "runtime/numerics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "graph/dtype_dispatch.h"

namespace flowgrad::runtime {
namespace {

template <class T>
ValueRange range_of(const T* x, int64_t n) {
  ValueRange r;
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    double v = static_cast<double>(x[i]);
    if (std::isnan(v)) {
      ++r.nan;
    } else if (std::isinf(v)) {
      ++r.inf;
    } else {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      ++r.finite;
    }
  }
  if (r.finite > 0) r.min = lo, r.max = hi;
  return r;
}

}  // namespace

std::string ValueRange::str() const {
  std::ostringstream os;
  os.precision(6);
  if (finite > 0) os << "in [" << min << ", " << max << "]";
  else os << "no finite element";
  if (nan > 0) os << ", " << nan << " NaN";
  if (inf > 0) os << ", " << inf << " Inf";
  return os.str();
}

ValueRange value_range(const graph::TensorType& t, const std::byte* data) {
  int64_t n = t.numel();
  return graph::with_dtype(t.dtype, [&](auto tag) {
    return range_of(reinterpret_cast<const decltype(tag)*>(data), n);
  });
}

bool check_numerics_from_env() {
  const char* v = std::getenv("FLOWGRAD_CHECK_NUMERICS");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

}  // namespace flowgrad::runtime
