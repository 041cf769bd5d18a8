#pragma once
// Float math written so that GCC vectorizes loops over it (glibc's expf,
// tanhf and erff are scalar calls): branch-free polynomial forms, selections
// by masks. Used by fused_elementwise, and exp_nonpositive by the softmax kernels
// (masked_softmax, softmax_cross_entropy). Relative error about 1e-7 (exp, tanh)
// and absolute error 5e-7 (erf: 1.5e-7 from the formula, the rest rounding).

#include <bit>
#include <cstdint>

namespace flowgrad::ops::math {

// e^r for |r| <= ln2/2: Cephes' expf polynomial (about 1 ulp). The core of
// exp below and of masked_softmax's exp of non-positive arguments.
inline float exp_reduced(float r) {
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p;
}

// e^x: x = n ln2 + r with |r| <= ln2/2, e^r from Cephes' expf polynomial, 2^n
// from exponent bits in two halves (so n = 128 and n = -126 both work).
// exp(x) = +inf above 88.72, 0 below -87.33 (no denormals), NaN stays NaN.
inline float exp(float x) {
  constexpr float kRound = 12582912.0f;  // 1.5 · 2^23: adding it rounds to an integer
  float xc = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
  float t = xc * 1.44269504f + kRound;
  float n = t - kRound;
  float r = xc - n * 0.693359375f - n * -2.12194440e-4f;
  float p = exp_reduced(r);
  int32_t ni = static_cast<int32_t>(n);
  int32_t n1 = ni >> 1, n2 = ni - n1;  // floor(n/2): a shift, which vectorizes
  float s1 = std::bit_cast<float>(static_cast<uint32_t>(n1 + 127) << 23);
  float s2 = std::bit_cast<float>(static_cast<uint32_t>(n2 + 127) << 23);
  float y = p * s1 * s2;
  y = x > 88.72283f ? std::bit_cast<float>(0x7f800000u) : y;
  y = x < -87.33654f ? 0.0f : y;
  return x != x ? x : y;  // NaN
}

// exp(x) for x <= 0 (a softmax's z - max), written so that GCC vectorizes it
// (glibc's expf is scalar): x = n ln2 + r with |r| <= ln2 / 2, e^r from
// exp_reduced (Cephes' expf polynomial, about 1 ulp), 2^n from the exponent bits. Below
// -87.3 (2^-126) it gives exactly 0, so a -inf mask gives 0; NaN stays NaN.
// The range checks are integer masks: a float compare would be a trapping
// branch under the default -ftrapping-math and block vectorization.
inline float exp_nonpositive(float x) {
  constexpr float kRound = 12582912.0f;  // 1.5 · 2^23: adding it rounds to an integer
  float t = x * 1.44269504f + kRound;
  float n = t - kRound;
  float r = x - n * 0.693359375f - n * -2.12194440e-4f;
  float p = exp_reduced(r);
  uint32_t two_n = (std::bit_cast<uint32_t>(t) - std::bit_cast<uint32_t>(kRound) + 127u) << 23;
  uint32_t y = std::bit_cast<uint32_t>(p * std::bit_cast<float>(two_n));
  uint32_t ux = std::bit_cast<uint32_t>(x), mag = ux & 0x7fffffffu;
  uint32_t in_range = 0u - static_cast<uint32_t>(mag <= std::bit_cast<uint32_t>(87.3f));  // all ones or 0
  uint32_t nan = 0u - static_cast<uint32_t>(mag > 0x7f800000u);
  return std::bit_cast<float>((y & in_range) | (ux & nan));
}

// tanh: Cephes' odd polynomial below |x| = 0.625, else 1 - 2 / (e^{2|x|} + 1)
// with the sign of x (|x| capped at 10, where tanh is 1 in float).
inline float tanh(float x) {
  float z = x * x;
  float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
                 3.33332819422e-1f) * z * x + x;
  float ax = x < 0 ? -x : x;
  float e = exp(2.0f * (ax < 10.0f ? ax : 10.0f));
  float large = 1.0f - 2.0f / (e + 1.0f);
  large = x < 0 ? -large : large;
  return ax < 0.625f ? small : (x != x ? x : large);
}

inline float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

// erf by Abramowitz-Stegun 7.1.26 (|error| <= 1.5e-7 exactly, ~5e-7 in float).
inline float erf(float x) {
  float ax = x < 0 ? -x : x;
  float t = 1.0f / (1.0f + 0.3275911f * ax);
  float p = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
  float y = 1.0f - p * exp(-ax * ax);
  return x < 0 ? -y : y;
}

inline float gelu(float x) { return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f)); }

inline float gelu_tanh(float x) {
  return 0.5f * x * (1.0f + tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}

}  // namespace flowgrad::ops::math
