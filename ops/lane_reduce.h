#pragma once
// Fixed-order reductions over one row of floats, for the hand-written
// kernels: 8 interleaved float lanes combined in a fixed order, as plain
// loops that GCC vectorizes (an `omp simd` reduction does not, and its order
// would not be fixed). The result depends only on the row, never on the
// thread count.

#include <cstdint>
#include <limits>

namespace flowgrad::ops {

// Σ_j term(j) for j in [0, n).
template <class Term>
inline float lane_sum(int64_t n, Term&& term) {
  float lanes[8] = {};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (int l = 0; l < 8; ++l) lanes[l] += term(j + l);
  }
  for (; j < n; ++j) lanes[0] += term(j);
  float s = 0;
  for (float l : lanes) s += l;
  return s;
}

// max_j z[j] (-inf for an empty row).
inline float lane_max(const float* z, int64_t n) {
  float lanes[8];
  for (float& l : lanes) l = -std::numeric_limits<float>::infinity();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (int l = 0; l < 8; ++l) lanes[l] = lanes[l] > z[j + l] ? lanes[l] : z[j + l];
  }
  for (; j < n; ++j) lanes[0] = lanes[0] > z[j] ? lanes[0] : z[j];
  float m = lanes[0];
  for (float l : lanes) m = m > l ? m : l;
  return m;
}

}  // namespace flowgrad::ops
