#include "ops/word2vec.h"

#include <algorithm>

#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/lane_reduce.h"
#include "ops/parallel.h"
#include "ops/random.h"
#include "ops/reshape.h"
#include "ops/scatter_kernel.h"
#include "ops/sparse_rows.h"

namespace flowgrad::ops {
namespace {

// [B, K, D] of a batched_dot.
struct Dims {
  int64_t b = 0, k = 0, d = 0;
  int64_t block() const { return std::max<int64_t>(1, kBlock / std::max<int64_t>(1, k * d)); }  // rows per block
};

Dims dims_of(const TensorType& v) { return {v.shape[0], v.shape[1], v.shape[2]}; }

// a [B, D] and v [B, K, D] of one float dtype at inputs ia, ia + 1.
Dims check_operands(const InferContext& ctx, size_t ia) {
  const TensorType &a = ctx.in(ia), &v = ctx.in(ia + 1);
  ctx.expect_same_float({ia, ia + 1});
  if (a.rank() != 2) ctx.fail("expected a f32[B, D], got " + a.str());
  if (v.rank() != 3 || v.shape[0] != a.shape[0] || v.shape[2] != a.shape[1]) {
    ctx.fail("expected v f32[" + std::to_string(a.shape[0]) + ", K, " + std::to_string(a.shape[1]) + "], got " + v.str());
  }
  return dims_of(v);
}

std::vector<TensorType> infer_dot(const InferContext& ctx) {
  Dims g = check_operands(ctx, 0);
  return {{ctx.in(0).dtype, {g.b, g.k}}};
}

std::vector<TensorType> infer_dot_backward(const InferContext& ctx) {
  Dims g = check_operands(ctx, 1);
  TensorType want{ctx.in(1).dtype, {g.b, g.k}};
  if (ctx.in(0) != want) ctx.fail("expected dy " + want.str() + ", got " + ctx.in(0).str());
  return {ctx.in(1), ctx.in(2)};
}

// Σ_d x[d] y[d], in a fixed order (lane_reduce.h).
float dot(const float* x, const float* y, int64_t n) {
  return lane_sum(n, [&](int64_t j) { return x[j] * y[j]; });
}

// Row k of example b's v: v[b, k, :] of a batched_dot, or table[idx[b, k], :]
// of a gathered_dot (indices checked before the loops run).
struct Rows {
  const float* v;
  const std::byte* idx = nullptr;
  DType index_type = DType::i32;
  int64_t d = 0;
  const float* at(int64_t bk) const { return v + (idx ? index_at(idx, index_type, bk) : bk) * d; }
};

// Cloned per instruction set (dot() inlines into each clone): with 1 + K = 6
// rows of 100 per example, these two loops are most of a word2vec step's
// arithmetic.
FLOWGRAD_X86_CLONES
void dot_rows(const float* a, const Rows& v, float* y, const Dims& g, int64_t lo, int64_t hi) {
  for (int64_t b = lo; b < hi; ++b) {
    for (int64_t k = 0; k < g.k; ++k) y[b * g.k + k] = dot(a + b * g.d, v.at(b * g.k + k), g.d);
  }
}

FLOWGRAD_X86_CLONES
void dot_backward_rows(const float* dy, const float* a, const Rows& v, float* da, float* dv, const Dims& g, int64_t lo,
                       int64_t hi) {
  for (int64_t b = lo; b < hi; ++b) {
    const float* ab = a + b * g.d;
    float* dab = da + b * g.d;
    std::fill(dab, dab + g.d, 0.f);
    for (int64_t k = 0; k < g.k; ++k) {
      const float s = dy[b * g.k + k];
      const float* vk = v.at(b * g.k + k);
      float* dvk = dv + (b * g.k + k) * g.d;
#pragma omp simd
      for (int64_t d = 0; d < g.d; ++d) {
        dab[d] += s * vk[d];
        dvk[d] = s * ab[d];
      }
    }
  }
}

// batched_dot (a, v) and its backward (dy, a, v); gathered_dot (a, table,
// idx) and its backward (dy, a, table, idx).
struct DotTable {
  int64_t rows = 0;  // V; 0: no table (batched_dot)
  DType index_type = DType::i32;
  std::string who;  // names the node in index errors
};

class DotKernel final : public Kernel {
 public:
  DotKernel(Dims g, bool backward, DotTable table) : g_(g), backward_(backward), table_(std::move(table)) {}
  void run(const KernelArgs& k) override {
    const size_t ia = backward_ ? 1 : 0;  // input index of a
    Rows v{k.in<float>(ia + 1), nullptr, table_.index_type, g_.d};
    if (table_.rows > 0) {
      v.idx = k.inputs[ia + 2];
      for (int64_t i = 0; i < g_.b * g_.k; ++i) checked_index(v.idx, v.index_type, i, table_.rows, table_.who);
    }
    parallel_blocks(g_.b, k.threads, g_.block(), [&](int64_t lo, int64_t hi) {
      if (backward_) {
        dot_backward_rows(k.in<float>(0), k.in<float>(1), v, k.out<float>(0), k.out<float>(1), g_, lo, hi);
      } else {
        dot_rows(k.in<float>(0), v, k.out<float>(0), g_, lo, hi);
      }
    });
  }
  double cost() const override { return (backward_ ? 4.0 : 2.0) * static_cast<double>(g_.b * g_.k * g_.d); }

