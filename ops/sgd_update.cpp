#include "ops/sgd_update.h"

#include "ops/parallel.h"

namespace flowgrad::ops {
namespace {

// Shared by both ops: param [n], grad [n], lr [], optional buf [n].
std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType& p = ctx.in(0);
  if (p.dtype != DType::f32) ctx.fail("expected an f32 parameter");
  if (ctx.in(1) != p) ctx.fail("expected a gradient of type " + p.str() + ", got " + ctx.in(1).str());
  if (ctx.in(2) != TensorType{DType::f32, {}}) ctx.fail("expected an f32 scalar learning rate, got " + ctx.in(2).str());
  if (ctx.inputs.size() == 4 && ctx.in(3) != p) ctx.fail("expected a momentum buffer of type " + p.str());
  const auto& a = ctx.attrs_as<SgdAttrs>();
  if (a.momentum < 0 || a.weight_decay < 0) ctx.fail("expected momentum >= 0 and weight_decay >= 0");
  std::vector<TensorType> out(ctx.inputs.size() == 4 ? 2 : 1, p);
  return out;
}

class SgdKernel final : public Kernel {
 public:
  SgdKernel(SgdAttrs a, int64_t n, bool with_buf) : a_(a), n_(n), with_buf_(with_buf) {}
  void run(const KernelArgs& k) override {
    float* p = k.out<float>(0);  // == input 0
    const float* g = k.in<float>(1);
    float lr = *k.in<float>(2);
    float* buf = with_buf_ ? k.out<float>(1) : nullptr;
    const float wd = static_cast<float>(a_.weight_decay), m = static_cast<float>(a_.momentum);
    parallel_blocks(n_, k.threads, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        float gi = g[i] + wd * p[i];
        if (buf) {
          buf[i] = m * buf[i] + gi;
          gi = a_.nesterov ? gi + m * buf[i] : buf[i];
        }
        p[i] -= lr * gi;
      }
    });
  }
  double cost() const override { return static_cast<double>(n_) * 4; }

 private:
  SgdAttrs a_;
  int64_t n_;
  bool with_buf_;
};

void reference(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = n.attrs_as<SgdAttrs>();
  double lr = in[2].at(0);
  for (int64_t i = 0; i < in[0].numel(); ++i) {
    double p = in[0].at(i), g = in[1].at(i) + a.weight_decay * p;
    if (in.size() == 4) {
      double b = a.momentum * in[3].at(i) + g;
      out[1].data<float>()[i] = static_cast<float>(b);
      g = a.nesterov ? g + a.momentum * b : b;
    }
    out[0].data<float>()[i] = static_cast<float>(p - lr * g);
  }
}

OpDef sgd_def(std::string name, int inputs) {
  OpDef d{
      .name = std::move(name),
      .num_inputs = inputs,
      .num_outputs = inputs == 4 ? 2 : 1,
      .fusion = FusionClass::opaque,
      .make_attrs = attrs_factory<SgdAttrs>(),
      .infer = infer,
      .lower = [inputs](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
        return std::make_unique<SgdKernel>(ctx.attrs<SgdAttrs>(), ctx.inputs[0].numel(), inputs == 4);
      },
      .reference = reference,
      .not_differentiable = true,  // an optimizer step
      .inplace = {{0, 0}},
  };
  if (inputs == 4) d.inplace.push_back({1, 3});
  return d;
}

[[maybe_unused]] const OpDef& sgd = register_op(sgd_def("sgd_update", 3));
[[maybe_unused]] const OpDef& sgd_momentum = register_op(sgd_def("sgd_momentum_update", 4));

}  // namespace

Expr sgd_update(Expr param, Expr grad, Expr lr, SgdAttrs attrs, const Loc& loc) {
  return param.emitter().emit1("sgd_update", attrs, {param, grad, lr}, loc);
}

std::vector<Expr> sgd_momentum_update(Expr param, Expr grad, Expr lr, Expr buf, SgdAttrs attrs, const Loc& loc) {
  return param.emitter().emit("sgd_momentum_update", std::make_shared<graph::Attrs<SgdAttrs>>(attrs),
                              {param, grad, lr, buf}, loc);
}

}  // namespace flowgrad::ops
