#pragma once
// Counter-based random numbers for the text layer (masking, shuffling,
// subsampling, NSP pairing). The n-th draw of stream (seed, key) is
//   mix(mix(seed ^ mix(key)) + n * golden),  mix = SplitMix64's finalizer,
// so a stream can be recreated anywhere from (seed, key, n): results depend on
// what is drawn, never on which thread draws it or when. The text layer keys
// streams by e.g. (epoch, document) or (epoch, example), which makes data
// generation order-free and resumable.

#include <cstdint>

namespace flowgrad::text {

// SplitMix64's output function (Steele, Lea & Flood 2014): a bijective mixer.
constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Key of a stream from several integers (e.g. {kind, epoch, index}).
constexpr uint64_t stream_key(uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  return splitmix64(splitmix64(splitmix64(a) ^ b) ^ c);
}

class CounterRng {
 public:
  CounterRng(uint64_t seed, uint64_t key) : base_(splitmix64(seed ^ splitmix64(key))) {}

  uint64_t next() { return splitmix64(base_ + 0x9E3779B97F4A7C15ULL * counter_++); }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the bias is
  // below n / 2^64).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

  // Uniform integer in [lo, hi] (inclusive).
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

  bool bernoulli(double p) { return uniform() < p; }

  // The number of draws so far: with (seed, key), the whole state. Saved in
  // checkpoints and restored with set_counter to resume the stream exactly.
  uint64_t counter() const { return counter_; }
  void set_counter(uint64_t counter) { counter_ = counter; }

 private:
  uint64_t base_;
  uint64_t counter_ = 0;
};

}  // namespace flowgrad::text
