#pragma once
// Counter-based random numbers: the value at (key, counter) is a pure
// function of both, so results never depend on scheduling or thread count.
// SplitMix64 finalizer over a combined key, as in Random123's spirit.

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "ops/expr.h"

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

// 53 random bits: the integer behind uniform01.
inline uint64_t random_bits53(uint64_t key, uint64_t counter) { return mix64(key ^ mix64(counter)) >> 11; }

// Uniform in [0, 1).
inline double uniform01(uint64_t key, uint64_t counter) {
  return static_cast<double>(random_bits53(key, counter)) * 0x1.0p-53;
}

// uniform01(key, c) >= p exactly when random_bits53(key, c) >= this (p in
// [0, 1]; p·2^53 is exact in double): the comparison in integers, which
// vectorizes.
inline uint64_t bits53_threshold(double p) { return static_cast<uint64_t>(std::ceil(p * 0x1.0p53)); }

// Standard normal (Box-Muller on two counters).
inline double normal01(uint64_t key, uint64_t counter) {
  double u1 = uniform01(key, 2 * counter), u2 = uniform01(key, 2 * counter + 1);
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(6.283185307179586 * u2);
}

// The stream of a random op (dropout, negative sampling) about to be emitted
// under the emitter's current scope: a free node name (`leaf`, else `leaf_1`,
// `leaf_2`, ...) and the hash of its full path. The builder stores the key in
// the op's attrs and emits the node under that name, so each random node has
// its own stream, stable across rebuilds of the same model and kept by
// serialization.
struct RandomStream {
  std::string leaf;
  int64_t key = 0;
};

inline RandomStream random_stream(const Emitter& em, const std::string& leaf) {
  std::string name = leaf;
  for (int k = 1; em.graph().find(em.path(name)) != nullptr; ++k) name = leaf + "_" + std::to_string(k);
  return {name, static_cast<int64_t>(hash_name(em.path(name)))};
}

}  // namespace flowgrad::ops