 private:
  Dims g_;
  bool backward_;
  DotTable table_;
};

void reference_dot(const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  Dims g = dims_of(in[1].type());
  graph::with_float(out[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t b = 0; b < g.b; ++b) {
      for (int64_t k = 0; k < g.k; ++k) {
        double s = 0;
        for (int64_t d = 0; d < g.d; ++d) s += in[0].at(b * g.d + d) * in[1].at((b * g.k + k) * g.d + d);
        out[0].data<T>()[b * g.k + k] = static_cast<T>(s);
      }
    }
  });
}

void reference_dot_backward(const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  Dims g = dims_of(in[2].type());
  graph::with_float(out[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t b = 0; b < g.b; ++b) {
      for (int64_t d = 0; d < g.d; ++d) {
        double s = 0;
        for (int64_t k = 0; k < g.k; ++k) {
          double dy = in[0].at(b * g.k + k);
          s += dy * in[2].at((b * g.k + k) * g.d + d);
          out[1].data<T>()[(b * g.k + k) * g.d + d] = static_cast<T>(dy * in[1].at(b * g.d + d));
        }
        out[0].data<T>()[b * g.d + d] = static_cast<T>(s);
      }
    }
  });
}

std::vector<std::optional<Expr>> grad_dot(GradContext& c) {
  BatchedDotGrads g = batched_dot_backward(c.dout(), c.in(0), c.in(1), c.loc);
  return {g.da, g.dv};
}

// The backward is bilinear in (dy, a, v); with dda, ddv the gradients of da, dv:
//   d dy = batched_dot(dda, v) + batched_dot(a, ddv)
//   d a  = Σ_k dy · ddv  (batched_dot_backward(dy, ·, ddv).da)
//   d v  = dy ⊗ dda      (batched_dot_backward(dy, dda, ·).dv)
std::vector<std::optional<Expr>> grad_dot_backward(GradContext& c) {
  Expr dy = c.in(0), a = c.in(1), v = c.in(2);
  const auto &dda = c.output_grads[0], &ddv = c.output_grads[1];
  std::optional<Expr> d_dy, d_a, d_v;
  if (dda) {
    d_dy = batched_dot(*dda, v, c.loc);
    d_v = batched_dot_backward(dy, *dda, v, c.loc).dv;
  }
  if (ddv) {
    Expr t = batched_dot(a, *ddv, c.loc);
    d_dy = d_dy ? add(*d_dy, t, c.loc) : t;
    d_a = batched_dot_backward(dy, a, *ddv, c.loc).da;
  }
  return {d_dy, d_a, d_v};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "batched_dot",
    .num_inputs = 2,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = infer_dot,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<DotKernel>(dims_of(ctx.inputs[1]), false, DotTable{});
    },
    .reference = reference_dot,
    .grad = grad_dot,
});

FLOWGRAD_REGISTER_OP({
    .name = "batched_dot_backward",
    .num_inputs = 3,
    .num_outputs = 2,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = infer_dot_backward,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<DotKernel>(dims_of(ctx.inputs[2]), true, DotTable{});
    },
    .reference = reference_dot_backward,
    .grad = grad_dot_backward,
});

// --- gathered_dot ----------------------------------------------------------------

