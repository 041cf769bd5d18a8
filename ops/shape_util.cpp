#include "ops/shape_util.h"

#include <algorithm>

namespace flowgrad::ops {

std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> broadcast_strides(const Shape& from, const Shape& to) {
  std::vector<int64_t> st(to.size(), 0);
  auto cs = graph::contiguous_strides(from);
  size_t off = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) st[off + i] = from[i] == 1 ? 0 : cs[i];
  return st;
}

}  // namespace flowgrad::ops
