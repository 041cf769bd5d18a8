#include "ops/matmul.h"

#include "graph/dtype_dispatch.h"
#include "ops/broadcast_to.h"
#include "ops/dnnl_util.h"
#include "ops/matmul_desc.h"
#include "ops/reshape.h"
#include "ops/shape_util.h"

namespace flowgrad::ops {
namespace {

// Logical geometry of one matmul node.
struct Geometry {
  Shape batch;               // broadcast batch dims of C
  Shape batch_a, batch_b;    // batch dims of A and B, left-padded with 1 to batch.size()
  int64_t m = 0, k = 0, n = 0;
};

Geometry geometry(const Shape& a, const Shape& b, const MatmulAttrs& at) {
  Geometry g;
  size_t ra = a.size(), rb = b.size();
  g.m = at.transpose_a ? a[ra - 1] : a[ra - 2];
  g.k = at.transpose_a ? a[ra - 2] : a[ra - 1];
  g.n = at.transpose_b ? b[rb - 2] : b[rb - 1];
  Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
  g.batch = *broadcast_shapes(ba, bb);
  g.batch_a = Shape(g.batch.size() - ba.size(), 1);
  g.batch_a.insert(g.batch_a.end(), ba.begin(), ba.end());
  g.batch_b = Shape(g.batch.size() - bb.size(), 1);
  g.batch_b.insert(g.batch_b.end(), bb.begin(), bb.end());
  return g;
}

std::vector<TensorType> infer(const InferContext& ctx) {
  const auto& at = ctx.attrs_as<MatmulAttrs>();
  const TensorType &a = ctx.in(0), &b = ctx.in(1);
  ctx.expect_same_float({0, 1});
  if (a.rank() < 2 || b.rank() < 2) ctx.fail("expected inputs of rank >= 2");
  int64_t ka = at.transpose_a ? a.shape[a.rank() - 2] : a.shape[a.rank() - 1];
  int64_t kb = at.transpose_b ? b.shape[b.rank() - 1] : b.shape[b.rank() - 2];
  if (ka != kb) {
    ctx.fail("expected the contracted dimensions to match, got K = " + std::to_string(ka) + " for a and " +
             std::to_string(kb) + " for b");
  }
  Shape ba(a.shape.begin(), a.shape.end() - 2), bb(b.shape.begin(), b.shape.end() - 2);
  if (!broadcast_shapes(ba, bb)) {
    ctx.fail("expected broadcastable batch dimensions, got " + graph::shape_str(ba) + " and " + graph::shape_str(bb));
  }
  Geometry g = geometry(a.shape, b.shape, at);
  Shape c = g.batch;
  c.push_back(g.m);
  c.push_back(g.n);
  return {{a.dtype, c}};
}

// Descriptor for an operand of logical dims [batch..., rows, cols], stored
// either as such or transposed (as [batch..., cols, rows]).
dnnl::memory::desc operand_md(const Shape& batch, int64_t rows, int64_t cols, bool transposed) {
  Shape stored = batch;
  stored.push_back(transposed ? cols : rows);
  stored.push_back(transposed ? rows : cols);
  auto st = graph::contiguous_strides(stored);
  Shape logical = batch;
  logical.push_back(rows);
  logical.push_back(cols);
  if (transposed) std::swap(st[st.size() - 1], st[st.size() - 2]);
  return strided_md(logical, DType::f32, st);
}

std::unique_ptr<Kernel> lower(const LowerContext& ctx) {
  MatmulDescs d = matmul_descs(ctx.inputs[0].shape, ctx.inputs[1].shape, ctx.attrs<MatmulAttrs>());
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(d.src, d.weights, d.dst), scratchpad_attr(), ctx.engine);
  return std::make_unique<DnnlKernel>(make_primitive<dnnl::matmul>(pd), pd.scratchpad_desc(),
                                      std::vector<DnnlKernel::Arg>{{DNNL_ARG_SRC, d.src, 0, -1},
                                                                   {DNNL_ARG_WEIGHTS, d.weights, 1, -1},
                                                                   {DNNL_ARG_DST, d.dst, -1, 0}},
                                      d.flops);
}

template <class T>
void reference_typed(const MatmulAttrs& at, std::span<const Tensor> in, std::span<Tensor> out) {
  Geometry g = geometry(in[0].shape(), in[1].shape(), at);
  const T *a = in[0].data<T>(), *b = in[1].data<T>();
  T* c = out[0].data<T>();
  auto sa = broadcast_strides(g.batch_a, g.batch), sb = broadcast_strides(g.batch_b, g.batch);
  int64_t batches = graph::numel(g.batch);
  for (int64_t bi = 0; bi < batches; ++bi) {
    const T* A = a + strided_offset(bi, g.batch, sa) * g.m * g.k;
    const T* B = b + strided_offset(bi, g.batch, sb) * g.k * g.n;
    T* C = c + bi * g.m * g.n;
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < g.k; ++p) {
          T x = at.transpose_a ? A[p * g.m + i] : A[i * g.k + p];
          T y = at.transpose_b ? B[j * g.k + p] : B[p * g.n + j];
          acc += static_cast<double>(x) * y;
        }
        C[i * g.n + j] = static_cast<T>(acc);
      }
    }
  }
}

