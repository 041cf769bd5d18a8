#include "ops/scatter_kernel.h"

#include <cstring>

#include "graph/dtype_dispatch.h"

namespace flowgrad::ops {

void fail_index(const std::string& who, int64_t index, int64_t position, int64_t num_rows) {
  throw ValueError(who + ": expected indices in [0, " + std::to_string(num_rows) + "), got " + std::to_string(index) +
                   " at position " + std::to_string(position));
}

RowGroups::RowGroups(int64_t n) : sorted_(static_cast<size_t>(n)), starts_(static_cast<size_t>(n) + 1) {}

void RowGroups::build(const std::byte* indices, graph::DType t, int64_t num_rows, const std::string& who) {
  const int64_t n = static_cast<int64_t>(sorted_.size());
  for (int64_t p = 0; p < n; ++p) sorted_[static_cast<size_t>(p)] = {checked_index(indices, t, p, num_rows, who), p};
  // The pairs are distinct, so the sorted order is unique: no stable sort
  // (which would allocate) is needed.
  std::sort(sorted_.begin(), sorted_.end());
  groups_ = 0;
  for (int64_t k = 0; k < n; ++k) {
    if (k == 0 || sorted_[static_cast<size_t>(k)].first != sorted_[static_cast<size_t>(k - 1)].first) {
      starts_[static_cast<size_t>(groups_++)] = k;
    }
  }
  starts_[static_cast<size_t>(groups_)] = n;
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
      groups_(n) {}

void ScatterAddKernel::run(const KernelArgs& k) {
  const int first = with_base_ ? 1 : 0;
  groups_.build(k.inputs[first], index_type_, num_rows_, who_);  // throws before writing anything
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
