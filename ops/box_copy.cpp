#include "ops/box_copy.h"

#include <algorithm>
#include <cstring>

#include "ops/parallel.h"
#include "ops/shape_util.h"

namespace flowgrad::ops {

BoxCopy::BoxCopy(const graph::Shape& src, const graph::Shape& src_at, const graph::Shape& dst,
                 const graph::Shape& dst_at, const graph::Shape& box, size_t elem)
    : elem_(elem) {
  const auto ss = graph::contiguous_strides(src), ds = graph::contiguous_strides(dst);
  for (size_t i = 0; i < box.size(); ++i) {
    src_base_ += src_at[i] * ss[i];
    dst_base_ += dst_at[i] * ds[i];
  }
  // Dims k.. form one contiguous run if every dim after k is whole in box, src and dst.
  size_t k = box.size();
  while (k > 0) {
    --k;
    run_ *= box[k];
    if (box[k] != src[k] || box[k] != dst[k]) break;
  }
  outer_.assign(box.begin(), box.begin() + static_cast<int64_t>(k));
  src_strides_.assign(ss.begin(), ss.begin() + static_cast<int64_t>(k));
  dst_strides_.assign(ds.begin(), ds.begin() + static_cast<int64_t>(k));
  rows_ = run_ == 0 ? 0 : graph::numel(outer_);
}

void BoxCopy::run(const std::byte* src, std::byte* dst, int threads) const {
  const size_t bytes = static_cast<size_t>(run_) * elem_;
  const int64_t block = std::max<int64_t>(1, kBlock / std::max<int64_t>(1, run_));
  parallel_blocks(rows_, threads, block, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t s = src_base_ + strided_offset(r, outer_, src_strides_);
      int64_t d = dst_base_ + strided_offset(r, outer_, dst_strides_);
      std::memcpy(dst + d * static_cast<int64_t>(elem_), src + s * static_cast<int64_t>(elem_), bytes);
    }
  });
}

}  // namespace flowgrad::ops
