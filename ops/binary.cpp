#include "ops/binary.h"

#include "graph/dtype_dispatch.h"
#include "ops/broadcast_to.h"
#include "ops/unary.h"

#include "ops/dnnl_util.h"
#include "ops/parallel.h"
#include "ops/shape_util.h"
#include "ops/sources.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType &a = ctx.in(0), &b = ctx.in(1);
  if (a.dtype != b.dtype) {
    ctx.fail(std::string("expected equal dtypes, got ") + graph::dtype_name(a.dtype) + " and " +
             graph::dtype_name(b.dtype));
  }
  if (a.dtype == DType::boolean) ctx.fail("expected a numeric dtype, got bool");
  auto out = broadcast_shapes(a.shape, b.shape);
  if (!out) ctx.fail("expected broadcastable shapes, got " + graph::shape_str(a.shape) + " and " + graph::shape_str(b.shape));
  return {{a.dtype, *out}};
}

// Broadcasting loop over the output: out[i] = f(a[sa(i)], b[sb(i)]).
template <class T, class F>
void broadcast_loop(const T* a, const T* b, T* out, const Shape& sa, const Shape& sb, const Shape& so, F f,
                    int threads) {
  auto ta = broadcast_strides(sa, so), tb = broadcast_strides(sb, so);
  parallel_blocks(graph::numel(so), threads, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = f(a[strided_offset(i, so, ta)], b[strided_offset(i, so, tb)]);
  });
}

template <class F>
class BroadcastKernel final : public Kernel {
 public:
  BroadcastKernel(Shape a, Shape b, Shape out, DType t, F f) : a_(a), b_(b), out_(out), t_(t), f_(f) {}
  void run(const KernelArgs& k) override {
    switch (t_) {
      case DType::f32: broadcast_loop(k.in<float>(0), k.in<float>(1), k.out<float>(0), a_, b_, out_, f_, k.threads); break;
      case DType::i32: broadcast_loop(k.in<int32_t>(0), k.in<int32_t>(1), k.out<int32_t>(0), a_, b_, out_, f_, k.threads); break;
      case DType::i64: broadcast_loop(k.in<int64_t>(0), k.in<int64_t>(1), k.out<int64_t>(0), a_, b_, out_, f_, k.threads); break;
      case DType::boolean: FLOWGRAD_CHECK(false, "bool arithmetic");
      case DType::f64: FLOWGRAD_CHECK(false, "f64 runs on the reference interpreter only");
    }
  }
  double cost() const override { return static_cast<double>(graph::numel(out_)); }

 private:
  Shape a_, b_, out_;
  DType t_;
  F f_;
};

// Pads `s` with leading 1s to `rank` (oneDNN wants equal ranks).
Shape left_pad(const Shape& s, size_t rank) {
  Shape p(rank - s.size(), 1);
  p.insert(p.end(), s.begin(), s.end());
  return p;
}

template <class F>
LowerFn binary_lower(dnnl::algorithm alg, bool commutative, F f) {
  return [=](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
    const TensorType &a = ctx.inputs[0], &b = ctx.inputs[1], &out = ctx.outputs[0];
    bool swap = a.shape != out.shape && b.shape == out.shape && commutative;
    int first = swap ? 1 : 0;
    const TensorType &s0 = ctx.inputs[first], &s1 = ctx.inputs[1 - first];
    if (out.dtype != DType::f32 || s0.shape != out.shape || out.numel() == 0) {
      return std::make_unique<BroadcastKernel<F>>(a.shape, b.shape, out.shape, out.dtype, f);
    }
    auto md0 = plain_md(out), md1 = plain_md(left_pad(s1.shape, out.shape.size()), DType::f32);
    dnnl::binary::primitive_desc pd(dnnl::binary::desc(alg, md0, md1, md0), scratchpad_attr(), ctx.engine);
    return std::make_unique<DnnlKernel>(make_primitive<dnnl::binary>(pd), pd.scratchpad_desc(),
                                        std::vector<DnnlKernel::Arg>{{DNNL_ARG_SRC_0, md0, first, -1},
                                                                     {DNNL_ARG_SRC_1, md1, 1 - first, -1},
                                                                     {DNNL_ARG_DST, md0, -1, 0}},
                                        static_cast<double>(out.numel()));
  };
}

template <class F>
ReferenceFn binary_reference(F f) {
  return [=](const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
    const Shape &sa = in[0].shape(), &sb = in[1].shape(), &so = out[0].shape();
    auto ta = broadcast_strides(sa, so), tb = broadcast_strides(sb, so);
    graph::with_dtype(out[0].dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (!std::is_same_v<T, bool>) {
        const T *a = in[0].data<T>(), *b = in[1].data<T>();
        T* y = out[0].data<T>();
        for (int64_t i = 0; i < out[0].numel(); ++i) y[i] = f(a[strided_offset(i, so, ta)], b[strided_offset(i, so, tb)]);
      }
    });
  };
}

