#pragma once
// Helpers of the lstm kernels (ops/lstm_kernel.cpp): a oneDNN primitive bound
// to its memory objects once, the data movement between the op's tensors and
// the primitives' padded, per-direction time order, and running lanes.


#include <algorithm>
#include <initializer_list>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "ops/parallel.h"

namespace flowgrad::ops::lstm_detail {

// A primitive with one memory object per argument, made at lower time; run()
// only swaps data handles. The scratchpad is shared by Bounds that never run
// at the same time (one lane's primitives, and the weight reorders).
class Bound {
 public:
  Bound() = default;
  static Bound lstm(const dnnl::lstm_forward::primitive_desc& pd, float* scratchpad);
  static Bound lstm(const dnnl::lstm_backward::primitive_desc& pd, float* scratchpad);
  static Bound reorder(const dnnl::reorder::primitive_desc& pd, float* scratchpad, const void* src = nullptr,
                       void* dst = nullptr);

  void set(int arg, const void* data) { mems_.at(arg).set_data_handle(const_cast<void*>(data)); }
  void run(dnnl::stream& s) { prim_.execute(s, mems_); }

 private:
  Bound(dnnl::primitive prim, const dnnl::primitive_desc_base& pd, std::initializer_list<int> args, float* scratchpad);
  dnnl::primitive prim_;
  std::unordered_map<int, dnnl::memory> mems_;
};

// The steps of one direction over one part of a padded batch: sequences
// b0 .. b0 + nb - 1 of the op's B. The primitive's buffers hold the part only
// (row t·nb + j is step t of sequence b0 + j); the op's tensors hold all B.
// Step t of sequence b is valid if t < len[b]; it belongs to position
// pos(t, b) of the sequence (reversed for direction 1, so that valid steps
// always come first). Row blocks are fixed by the sizes, never by the thread
// count.
struct Steps {
  int64_t T, B, b0, nb;
  const int64_t* len;  // [B]
  bool reversed;

  int64_t pos(int64_t t, int64_t b) const { return reversed ? len[b] - 1 - t : t; }
  // src[t, b] = [in[pos, b, :], 0] at valid steps, [0, ..., 0, 1] at padded ones.
  //   in: [T, B, width] -> src: [T, nb, width + 1]
  void gather_input(const float* in, int64_t width, float* src, int threads) const;
  // out[pos, b, col : col + H] = dst[t, b] at valid steps, out[t, b, col : col + H] = 0 at padded ones.
  //   dst: [T, nb, H] -> out: [T, B, stride]
  void scatter_output(const float* dst, int64_t H, int64_t stride, int64_t col, float* out, int threads) const;
  // h_n[b] = dst[len_b - 1, b - b0], or h0[b] for an empty sequence.   h0, h_n: [B, H]
  void final_hidden(const float* dst, const float* h0, int64_t H, float* h_n) const;
  // The inverse of scatter_output, plus dh_n at each sequence's last valid step.
  //   d_out: [T, B, stride], dh_n: [B, H] -> ddst: [T, nb, H]
  void gather_output_grad(const float* d_out, int64_t H, int64_t stride, int64_t col, const float* dh_n, float* ddst,
                          int threads) const;
  // dh0[b] += dh_n[b] for the part's empty sequences (their h_n is h0).   [B, H]
  void empty_sequences_pass(const float* dh_n, int64_t H, float* dh0) const;
  // d_in[pos, b, :] += diff_src[t, b, :width] at valid steps.
  //   diff_src: [T, nb, width + 1] -> d_in: [T, B, width]
  void scatter_add_input_grad(const float* diff_src, int64_t width, float* d_in, int threads) const;
};

// lane(u, team) for u < n. A lane's primitives are made for a team of 1
// (oneDNN sizes some primitives' scratchpads for the team they are made
// with), so they always run on one thread: with 2+ threads and 2+ lanes the
// lanes run concurrently on the calling thread's OpenMP team (run_blocks, one
// thread each, team = 1); else in order, the primitives still on one thread
// and the lanes' own loops (ops/parallel.h) on `threads`. OpenMP rather than
// TBB: the executor's other TBB workers may be blocked waiting for thread
// tokens held by this very step, while the step's OpenMP team is its own (the
// cores its tokens stand for; see docs/architecture.md, "Threads"). An
// exception a lane throws reaches the caller.
template <class Body>
void run_lanes(int64_t n, int threads, Body&& lane) {
  const int team = std::max(threads, 1);
  if (team <= 1 || n <= 1) {
    OpenMpTeam one(1);
    for (int64_t u = 0; u < n; ++u) lane(u, team);
    return;
  }
  parallel_for_each(n, team, [&](int64_t u) {
    set_openmp_team(1);  // this thread's ICV inside the region only
    lane(u, 1);
  });
}

}  // namespace flowgrad::ops::lstm_detail
