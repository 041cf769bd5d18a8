#include "ops/sparse_update.h"

#include <algorithm>
#include <cmath>

#include "ops/parallel.h"
#include "ops/scatter_kernel.h"

namespace flowgrad::ops {
namespace {

const TensorType kScalar{DType::f32, {}};

// param [V, D...], indices [N], rows [N, D...] at inputs 0, 1, 2.
void check_sparse_gradient(const InferContext& ctx) {
  const TensorType &p = ctx.in(0), &idx = ctx.in(1), &rows = ctx.in(2);
  if (p.dtype != DType::f32 || p.rank() < 1) ctx.fail("expected an f32 parameter [V, ...], got " + p.str());
  if ((idx.dtype != DType::i32 && idx.dtype != DType::i64) || idx.rank() != 1) {
    ctx.fail("expected i32 or i64 indices [N], got " + idx.str());
  }
  Shape want = p.shape;
  want[0] = idx.shape[0];
  if (rows != TensorType{DType::f32, want}) ctx.fail("expected rows f32" + graph::shape_str(want) + ", got " + rows.str());
}

std::vector<TensorType> infer_sgd(const InferContext& ctx) {
  check_sparse_gradient(ctx);
  if (ctx.in(3) != kScalar) ctx.fail("expected an f32 scalar learning rate, got " + ctx.in(3).str());
  const auto& a = ctx.attrs_as<SgdAttrs>();
  if (a.momentum != 0 || a.nesterov) ctx.fail("expected momentum 0: momentum is not supported with sparse gradients");
  if (a.weight_decay < 0) ctx.fail("expected weight_decay >= 0");
  return {ctx.in(0)};
}

std::vector<TensorType> infer_adam(const InferContext& ctx) {
  check_sparse_gradient(ctx);
  const TensorType& p = ctx.in(0);
  for (int i : {3, 4}) {
    if (ctx.in(i) != p) ctx.fail("expected m and v of type " + p.str() + ", got " + ctx.in(i).str());
  }
  if (ctx.in(5) != kScalar || ctx.in(6) != kScalar) ctx.fail("expected f32 scalars for lr and step");
  const auto& a = ctx.attrs_as<AdamAttrs>();
  if (!(a.beta1 >= 0 && a.beta1 < 1 && a.beta2 >= 0 && a.beta2 < 1 && a.eps > 0)) {
    ctx.fail("expected 0 <= beta1, beta2 < 1 and eps > 0");
  }
  return {p, p, p};
}

// Sizes of a [V, D...] parameter: V rows of d elements; n indices.
struct Dims {
  int64_t v = 0, d = 1, n = 0;
};

Dims dims_of(std::span<const TensorType> in) {
  Dims s{in[0].shape[0], 1, in[1].numel()};
  for (size_t i = 1; i < in[0].shape.size(); ++i) s.d *= in[0].shape[i];
  return s;
}

// Each group's update runs over its row in column blocks of this many
// elements, the block's gradient sums in a stack buffer (RowGroups::sum_rows).
constexpr int64_t kColumns = 256;
constexpr int64_t kLanes = 16;  // a vector register of floats, at most

// body(j0, w, grad) for the column blocks of group g's row; grad[0, w) holds
// the summed gradient of columns [j0, j0 + w).
template <class Body>
void for_column_blocks(const RowGroups& groups, int64_t g, const float* rows, int64_t d, Body&& body) {
  float grad[kColumns];
  for (int64_t j0 = 0; j0 < d; j0 += kColumns) {
    const int64_t w = std::min(kColumns, d - j0);
    groups.sum_rows(g, rows, d, j0, w, grad);
    body(j0, w, grad);
  }
}

class SparseSgdKernel final : public Kernel {
 public:
  SparseSgdKernel(SgdAttrs a, Dims s, DType it, std::string who)
      : a_(a), s_(s), it_(it), who_(std::move(who)), groups_(s.n, s.v) {}
  void run(const KernelArgs& k) override {
    float* p = k.out<float>(0);  // == input 0
    const float* rows = k.in<float>(2);
    const Step step{*k.in<float>(3), static_cast<float>(a_.weight_decay)};
    if (a_.weight_decay == 0) {
      apply_in_order(k.inputs[1], step.lr, p, rows, k.threads);
      return;
    }
    groups_.build(k.inputs[1], it_, who_);
    groups_.parallel_groups(s_.d, k.threads, [&](int64_t g) {
      update_row(step, p + groups_.row(g) * s_.d, rows, groups_.positions(g), s_.d);
    });
  }
  double cost() const override { return static_cast<double>(s_.n * s_.d) * 4; }