void reference(const graph::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  graph::with_float(in[0].dtype(), [&](auto tag) {
    reference_typed<decltype(tag)>(node.attrs_as<MatmulAttrs>(), in, out);
  });
}

// For C = op(A)·op(B) (op = transpose or not), the input gradients are again
// matmuls with transposes (no explicit transpose nodes):
//
//   ta tb   dA                 dB
//   0  0    dC · Bᵀ            Aᵀ · dC
//   1  0    B · dCᵀ            A · dC
//   0  1    dC · B             dCᵀ · A
//   1  1    Bᵀ · dCᵀ           dCᵀ · Aᵀ
//
// then summed over broadcast batch dims. When B is a shared 2-D weight and A
// is batched ([..., M, K] · [K, N]), dB folds the batch into M instead: one
// [K, B·M] · [B·M, N] GEMM rather than B GEMMs and a reduction.
std::vector<std::optional<Expr>> grad(GradContext& c) {
  const auto& at = c.attrs<MatmulAttrs>();
  Expr a = c.in(0), b = c.in(1), dc = c.dout();
  bool ta = at.transpose_a, tb = at.transpose_b;
  Expr da = ta ? matmul(b, dc, {.transpose_a = tb, .transpose_b = true}, c.loc)
               : matmul(dc, b, {.transpose_a = false, .transpose_b = !tb}, c.loc);
  Expr db;
  if (b.rank() == 2 && a.rank() > 2 && !ta) {
    Expr a2 = reshape(a, {-1, a.dim(-1)}, c.loc);     // [B·M, K]
    Expr dc2 = reshape(dc, {-1, dc.dim(-1)}, c.loc);  // [B·M, N]
    db = tb ? matmul(dc2, a2, {.transpose_a = true}, c.loc) : matmul(a2, dc2, {.transpose_a = true}, c.loc);
  } else {
    db = tb ? matmul(dc, a, {.transpose_a = true, .transpose_b = ta}, c.loc)
            : matmul(a, dc, {.transpose_a = !ta, .transpose_b = false}, c.loc);
  }
  return {sum_to(da, a.shape(), c.loc), sum_to(db, b.shape(), c.loc)};
}

}  // namespace

MatmulDescs matmul_descs(const Shape& a, const Shape& b, const MatmulAttrs& attrs) {
  Geometry g = geometry(a, b, attrs);
  MatmulDescs d;
  d.dst_shape = g.batch;
  d.dst_shape.push_back(g.m);
  d.dst_shape.push_back(g.n);
  const int64_t batches = graph::numel(g.batch);
  if (batches > 1 && graph::numel(g.batch_b) == 1 && g.batch_a == g.batch && !attrs.transpose_a) {
    // [..., M, K]·[K, N] with one shared B: the batch folds into M, one
    // [batch·M, K]·[K, N] GEMM over the same bytes. oneDNN runs the batched
    // form as one small GEMM per batch entry: 1.9x slower on BERT's MLM
    // decoder (M = 20 masked positions per sequence, N = 30522).
    d.src = operand_md({}, batches * g.m, g.k, false);
    d.weights = operand_md({}, g.k, g.n, attrs.transpose_b);
    d.dst = plain_md({batches * g.m, g.n}, DType::f32);
  } else {
    d.src = operand_md(g.batch_a, g.m, g.k, attrs.transpose_a);
    d.weights = operand_md(g.batch_b, g.k, g.n, attrs.transpose_b);
    d.dst = plain_md(d.dst_shape, DType::f32);
  }
  d.flops = 2.0 * static_cast<double>(graph::numel(g.batch) * g.m * g.n * g.k);
  return d;
}

FLOWGRAD_REGISTER_OP({
    .name = "matmul",
    .num_inputs = 2,
    .fusion = FusionClass::out_fusable,
    .make_attrs = attrs_factory<MatmulAttrs>(),
    .infer = infer,
    .lower = lower,
    .reference = reference,
    .grad = grad,
});

Expr matmul(Expr a, Expr b, MatmulAttrs attrs, const Loc& loc) {
  return a.emitter().emit1("matmul", attrs, {a, b}, loc);
}

}  // namespace flowgrad::ops
