#include "ops/softmax_cross_entropy.h"

#include <cmath>

#include "graph/dtype_dispatch.h"
#include "ops/elementwise_math.h"
#include "ops/lane_reduce.h"
#include "ops/loss_backward.h"
#include "ops/parallel.h"

namespace flowgrad::ops {
namespace {

constexpr int64_t kRowBlock = 64;

struct Rows {
  int64_t rows = 0, classes = 0;
};

Rows rows_of(const TensorType& logits) {
  int64_t c = logits.shape.back();
  return {c ? logits.numel() / c : 0, c};
}

int64_t label_at(const std::byte* labels, DType t, int64_t r) {
  return t == DType::i64 ? reinterpret_cast<const int64_t*>(labels)[r] : reinterpret_cast<const int32_t*>(labels)[r];
}

int64_t checked_label(const std::byte* labels, DType t, int64_t r, const Rows& g, int64_t ignore) {
  int64_t y = label_at(labels, t, r);
  if (y != ignore && (y < 0 || y >= g.classes)) {
    throw ValueError("softmax_cross_entropy: label " + std::to_string(y) + " at row " + std::to_string(r) +
                     " is outside [0, " + std::to_string(g.classes) + ") and is not ignore_index");
  }
  return y;
}

// log Σ exp(x) over one row, max-shifted: the reference kernels', in double.
template <class T>
double logsumexp(const T* x, int64_t c) {
  T mx = x[0];
  for (int64_t j = 1; j < c; ++j) mx = std::max(mx, x[j]);
  double s = 0;
  for (int64_t j = 0; j < c; ++j) s += std::exp(static_cast<double>(x[j]) - mx);
  return mx + std::log(s);
}

// The compiled kernels' in float: fixed-order lanes (lane_reduce.h) over a
// vectorized exp, ~10x faster than the double loop on BERT's 30522-class
// MLM rows and within 1e-6 of it. Cloned per instruction set (parallel.h).
FLOWGRAD_X86_CLONES
float fast_logsumexp(const float* x, int64_t c) {
  const float m = lane_max(x, c);
  return m + std::log(lane_sum(c, [&](int64_t j) { return math::exp_nonpositive(x[j] - m); }));
}

std::vector<TensorType> infer_forward(const InferContext& ctx) {
  const TensorType &x = ctx.in(0), &y = ctx.in(1);
  const auto& a = ctx.attrs_as<CrossEntropyAttrs>();
  if (!graph::is_float(x.dtype) || x.rank() < 1) ctx.fail("expected f32 or f64 logits of rank >= 1");
  if (y.dtype != DType::i32 && y.dtype != DType::i64) ctx.fail("expected i32 or i64 labels");
  Shape rows(x.shape.begin(), x.shape.end() - 1);
  if (y.shape != rows) ctx.fail("expected labels of shape " + graph::shape_str(rows) + ", got " + graph::shape_str(y.shape));
  if (a.reduction != "mean" && a.reduction != "sum" && a.reduction != "none") {
    ctx.fail("expected reduction mean|sum|none, got '" + a.reduction + "'");
  }
  return {{x.dtype, a.reduction == "none" ? rows : Shape{}}};
}

// Per-row losses into `row_loss` (0 for ignored rows); returns the count of
// rows that were not ignored.
template <class T, class Lse>
int64_t row_losses(const T* x, const std::byte* labels, DType lt, const Rows& g, int64_t ignore, double* row_loss,
                   int threads, Lse lse) {
  parallel_blocks(g.rows, threads, kRowBlock, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t y = checked_label(labels, lt, r, g, ignore);
      row_loss[r] = y == ignore ? 0.0 : lse(x + r * g.classes, g.classes) - x[r * g.classes + y];
    }
  });
  int64_t count = 0;
  for (int64_t r = 0; r < g.rows; ++r) count += label_at(labels, lt, r) != ignore;
  return count;
}

template <class T>
void write_loss(const CrossEntropyAttrs& a, const double* row_loss, int64_t rows, int64_t count, T* out) {
  if (a.reduction == "none") {
    for (int64_t r = 0; r < rows; ++r) out[r] = static_cast<T>(row_loss[r]);
    return;
  }
  double s = 0;
  for (int64_t r = 0; r < rows; ++r) s += row_loss[r];  // fixed order
  out[0] = static_cast<T>(a.reduction == "sum" ? s : (count ? s / static_cast<double>(count) : 0.0));
}

class ForwardKernel final : public Kernel {
 public:
  ForwardKernel(CrossEntropyAttrs a, Rows g, DType lt) : a_(std::move(a)), g_(g), lt_(lt), row_loss_(g.rows) {}
  void run(const KernelArgs& k) override {
    int64_t count =
        row_losses(k.in<float>(0), k.inputs[1], lt_, g_, a_.ignore_index, row_loss_.data(), k.threads, fast_logsumexp);
    write_loss(a_, row_loss_.data(), g_.rows, count, k.out<float>(0));
  }
  double cost() const override { return static_cast<double>(g_.rows * g_.classes) * 4; }