namespace {

// a [B, D], table [V, D], idx [B, K] at inputs ia, ia + 1, ia + 2.
Dims check_gathered(const InferContext& ctx, size_t ia) {
  const TensorType &a = ctx.in(ia), &t = ctx.in(ia + 1), &idx = ctx.in(ia + 2);
  ctx.expect_same_float({ia, ia + 1});
  if (a.rank() != 2) ctx.fail("expected a f32[B, D], got " + a.str());
  const std::string d = std::to_string(a.shape[1]), b = std::to_string(a.shape[0]);
  if (t.rank() != 2 || t.shape[1] != a.shape[1]) {
    ctx.fail("expected a table f32[V, " + d + "], got " + t.str());
  }
  if ((idx.dtype != DType::i32 && idx.dtype != DType::i64) || idx.rank() != 2 || idx.shape[0] != a.shape[0]) {
    ctx.fail("expected indices i32 or i64 [" + b + ", K], got " + idx.str());
  }
  return {a.shape[0], idx.shape[1], a.shape[1]};
}

std::vector<TensorType> infer_gathered(const InferContext& ctx) {
  Dims g = check_gathered(ctx, 0);
  return {{ctx.in(0).dtype, {g.b, g.k}}};
}

std::vector<TensorType> infer_gathered_backward(const InferContext& ctx) {
  Dims g = check_gathered(ctx, 1);
  TensorType want{ctx.in(1).dtype, {g.b, g.k}};
  if (ctx.in(0) != want) ctx.fail("expected dy " + want.str() + ", got " + ctx.in(0).str());
  return {ctx.in(1), {ctx.in(1).dtype, {g.b, g.k, g.d}}};
}

std::unique_ptr<Kernel> lower_gathered(const LowerContext& ctx, bool backward) {
  const size_t ia = backward ? 1 : 0;
  const TensorType &a = ctx.inputs[ia], &t = ctx.inputs[ia + 1], &idx = ctx.inputs[ia + 2];
  return std::make_unique<DotKernel>(Dims{a.shape[0], idx.shape[1], a.shape[1]}, backward,
                                     DotTable{t.shape[0], idx.dtype, node_label(ctx.node)});
}

// v = gather(table, idx) as a [B, K, D] tensor, for the reference kernels.
Tensor gathered_rows(const graph::Node& n, const Tensor& table, const Tensor& idx) {
  const int64_t v = table.shape()[0], d = table.shape()[1];
  Tensor out({table.dtype(), {idx.shape()[0], idx.shape()[1], d}});
  graph::with_float(table.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < idx.numel(); ++i) {
      const int64_t r = checked_index(idx.raw(), idx.dtype(), i, v, node_label(n));
      for (int64_t j = 0; j < d; ++j) out.data<T>()[i * d + j] = table.data<T>()[r * d + j];
    }
  });
  return out;
}

// d table of a gathered_dot whose rows got gradient dv [B, K, D].
Expr table_grad(Expr table, Expr idx, Expr dv, const Loc& loc) {
  const int64_t n = idx.dim(0) * idx.dim(1);
  return sparse_rows(reshape(idx, {n}, loc), reshape(dv, {n, table.dim(1)}, loc), table.dim(0), loc);
}

std::vector<std::optional<Expr>> grad_gathered(GradContext& c) {
  Expr table = c.in(1), idx = c.in(2);
  BatchedDotGrads g = gathered_dot_backward(c.dout(), c.in(0), table, idx, c.loc);
  return {g.da, table_grad(table, idx, g.dv, c.loc), std::nullopt};
}

// As grad_dot_backward, with v = gather(table, idx):
//   d dy = gathered_dot(dda, table, idx) + batched_dot(a, ddv)
//   d a  = Σ_k dy · ddv                 d table = sparse_rows(idx, dy ⊗ dda)
std::vector<std::optional<Expr>> grad_gathered_backward(GradContext& c) {
  Expr dy = c.in(0), a = c.in(1), table = c.in(2), idx = c.in(3);
  const auto &dda = c.output_grads[0], &ddv = c.output_grads[1];
  std::optional<Expr> d_dy, d_a, d_table;
  if (dda) {
    d_dy = gathered_dot(*dda, table, idx, c.loc);
    d_table = table_grad(table, idx, gathered_dot_backward(dy, *dda, table, idx, c.loc).dv, c.loc);
  }
  if (ddv) {
    Expr t = batched_dot(a, *ddv, c.loc);
    d_dy = d_dy ? add(*d_dy, t, c.loc) : t;
    d_a = batched_dot_backward(dy, a, *ddv, c.loc).da;
  }
  return {d_dy, d_a, d_table, std::nullopt};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "gathered_dot",
    .num_inputs = 3,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = infer_gathered,
    .lower = [](const LowerContext& ctx) { return lower_gathered(ctx, false); },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      Tensor v = gathered_rows(n, in[1], in[2]);
      reference_dot(n, std::vector<Tensor>{in[0], v}, out);
    },
    .grad = grad_gathered,
});