 private:
  struct Step {
    float lr, wd;
  };
  // One group: param row pr -= lr·(g + wd·pr), g = the group's rows summed in
  // position order, column block by column block (as for_column_blocks).
  // Cloned per instruction set: word2vec's output vectors update ~3000 rows
  // of 100 a step, each from a few gradient rows scattered in memory.
  FLOWGRAD_X86_CLONES
  static void update_row(const Step& s, float* __restrict pr, const float* __restrict rows,
                         std::span<const int64_t> positions, int64_t d) {
    float grad[kColumns];
    for (int64_t j0 = 0; j0 < d; j0 += kColumns) {
      const int64_t w = std::min(kColumns, d - j0);
      for (int64_t j = 0; j < w; ++j) grad[j] = 0.0f;
      for (int64_t q : positions) {
        const float* __restrict r = rows + q * d + j0;
        int64_t j = 0;
        // fixed-width chunks: with a loop of unknown length, GCC jams two
        // positions into one scalar loop instead of vectorizing
        for (; j + kLanes <= w; j += kLanes) {
          for (int64_t l = 0; l < kLanes; ++l) grad[j + l] += r[j + l];
        }
        for (; j < w; ++j) grad[j] += r[j];
      }
      float* __restrict x = pr + j0;
      for (int64_t j = 0; j < w; ++j) x[j] -= s.lr * (grad[j] + s.wd * x[j]);
    }
  }

  // Without weight decay, param[r] -= lr·Σ rows[p] is applied one position
  // at a time, in position order: no grouping, and the rows are read in
  // memory order (word2vec's output vectors: 6144 rows of 100 a step). The
  // positions are split into kParts parts by r mod kParts (r & mask; one
  // part for small updates), a fixed number,
  // so each row is updated by one part, in position order, for any thread
  // count; each part scans all indices.
  void apply_in_order(const std::byte* idx, float lr, float* p, const float* rows, int threads) const {
    for (int64_t q = 0; q < s_.n; ++q) checked_index(idx, it_, q, s_.v, who_);  // before any write
    const int64_t mask = s_.n * s_.d >= 2 * kBlock ? kParts - 1 : 0;  // parts: kParts (a power of 2) or 1
    parallel_for_each(mask + 1, threads, [&](int64_t part) {
      for (int64_t q = 0; q < s_.n; ++q) {
        // the param rows are scattered over the table: ask for one a few positions ahead
        if (q + kAhead < s_.n) {
          const int64_t next = index_at(idx, it_, q + kAhead);
          if ((next & mask) == part) prefetch_row(p + next * s_.d, s_.d);
        }
        const int64_t r = index_at(idx, it_, q);
        if ((r & mask) == part) subtract_row(p + r * s_.d, rows + q * s_.d, lr, s_.d);
      }
    });
  }
  static constexpr int64_t kParts = 2;
  static constexpr int64_t kAhead = 4;

  FLOWGRAD_X86_CLONES
  static void subtract_row(float* __restrict x, const float* __restrict g, float lr, int64_t d) {
    for (int64_t j = 0; j < d; ++j) x[j] -= lr * g[j];
  }

  SgdAttrs a_;
  Dims s_;
  DType it_;
  std::string who_;
  RowGroups groups_;
};

class SparseAdamKernel final : public Kernel {
 public:
  SparseAdamKernel(AdamAttrs a, Dims s, DType it, std::string who)
      : a_(a), s_(s), it_(it), who_(std::move(who)), groups_(s.n, s.v) {}
  void run(const KernelArgs& k) override {
    groups_.build(k.inputs[1], it_, who_);
    float *p = k.out<float>(0), *m = k.out<float>(1), *v = k.out<float>(2);
    const float* rows = k.in<float>(2);
    const float lr = *k.in<float>(5);
    const double t = *k.in<float>(6);
    const float b1 = static_cast<float>(a_.beta1), b2 = static_cast<float>(a_.beta2);
    const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(a_.beta1, t)));  // bias corrections
    const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(a_.beta2, t)));
    const float eps = static_cast<float>(a_.eps), wd = static_cast<float>(a_.weight_decay);
    const float shrink = a_.decoupled ? 1.0f - lr * wd : 1.0f, l2 = a_.decoupled ? 0.0f : wd;
    groups_.parallel_groups(s_.d, k.threads, [&](int64_t g) {
      for_column_blocks(groups_, g, rows, s_.d, [&](int64_t j0, int64_t w, const float* grad) {
        const int64_t base = groups_.row(g) * s_.d + j0;
        for (int64_t j = 0; j < w; ++j) {
          const int64_t i = base + j;
          float gi = grad[j] + l2 * p[i];
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          p[i] = p[i] * shrink - lr * (m[i] * c1) / (std::sqrt(v[i] * c2) + eps);
        }
      });
    });
  }
  double cost() const override { return static_cast<double>(s_.n * s_.d) * 10; }

 private:
  AdamAttrs a_;
  Dims s_;
  DType it_;
  std::string who_;
  RowGroups groups_;
};

