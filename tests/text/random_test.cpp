#include "text/random.h"

#include <doctest/doctest.h>

#include <vector>

namespace flowgrad::testing {
namespace {

TEST_CASE("counter streams are reproducible and independent of each other") {
  text::CounterRng a(7, text::stream_key(1, 2, 3)), b(7, text::stream_key(1, 2, 3));
  text::CounterRng other_key(7, text::stream_key(1, 2, 4)), other_seed(8, text::stream_key(1, 2, 3));
  int same_key = 0, differ_key = 0, differ_seed = 0;
  for (int i = 0; i < 1000; ++i) {
    uint64_t x = a.next();
    same_key += x == b.next();
    differ_key += x != other_key.next();
    differ_seed += x != other_seed.next();
  }
  CHECK(same_key == 1000);
  CHECK(differ_key == 1000);
  CHECK(differ_seed == 1000);
  CHECK(a.counter() == 1000);
}

TEST_CASE("uniform draws cover their range evenly") {
  text::CounterRng rng(1, 1);
  std::vector<int> buckets(10);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    double u = rng.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
    ++buckets[rng.below(10)];
  }
  CHECK(sum / 100000 == doctest::Approx(0.5).epsilon(0.01));
  for (int n : buckets) CHECK(n == doctest::Approx(10000).epsilon(0.05));
  for (int i = 0; i < 1000; ++i) {
    int64_t v = rng.between(-2, 2);
    REQUIRE(v >= -2);
    REQUIRE(v <= 2);
  }
}

}  // namespace
}  // namespace flowgrad::testing