 private:
  CrossEntropyAttrs a_;
  Rows g_;
  DType lt_;
  std::vector<double> row_loss_;  // allocated once
};

// dlogits for rows [lo, hi): (softmax - onehot) · scale_r, with `row` writing
// one row's softmax · scale.
template <class T, class Row>
void backward_rows(const T* dloss, const T* x, const std::byte* labels, DType lt, const Rows& g,
                   const CrossEntropyAttrs& a, double count, T* dx, int threads, Row row) {
  parallel_blocks(g.rows, threads, kRowBlock, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t y = checked_label(labels, lt, r, g, a.ignore_index);
      double scale = a.reduction == "none" ? dloss[r] : a.reduction == "sum" ? dloss[0] : (count ? dloss[0] / count : 0);
      if (y == a.ignore_index) scale = 0;
      T* dr = dx + r * g.classes;
      row(x + r * g.classes, g.classes, scale, dr);
      if (y != a.ignore_index) dr[y] = static_cast<T>(dr[y] - scale);
    }
  });
}

template <class T>
void reference_softmax_row(const T* x, int64_t c, double scale, T* d) {
  double lse = logsumexp(x, c);
  for (int64_t j = 0; j < c; ++j) d[j] = static_cast<T>(std::exp(x[j] - lse) * scale);
}

FLOWGRAD_X86_CLONES
void fast_softmax_row(const float* x, int64_t c, double scale, float* d) {
  const float lse = fast_logsumexp(x, c), s = static_cast<float>(scale);
#pragma omp simd
  for (int64_t j = 0; j < c; ++j) d[j] = math::exp_nonpositive(x[j] - lse) * s;
}

double count_rows(const std::byte* labels, DType lt, int64_t rows, int64_t ignore) {
  int64_t c = 0;
  for (int64_t r = 0; r < rows; ++r) c += label_at(labels, lt, r) != ignore;
  return static_cast<double>(c);
}

class BackwardKernel final : public Kernel {
 public:
  BackwardKernel(CrossEntropyAttrs a, Rows g, DType lt) : a_(std::move(a)), g_(g), lt_(lt) {}
  void run(const KernelArgs& k) override {
    double count = count_rows(k.inputs[2], lt_, g_.rows, a_.ignore_index);
    backward_rows(k.in<float>(0), k.in<float>(1), k.inputs[2], lt_, g_, a_, count, k.out<float>(0), k.threads,
                  fast_softmax_row);
  }
  double cost() const override { return static_cast<double>(g_.rows * g_.classes) * 4; }

 private:
  CrossEntropyAttrs a_;
  Rows g_;
  DType lt_;
};

std::vector<std::optional<Expr>> grad(GradContext& c) {
  Expr dx = c.em.emit1("softmax_cross_entropy_backward", c.attrs<CrossEntropyAttrs>(), {c.dout(), c.in(0), c.in(1)}, c.loc);
  return {dx, std::nullopt};  // labels are integers
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "softmax_cross_entropy",
    .num_inputs = 2,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<CrossEntropyAttrs>(),
    .infer = infer_forward,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<ForwardKernel>(ctx.attrs<CrossEntropyAttrs>(), rows_of(ctx.inputs[0]), ctx.inputs[1].dtype);
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      Rows g = rows_of(in[0].type());
      const auto& a = n.attrs_as<CrossEntropyAttrs>();
      std::vector<double> loss(g.rows);
      graph::with_float(in[0].dtype(), [&](auto tag) {
        using T = decltype(tag);
        int64_t count =
            row_losses(in[0].data<T>(), in[1].raw(), in[1].dtype(), g, a.ignore_index, loss.data(), 1, logsumexp<T>);
        write_loss(a, loss.data(), g.rows, count, out[0].data<T>());
      });
    },
    .grad = grad,
});

FLOWGRAD_REGISTER_OP({
    .name = "softmax_cross_entropy_backward",
    .num_inputs = 3,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<CrossEntropyAttrs>(),
    .infer = loss_backward_infer(infer_forward),
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<BackwardKernel>(ctx.attrs<CrossEntropyAttrs>(), rows_of(ctx.inputs[1]), ctx.inputs[2].dtype);
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      Rows g = rows_of(in[1].type());
      const auto& a = n.attrs_as<CrossEntropyAttrs>();
      double count = count_rows(in[2].raw(), in[2].dtype(), g.rows, a.ignore_index);
      graph::with_float(in[1].dtype(), [&](auto tag) {
        using T = decltype(tag);
        backward_rows(in[0].data<T>(), in[1].data<T>(), in[2].raw(), in[2].dtype(), g, a, count, out[0].data<T>(), 1,
                      reference_softmax_row<T>);
      });
    },
    .not_differentiable = true,  // second derivatives of the loss are not supported
});

Expr softmax_cross_entropy(Expr logits, Expr labels, CrossEntropyAttrs attrs, const Loc& loc) {
  return logits.emitter().emit1("softmax_cross_entropy", std::move(attrs), {logits, labels}, loc);
}

}  // namespace flowgrad::ops