FLOWGRAD_REGISTER_OP({
    .name = "gathered_dot_backward",
    .num_inputs = 4,
    .num_outputs = 2,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = infer_gathered_backward,
    .lower = [](const LowerContext& ctx) { return lower_gathered(ctx, true); },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      Tensor v = gathered_rows(n, in[2], in[3]);
      reference_dot_backward(n, std::vector<Tensor>{in[0], in[1], v}, out);
    },
    .grad = grad_gathered_backward,
});

// --- negative_sample -----------------------------------------------------------

namespace {

std::vector<TensorType> infer_sample(const InferContext& ctx) {
  const TensorType& t = ctx.in(0);
  if (t.dtype != DType::i64 || t.rank() != 1) ctx.fail("expected an i64 table of rank 1, got " + t.str());
  if (t.numel() == 0) ctx.fail("expected a non-empty table, got " + t.str());
  const auto& a = ctx.attrs_as<NegativeSampleAttrs>();
  if (a.count < 1 || a.batch < 1) {
    ctx.fail("expected count >= 1 and batch >= 1, got count " + std::to_string(a.count) + " and batch " +
             std::to_string(a.batch));
  }
  return {{DType::i64, {a.batch, a.count}}};
}

uint64_t sample_key(const NegativeSampleAttrs& a) {
  return random_key(static_cast<uint64_t>(a.seed), static_cast<uint64_t>(a.stream));
}

// The table slot of draw `counter`; uniform01 < 1, the min guards rounding.
int64_t slot(uint64_t key, uint64_t counter, int64_t size) {
  return std::min<int64_t>(size - 1, static_cast<int64_t>(uniform01(key, counter) * static_cast<double>(size)));
}

class SampleKernel final : public Kernel {
 public:
  SampleKernel(const NegativeSampleAttrs& a, int64_t table_size)
      : key_(sample_key(a)), n_(a.batch * a.count), size_(table_size) {}
  void run(const KernelArgs& k) override {
    const int64_t* table = k.in<int64_t>(0);
    int64_t* y = k.out<int64_t>(0);
    const uint64_t base = k.step * static_cast<uint64_t>(n_);
    parallel_blocks(n_, k.threads, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) y[i] = table[slot(key_, base + static_cast<uint64_t>(i), size_)];
    });
  }
  double cost() const override { return 4.0 * static_cast<double>(n_); }

 private:
  uint64_t key_;
  int64_t n_, size_;
};

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "negative_sample",
    .num_inputs = 1,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<NegativeSampleAttrs>(),
    .infer = infer_sample,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<SampleKernel>(ctx.attrs<NegativeSampleAttrs>(), ctx.inputs[0].numel());
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      const auto& a = n.attrs_as<NegativeSampleAttrs>();
      uint64_t key = sample_key(a);
      for (int64_t i = 0; i < out[0].numel(); ++i) {  // step 0
        out[0].data<int64_t>()[i] = in[0].data<int64_t>()[slot(key, static_cast<uint64_t>(i), in[0].numel())];
      }
    },
    .not_differentiable = true,  // integer draws
    .random = true,
});

Expr batched_dot(Expr a, Expr v, const Loc& loc) { return a.emitter().emit1("batched_dot", graph::NoAttrs{}, {a, v}, loc); }

BatchedDotGrads batched_dot_backward(Expr dy, Expr a, Expr v, const Loc& loc) {
  auto outs = dy.emitter().emit("batched_dot_backward", nullptr, {dy, a, v}, loc);
  return {outs[0], outs[1]};
}

Expr gathered_dot(Expr a, Expr table, Expr idx, const Loc& loc) {
  return a.emitter().emit1("gathered_dot", graph::NoAttrs{}, {a, table, idx}, loc);
}

BatchedDotGrads gathered_dot_backward(Expr dy, Expr a, Expr table, Expr idx, const Loc& loc) {
  auto outs = dy.emitter().emit("gathered_dot_backward", nullptr, {dy, a, table, idx}, loc);
  return {outs[0], outs[1]};
}

Expr negative_sample(Expr table, NegativeSampleAttrs attrs, const Loc& loc) {
  RandomStream s = random_stream(table.emitter(), "negative_sample");
  attrs.stream = s.key;
  return table.emitter().emit1("negative_sample", attrs, {table}, loc, s.leaf);
}

}  // namespace flowgrad::ops