template <class F>
OpDef binary_def(std::string name, dnnl::algorithm alg, bool commutative, F f, GradFn grad) {
  return OpDef{
      .name = std::move(name),
      .num_inputs = 2,
      .fusion = FusionClass::broadcast,
      .make_attrs = attrs_factory<graph::NoAttrs>(),
      .infer = infer,
      .lower = binary_lower(alg, commutative, f),
      .reference = binary_reference(f),
      .grad = std::move(grad),
      // dst == src0 is allowed by oneDNN binary, and the broadcast loop reads
      // a[i] before writing out[i]; the planner only shares when input 0 has
      // the output's type (so the operands are never swapped).
      .inplace_ok = true,
  };
}

const auto kAdd = [](auto x, auto y) { return x + y; };
const auto kSub = [](auto x, auto y) { return x - y; };
const auto kMul = [](auto x, auto y) { return x * y; };
const auto kDiv = [](auto x, auto y) { return x / y; };

// Gradients: each partial derivative, summed back to its operand's shape
// over the broadcast dimensions.
using Grads = std::vector<std::optional<Expr>>;

Grads grad_add(GradContext& c) {
  Expr g = c.dout();
  return {sum_to(g, c.in(0).shape(), c.loc), sum_to(g, c.in(1).shape(), c.loc)};
}
Grads grad_sub(GradContext& c) {
  Expr g = c.dout();
  return {sum_to(g, c.in(0).shape(), c.loc), sum_to(neg(g, c.loc), c.in(1).shape(), c.loc)};
}
Grads grad_mul(GradContext& c) {
  Expr g = c.dout();
  return {sum_to(mul(g, c.in(1), c.loc), c.in(0).shape(), c.loc), sum_to(mul(g, c.in(0), c.loc), c.in(1).shape(), c.loc)};
}
Grads grad_div(GradContext& c) {  // d(a/b)/db = -(a/b)/b
  Expr g = c.dout();
  Expr da = div(g, c.in(1), c.loc);
  Expr db = neg(div(mul(g, c.out(), c.loc), c.in(1), c.loc), c.loc);
  return {sum_to(da, c.in(0).shape(), c.loc), sum_to(db, c.in(1).shape(), c.loc)};
}

[[maybe_unused]] const OpDef& add_def = register_op(binary_def("add", dnnl::algorithm::binary_add, true, kAdd, grad_add));
[[maybe_unused]] const OpDef& sub_def = register_op(binary_def("sub", dnnl::algorithm::binary_sub, false, kSub, grad_sub));
[[maybe_unused]] const OpDef& mul_def = register_op(binary_def("mul", dnnl::algorithm::binary_mul, true, kMul, grad_mul));
[[maybe_unused]] const OpDef& div_def = register_op(binary_def("div", dnnl::algorithm::binary_div, false, kDiv, grad_div));

Expr emit_binary(std::string_view op, Expr a, Expr b, const Loc& loc) {
  return a.emitter().emit1(op, graph::NoAttrs{}, {a, b}, loc);
}

// The scalar operand takes the Expr's float dtype (f64 graphs stay f64).
Expr scalar_like(const Operand& a, float v) {
  DType t = a.e.dtype() == DType::f64 ? DType::f64 : DType::f32;
  return scalar(a.e.emitter(), static_cast<double>(v), t, a.loc);
}

}  // namespace

Expr add(Expr a, Expr b, const Loc& loc) { return emit_binary("add", a, b, loc); }
Expr sub(Expr a, Expr b, const Loc& loc) { return emit_binary("sub", a, b, loc); }
Expr mul(Expr a, Expr b, const Loc& loc) { return emit_binary("mul", a, b, loc); }
Expr div(Expr a, Expr b, const Loc& loc) { return emit_binary("div", a, b, loc); }

Expr operator+(const Operand& a, Expr b) { return add(a.e, b, a.loc); }
Expr operator-(const Operand& a, Expr b) { return sub(a.e, b, a.loc); }
Expr operator*(const Operand& a, Expr b) { return mul(a.e, b, a.loc); }
Expr operator/(const Operand& a, Expr b) { return div(a.e, b, a.loc); }
Expr operator+(const Operand& a, float b) { return add(a.e, scalar_like(a, b), a.loc); }
Expr operator-(const Operand& a, float b) { return sub(a.e, scalar_like(a, b), a.loc); }
Expr operator*(const Operand& a, float b) { return mul(a.e, scalar_like(a, b), a.loc); }
Expr operator/(const Operand& a, float b) { return div(a.e, scalar_like(a, b), a.loc); }

}  // namespace flowgrad::ops
