#pragma once
// Copies a box (a rectangular block) of one row-major tensor into a box of
// the same extent in another of the same rank: the kernel of concat, split,
// slice and pad.
//
//   dst[dst_at + i] = src[src_at + i]   for every multi-index i < box
//
// Trailing dims that the box covers whole in both tensors are merged into one
// contiguous run, copied with memcpy; runs are cut into blocks of about 16K
// elements for the parallel loop (ops/parallel.h). Built once at compile time; run() allocates nothing.

#include <cstddef>
#include <vector>

#include "graph/tensor_type.h"

namespace flowgrad::ops {

class BoxCopy {
 public:
  BoxCopy(const graph::Shape& src, const graph::Shape& src_at, const graph::Shape& dst, const graph::Shape& dst_at,
          const graph::Shape& box, size_t elem);
  void run(const std::byte* src, std::byte* dst, int threads) const;
  int64_t elements() const { return rows_ * run_; }

 private:
  graph::Shape outer_;                            // box dims before the contiguous run
  std::vector<int64_t> src_strides_, dst_strides_;  // of outer_, in elements
  int64_t src_base_ = 0, dst_base_ = 0;           // element offsets of the corners
  int64_t run_ = 1, rows_ = 0;                    // run length, number of runs
  size_t elem_;
};

}  // namespace flowgrad::ops
