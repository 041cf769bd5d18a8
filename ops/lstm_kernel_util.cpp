#include "ops/lstm_kernel_util.h"

#include <algorithm>
#include <cstring>

#include "ops/dnnl_util.h"
#include "ops/parallel.h"

namespace flowgrad::ops::lstm_detail {

Bound::Bound(dnnl::primitive prim, const dnnl::primitive_desc_base& pd, std::initializer_list<int> args,
             float* scratchpad)
    : prim_(std::move(prim)) {
  for (int a : args) {
    mems_.emplace(a, dnnl::memory(pd.query_md(dnnl::query::exec_arg_md, a), cpu_engine(), DNNL_MEMORY_NONE));
  }
  dnnl::memory::desc sp = pd.scratchpad_desc();
  if (sp.get_size() > 0) mems_.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(sp, cpu_engine(), scratchpad));
}

Bound Bound::lstm(const dnnl::lstm_forward::primitive_desc& pd, float* scratchpad) {
  return Bound(make_primitive<dnnl::lstm_forward>(pd), pd,
               {DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_SRC_ITER_C, DNNL_ARG_WEIGHTS_LAYER,
                DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS, DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER, DNNL_ARG_DST_ITER_C,
                DNNL_ARG_WORKSPACE},
               scratchpad);
}

Bound Bound::lstm(const dnnl::lstm_backward::primitive_desc& pd, float* scratchpad) {
  return Bound(make_primitive<dnnl::lstm_backward>(pd), pd,
               {DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_SRC_ITER_C, DNNL_ARG_WEIGHTS_LAYER,
                DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS, DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER, DNNL_ARG_DST_ITER_C,
                DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC_LAYER, DNNL_ARG_DIFF_SRC_ITER, DNNL_ARG_DIFF_SRC_ITER_C,
                DNNL_ARG_DIFF_WEIGHTS_LAYER, DNNL_ARG_DIFF_WEIGHTS_ITER, DNNL_ARG_DIFF_BIAS,
                DNNL_ARG_DIFF_DST_LAYER, DNNL_ARG_DIFF_DST_ITER, DNNL_ARG_DIFF_DST_ITER_C},
               scratchpad);
}

Bound Bound::reorder(const dnnl::reorder::primitive_desc& pd, float* scratchpad, const void* src, void* dst) {
  Bound b(make_primitive<dnnl::reorder>(pd), pd, {DNNL_ARG_SRC, DNNL_ARG_DST}, scratchpad);
  if (src) b.set(DNNL_ARG_SRC, src);
  if (dst) b.set(DNNL_ARG_DST, dst);
  return b;
}

namespace {

// Loops over the T·B rows of width `width` in blocks of about kBlock elements.
template <class Body>
void for_rows(int64_t rows, int64_t width, int threads, Body&& body) {
  int64_t block = std::max<int64_t>(1, kBlock / std::max<int64_t>(width, 1));
  parallel_blocks(rows, threads, block, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) body(r);
  });
}

}  // namespace

void Steps::gather_input(const float* in, int64_t width, float* src, int threads) const {
  for_rows(T * nb, width, threads, [&](int64_t r) {
    int64_t t = r / nb, b = b0 + r % nb;
    float* row = src + r * (width + 1);
    if (t < len[b]) {
      std::memcpy(row, in + (pos(t, b) * B + b) * width, width * sizeof(float));
      row[width] = 0.f;
    } else {
      std::fill(row, row + width, 0.f);
      row[width] = 1.f;
    }
  });
}

void Steps::scatter_output(const float* dst, int64_t H, int64_t stride, int64_t col, float* out, int threads) const {
  for_rows(T * nb, H, threads, [&](int64_t r) {
    int64_t t = r / nb, b = b0 + r % nb;
    if (t < len[b]) {
      std::memcpy(out + (pos(t, b) * B + b) * stride + col, dst + r * H, H * sizeof(float));
    } else {
      std::fill_n(out + (t * B + b) * stride + col, H, 0.f);
    }
  });
}

void Steps::final_hidden(const float* dst, const float* h0, int64_t H, float* h_n) const {
  for (int64_t b = b0; b < b0 + nb; ++b) {
    const float* from = len[b] > 0 ? dst + ((len[b] - 1) * nb + b - b0) * H : h0 + b * H;
    std::memcpy(h_n + b * H, from, H * sizeof(float));
  }
}

void Steps::gather_output_grad(const float* d_out, int64_t H, int64_t stride, int64_t col, const float* dh_n,
                               float* ddst, int threads) const {
  for_rows(T * nb, H, threads, [&](int64_t r) {
    int64_t t = r / nb, b = b0 + r % nb;
    float* row = ddst + r * H;
    if (t >= len[b]) {
      std::fill_n(row, H, 0.f);
      return;
    }
    std::memcpy(row, d_out + (pos(t, b) * B + b) * stride + col, H * sizeof(float));
    if (t == len[b] - 1) {
      for (int64_t k = 0; k < H; ++k) row[k] += dh_n[b * H + k];
    }
  });
}

void Steps::empty_sequences_pass(const float* dh_n, int64_t H, float* dh0) const {
  for (int64_t b = b0; b < b0 + nb; ++b) {
    if (len[b] != 0) continue;
    for (int64_t k = 0; k < H; ++k) dh0[b * H + k] += dh_n[b * H + k];
  }
}

void Steps::scatter_add_input_grad(const float* diff_src, int64_t width, float* d_in, int threads) const {
  for_rows(T * nb, width, threads, [&](int64_t r) {
    int64_t t = r / nb, b = b0 + r % nb;
    if (t >= len[b]) return;
    const float* from = diff_src + r * (width + 1);
    float* to = d_in + (pos(t, b) * B + b) * width;
    for (int64_t k = 0; k < width; ++k) to[k] += from[k];
  });
}

}  // namespace flowgrad::ops::lstm_detail
