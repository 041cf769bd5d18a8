#pragma once
// Shape arithmetic shared by ops: numpy broadcasting, axis normalization and
// an index walker for broadcast reads.

#include <optional>
#include <vector>

#include "graph/tensor_type.h"

namespace flowgrad::ops {

using graph::Shape;

// numpy broadcasting: align right, dims equal or 1. nullopt if incompatible.
std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b);

// Maps axis in [-rank, rank) to [0, rank); nullopt if out of range.
std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank);

// Strides (in elements) to read `from` as if broadcast to `to`: 0 on
// broadcast dims. `from` must broadcast to `to`.
std::vector<int64_t> broadcast_strides(const Shape& from, const Shape& to);

// Flat offset of the element with row-major index `flat` of `shape`, under
// `strides`.
inline int64_t strided_offset(int64_t flat, const Shape& shape, const std::vector<int64_t>& strides) {
  int64_t off = 0;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    int64_t n = shape[d];
    off += (flat % n) * strides[d];
    flat /= n;
  }
  return off;
}

}  // namespace flowgrad::ops
