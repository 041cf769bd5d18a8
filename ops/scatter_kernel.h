#pragma once
// Row indices grouped by value, and the scatter-add kernel built on them:
// the shared core of sparse_rows, scatter_add and the sparse optimizer updates.
//
//   indices [N] (i32 or i64), each in [0, V)
//   -> groups g = 0..G-1, one per distinct index, in order of first occurrence;
//      for_each_position(g) visits the positions p with indices[p] == row(g),
//      increasing.
//
// Summing a group's rows in that order adds duplicates "in position order",
// and groups touch disjoint output rows, so a kernel that runs the groups in
// parallel gives bit-identical results for any thread count.
// build() is O(N), without sorting: a slot per table row (V entries, made
// once; -1 when the row is in no group) maps a row to its group, and a
// counting pass lays the positions out group by group. No allocation per run.

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "graph/error.h"
#include "graph/tensor.h"
#include "ops/kernel.h"
#include "ops/parallel.h"

namespace flowgrad::ops {

inline int64_t index_at(const std::byte* indices, graph::DType t, int64_t i) {
  return t == graph::DType::i64 ? reinterpret_cast<const int64_t*>(indices)[i]
                                : reinterpret_cast<const int32_t*>(indices)[i];
}

// Asks for the cache lines of row[0, n) (a table row about to be read or written).
inline void prefetch_row(const float* row, int64_t n) {
  for (int64_t j = 0; j < n; j += 16) __builtin_prefetch(row + j);
}

// Throws ValueError "<who>: expected indices in [0, V), got <i> at position <p>".
[[noreturn]] void fail_index(const std::string& who, int64_t index, int64_t position, int64_t num_rows);

inline int64_t checked_index(const std::byte* indices, graph::DType t, int64_t p, int64_t num_rows,
                             const std::string& who) {
  int64_t i = index_at(indices, t, p);
  if (i < 0 || i >= num_rows) fail_index(who, i, p, num_rows);
  return i;
}

class RowGroups {
 public:
  // Scratch for n indices into a table of num_rows rows, allocated once.
  // ShapeError for 2^31 or more indices.
  RowGroups(int64_t n, int64_t num_rows);

  // Checks every index against [0, num_rows) (throwing as fail_index, before
  // grouping anything) and groups them.
  void build(const std::byte* indices, graph::DType t, const std::string& who);

  int64_t size() const { return groups_; }
  int64_t row(int64_t g) const { return rows_[static_cast<size_t>(g)]; }
  // Positions of group g, increasing: positions_[starts_[g] .. starts_[g + 1]).
  template <class F> void for_each_position(int64_t g, F&& f) const {
    for (int64_t k = starts_[static_cast<size_t>(g)]; k < starts_[static_cast<size_t>(g) + 1]; ++k) {
      f(positions_[static_cast<size_t>(k)]);
    }
  }

  // The positions of group g, increasing.
  std::span<const int64_t> positions(int64_t g) const {
    const auto lo = static_cast<size_t>(starts_[static_cast<size_t>(g)]);
    return {positions_.data() + lo, static_cast<size_t>(starts_[static_cast<size_t>(g) + 1]) - lo};
  }

  // acc[j] = Σ rows[p·d + j0 + j] over the group's positions p (increasing),
  // for j in [0, w): each column is summed in position order, as a
  // column-at-a-time loop would, while the rows are read contiguously.
  void sum_rows(int64_t g, const float* rows, int64_t d, int64_t j0, int64_t w, float* acc) const {
    std::fill(acc, acc + w, 0.0f);
    for_each_position(g, [&](int64_t p) {
      const float* r = rows + p * d + j0;
      for (int64_t j = 0; j < w; ++j) acc[j] += r[j];
    });
  }

  // body(g) for every group, in parallel blocks of about kBlock / row_size groups.
  template <class Body> void parallel_groups(int64_t row_size, int threads, Body&& body) const {
    int64_t block = std::max<int64_t>(1, kBlock / std::max<int64_t>(1, row_size));
    parallel_blocks(groups_, threads, block, [&](int64_t lo, int64_t hi) {
      for (int64_t g = lo; g < hi; ++g) body(g);
    });
  }

 private:
  int64_t num_rows_;
  std::vector<int32_t> slot_;       // [V]: the group of a table row, -1 outside build()
  std::vector<int32_t> group_of_;   // [N]: the group of each position
  std::vector<int64_t> rows_;       // [G]: the table row of each group
  std::vector<int64_t> starts_;     // [G + 1]: bounds into positions_ (also the fill cursors while building)
  std::vector<int64_t> positions_;  // [N]: positions, group by group, increasing within a group
  int64_t groups_ = 0;
};

// out[row(g), :] += rows[p, :] for every group g and its positions p, in
// order. rows: [N, d], out: [V, d].
void scatter_add_rows(const RowGroups& groups, const float* rows, int64_t d, float* out, int threads);

// out = base + Σ scattered rows (base: [V, d] or, without one, zeros).
// Inputs {base,} indices [N], rows [N, d]; output [V, d]. `who` names the
// node in index errors.
class ScatterAddKernel final : public Kernel {
 public:
  ScatterAddKernel(int64_t num_rows, int64_t n, int64_t d, graph::DType index_type, bool with_base, std::string who);
  void run(const KernelArgs& k) override;
  double cost() const override { return static_cast<double>((num_rows_ + n_) * d_); }

 private:
  int64_t num_rows_, n_, d_;
  graph::DType index_type_;
  bool with_base_;
  std::string who_;
  RowGroups groups_;
};

// The plain-loop oracle of ScatterAddKernel, accumulating in double
// (base may be null).
void scatter_add_reference(const graph::Tensor* base, const graph::Tensor& indices, const graph::Tensor& rows,
                           graph::Tensor& out, const std::string& who);

}  // namespace flowgrad::ops
