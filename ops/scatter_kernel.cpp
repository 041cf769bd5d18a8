#include "ops/scatter_kernel.h"

#include <cstring>

#include "graph/dtype_dispatch.h"

namespace flowgrad::ops {

void fail_index(const std::string& who, int64_t index, int64_t position, int64_t num_rows) {
  throw ValueError(who + ": expected indices in [0, " + std::to_string(num_rows) + "), got " + std::to_string(index) +
                   " at position " + std::to_string(position));
}

namespace {

// n as a size, checked before anything of that size is allocated.
size_t index_count(int64_t n) {
  if (n >= (int64_t{1} << 31)) {  // group numbers are int32
    throw ShapeError("sparse rows (gather gradient, scatter-add, sparse update): expected fewer than 2^31 indices, got " +
                     std::to_string(n));
  }
  return static_cast<size_t>(n);
}

}  // namespace

RowGroups::RowGroups(int64_t n, int64_t num_rows)
    : num_rows_(num_rows), slot_(static_cast<size_t>(num_rows), -1), group_of_(index_count(n)),
      rows_(static_cast<size_t>(n)), starts_(static_cast<size_t>(n) + 1), positions_(static_cast<size_t>(n)) {}

void RowGroups::build(const std::byte* indices, graph::DType t, const std::string& who) {
  const auto n = static_cast<int64_t>(positions_.size());
  for (int64_t p = 0; p < n; ++p) checked_index(indices, t, p, num_rows_, who);  // slot_ stays all -1 on a throw
  // Groups in order of first occurrence; starts_[g + 1] counts group g's positions.
  groups_ = 0;
  for (int64_t p = 0; p < n; ++p) {
    const int64_t r = index_at(indices, t, p);
    int32_t& s = slot_[static_cast<size_t>(r)];
    if (s < 0) {
      s = static_cast<int32_t>(groups_);
      rows_[static_cast<size_t>(groups_)] = r;
      starts_[static_cast<size_t>(++groups_)] = 0;
    }
    group_of_[static_cast<size_t>(p)] = s;
    ++starts_[static_cast<size_t>(s) + 1];
  }
  // Prefix sums make starts_[g] the start of group g; a forward fill (positions
  // increasing) advances each start to its group's end, a shift restores them.
  starts_[0] = 0;
  for (int64_t g = 0; g < groups_; ++g) starts_[static_cast<size_t>(g) + 1] += starts_[static_cast<size_t>(g)];
  for (int64_t p = 0; p < n; ++p) {
    positions_[static_cast<size_t>(starts_[static_cast<size_t>(group_of_[static_cast<size_t>(p)])]++)] = p;
  }
  for (int64_t g = groups_; g > 0; --g) starts_[static_cast<size_t>(g)] = starts_[static_cast<size_t>(g) - 1];
  starts_[0] = 0;
  for (int64_t g = 0; g < groups_; ++g) slot_[static_cast<size_t>(rows_[static_cast<size_t>(g)])] = -1;
}

void scatter_add_rows(const RowGroups& groups, const float* rows, int64_t d, float* out, int threads) {
  groups.parallel_groups(d, threads, [&](int64_t g) {
    float* dst = out + groups.row(g) * d;
    groups.for_each_position(g, [&](int64_t p) {
      const float* src = rows + p * d;
      for (int64_t j = 0; j < d; ++j) dst[j] += src[j];
    });
  });
}

ScatterAddKernel::ScatterAddKernel(int64_t num_rows, int64_t n, int64_t d, graph::DType index_type, bool with_base,
                                   std::string who)
    : num_rows_(num_rows), n_(n), d_(d), index_type_(index_type), with_base_(with_base), who_(std::move(who)),
      groups_(n, num_rows) {}

void ScatterAddKernel::run(const KernelArgs& k) {
  const int first = with_base_ ? 1 : 0;
  groups_.build(k.inputs[first], index_type_, who_);  // throws before writing anything
  float* out = k.out<float>(0);
  const float* base = with_base_ ? k.in<float>(0) : nullptr;
  parallel_blocks(num_rows_ * d_, k.threads, [&](int64_t lo, int64_t hi) {
    if (base) std::memcpy(out + lo, base + lo, static_cast<size_t>(hi - lo) * sizeof(float));
    else std::memset(out + lo, 0, static_cast<size_t>(hi - lo) * sizeof(float));
  });
  scatter_add_rows(groups_, k.in<float>(first + 1), d_, out, k.threads);
}

void scatter_add_reference(const graph::Tensor* base, const graph::Tensor& indices, const graph::Tensor& rows,
                           graph::Tensor& out, const std::string& who) {
  const int64_t v = out.shape().empty() ? 0 : out.shape()[0], n = indices.numel();
  const int64_t d = v ? out.numel() / v : 0;
  std::vector<double> acc(static_cast<size_t>(out.numel()), 0.0);
  if (base) {
    for (int64_t i = 0; i < out.numel(); ++i) acc[static_cast<size_t>(i)] = base->at(i);
  }
  for (int64_t p = 0; p < n; ++p) {
    int64_t r = checked_index(indices.raw(), indices.dtype(), p, v, who);
    for (int64_t j = 0; j < d; ++j) acc[static_cast<size_t>(r * d + j)] += rows.at(p * d + j);
  }
  graph::with_float(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < out.numel(); ++i) out.data<T>()[i] = static_cast<T>(acc[static_cast<size_t>(i)]);
  });
}

}  // namespace flowgrad::ops
