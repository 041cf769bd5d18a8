#pragma once
// Counter-based random numbers: the value at (key, counter) is a pure
// function of both, so results never depend on scheduling or thread count.
// SplitMix64 finalizer over a combined key, as in Random123's spirit.

#include <cmath>
#include <cstdint>
#include <string_view>

namespace flowgrad::ops {

inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t random_key(uint64_t seed, uint64_t stream) { return mix64(seed ^ mix64(stream)); }

inline uint64_t hash_name(std::string_view s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Uniform in [0, 1).
inline double uniform01(uint64_t key, uint64_t counter) {
  return static_cast<double>(mix64(key ^ mix64(counter)) >> 11) * 0x1.0p-53;
}

// Standard normal (Box-Muller on two counters).
inline double normal01(uint64_t key, uint64_t counter) {
  double u1 = uniform01(key, 2 * counter), u2 = uniform01(key, 2 * counter + 1);
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace flowgrad::ops