// Per touched row r: g_r in double, in position order. Returns {row, g_r}.
std::vector<std::pair<int64_t, std::vector<double>>> summed_rows(const Tensor& idx, const Tensor& rows, Dims s,
                                                                 const std::string& who) {
  std::vector<std::pair<int64_t, std::vector<double>>> out;
  std::vector<int64_t> slot(static_cast<size_t>(s.v), -1);
  for (int64_t p = 0; p < s.n; ++p) {
    int64_t r = checked_index(idx.raw(), idx.dtype(), p, s.v, who);
    if (slot[r] < 0) {
      slot[r] = static_cast<int64_t>(out.size());
      out.push_back({r, std::vector<double>(static_cast<size_t>(s.d), 0.0)});
    }
    for (int64_t j = 0; j < s.d; ++j) out[slot[r]].second[j] += rows.at(p * s.d + j);
  }
  return out;
}

void reference_sgd(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = n.attrs_as<SgdAttrs>();
  Dims s = dims_of(std::vector<TensorType>{in[0].type(), in[1].type()});
  const double lr = in[3].at(0);
  for (int64_t i = 0; i < in[0].numel(); ++i) out[0].data<float>()[i] = in[0].data<float>()[i];
  for (const auto& [r, g] : summed_rows(in[1], in[2], s, node_label(n))) {
    for (int64_t j = 0; j < s.d; ++j) {
      double p = in[0].at(r * s.d + j);
      out[0].data<float>()[r * s.d + j] = static_cast<float>(p - lr * (g[j] + a.weight_decay * p));
    }
  }
}

void reference_adam(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = n.attrs_as<AdamAttrs>();
  Dims s = dims_of(std::vector<TensorType>{in[0].type(), in[1].type()});
  const double lr = in[5].at(0), t = in[6].at(0);
  for (int k = 0; k < 3; ++k) {
    for (int64_t i = 0; i < in[0].numel(); ++i) out[k].data<float>()[i] = in[k == 0 ? 0 : k + 2].data<float>()[i];
  }
  for (const auto& [r, g_r] : summed_rows(in[1], in[2], s, node_label(n))) {
    for (int64_t j = 0; j < s.d; ++j) {
      const int64_t i = r * s.d + j;
      AdamElement e = adam_reference_step(a, lr, t, in[0].at(i), g_r[j], in[3].at(i), in[4].at(i));
      out[0].data<float>()[i] = static_cast<float>(e.p);
      out[1].data<float>()[i] = static_cast<float>(e.m);
      out[2].data<float>()[i] = static_cast<float>(e.v);
    }
  }
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "sparse_sgd_update",
    .num_inputs = 4,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<SgdAttrs>(),
    .infer = infer_sgd,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<SparseSgdKernel>(ctx.attrs<SgdAttrs>(), dims_of(ctx.inputs), ctx.inputs[1].dtype,
                                               node_label(ctx.node));
    },
    .reference = reference_sgd,
    .not_differentiable = true,  // an optimizer step
    .inplace = {{0, 0}},
});

FLOWGRAD_REGISTER_OP({
    .name = "sparse_adam_update",
    .num_inputs = 7,
    .num_outputs = 3,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<AdamAttrs>(),
    .infer = infer_adam,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<SparseAdamKernel>(ctx.attrs<AdamAttrs>(), dims_of(ctx.inputs), ctx.inputs[1].dtype,
                                                node_label(ctx.node));
    },
    .reference = reference_adam,
    .not_differentiable = true,  // an optimizer step
    .inplace = {{0, 0}, {1, 3}, {2, 4}},
});

Expr sparse_sgd_update(Expr param, Expr indices, Expr rows, Expr lr, SgdAttrs attrs, const Loc& loc) {
  return param.emitter().emit1("sparse_sgd_update", attrs, {param, indices, rows, lr}, loc);
}

std::vector<Expr> sparse_adam_update(Expr param, Expr indices, Expr rows, Expr m, Expr v, Expr lr, Expr step,
                                     AdamAttrs attrs, const Loc& loc) {
  return param.emitter().emit("sparse_adam_update", std::make_shared<graph::Attrs<AdamAttrs>>(attrs),
                              {param, indices, rows, m, v, lr, step}, loc);
}

}  // namespace flowgrad::ops
