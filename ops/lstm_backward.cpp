#include "ops/lstm_backward.h"

#include <cstring>

#include "ops/lstm_detail.h"

namespace flowgrad::ops {
namespace {

using lstm_detail::Geometry;

constexpr int kExtraInputs = 4;  // workspace, dy, dh_n, dc_n

std::vector<TensorType> infer(const InferContext& ctx) {
  if (ctx.inputs.size() < 1 + kExtraInputs) {
    ctx.fail("expected lstm's inputs, its workspace, dy, dh_n and dc_n, got " + std::to_string(ctx.inputs.size()) +
             " inputs");
  }
  auto fwd = ctx.inputs.first(ctx.inputs.size() - kExtraInputs);
  Geometry g = lstm_detail::check_forward_inputs(ctx, fwd);
  const TensorType* extra = &ctx.inputs[fwd.size()];
  DType t = fwd[0].dtype;
  TensorType state{t, {g.L * g.D, g.B, g.H}};
  TensorType want[kExtraInputs] = {{DType::f32, {workspace_layout(g).floats()}}, {t, {g.T, g.B, g.D * g.H}}, state, state};
  const char* names[kExtraInputs] = {"workspace", "dy", "dh_n", "dc_n"};
  for (int k = 0; k < kExtraInputs; ++k) {
    if (extra[k] != want[k]) ctx.fail(std::string("expected ") + names[k] + " of type " + want[k].str() + ", got " + extra[k].str());
  }
  std::vector<TensorType> out{fwd[0], state, state};
  for (int64_t k = 0; k < g.num_params(); ++k) out.push_back(fwd[1 + k]);
  return out;
}

class BackwardKernel final : public Kernel {
 public:
  explicit BackwardKernel(const Geometry& g) : g_(g), runner_(g, true) {}

  void run(const KernelArgs& a) override {
    const size_t n = static_cast<size_t>(g_.num_inputs());
    auto fwd = a.inputs.first(n);
    const std::byte* ws = a.inputs[n];
    if (!saved_by_this_run(ws, a.step)) ws = recompute(fwd, a);
    runner_.backward(fwd, ws, a.in<float>(n + 1), a.in<float>(n + 2), a.in<float>(n + 3), a.outputs, a.threads,
                     *a.stream);
  }
  double cost() const override { return runner_.flops(); }
  bool scales_with_team() const override { return false; }
  int max_threads() const override { return static_cast<int>(g_.lanes()); }  // a thread per lane

 private:
  bool saved_by_this_run(const std::byte* ws, uint64_t step) const {
    lstm_detail::Header h;
    std::memcpy(&h, ws, sizeof h);
    return h.magic == lstm_detail::kMagic && h.step == step && h.fingerprint == g_.fingerprint();
  }

  const std::byte* recompute(std::span<const std::byte* const> fwd, const KernelArgs& a) {
    if (ws_.empty()) {  // first need only; never in a graph where lstm's kernel ran
      ws_.resize(runner_.layout().floats());
      y_.resize(g_.T * g_.B * g_.D * g_.H);
      h_n_.resize(g_.L * g_.D * g_.B * g_.H);
      c_n_.resize(h_n_.size());
    }
    auto* ws = reinterpret_cast<std::byte*>(ws_.data());
    runner_.forward(fwd, y_.data(), h_n_.data(), c_n_.data(), ws, a.step, a.threads, *a.stream);
    return ws;
  }

  Geometry g_;
  lstm_detail::Runner runner_;
  std::vector<float> ws_, y_, h_n_, c_n_;
};

void reference(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  auto fwd = in.first(in.size() - kExtraInputs);
  std::vector<TensorType> types;
  for (const Tensor& t : fwd) types.push_back(t.type());
  Geometry g = lstm_detail::geometry_of(n.attrs_as<LstmAttrs>(), types);
  size_t k = fwd.size();
  lstm_detail::reference_backward(g, fwd, in[k + 1], in[k + 2], in[k + 3], out);
}

Geometry geometry_of_backward(const LowerContext& ctx) {
  return lstm_detail::geometry_of(ctx.attrs<LstmAttrs>(), ctx.inputs.first(ctx.inputs.size() - kExtraInputs));
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "lstm_backward",
    .num_inputs = kVariadic,
    .num_outputs = kVariadic,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<LstmAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<BackwardKernel>(geometry_of_backward(ctx));
    },
    .reference = reference,
    .not_differentiable = true,  // no second derivatives through an LSTM
});

LstmGrads lstm_backward(const std::vector<Expr>& forward_inputs, Expr workspace, Expr dy, Expr dh_n, Expr dc_n,
                        LstmAttrs attrs, const Loc& loc) {
  std::vector<Expr> ins = forward_inputs;
  for (Expr e : {workspace, dy, dh_n, dc_n}) ins.push_back(e);
  auto outs = dy.emitter().emit("lstm_backward", std::make_shared<graph::Attrs<LstmAttrs>>(attrs), ins, loc);
  return {outs[0], outs[1], outs[2], std::vector<Expr>(outs.begin() + 3, outs.end())};
}

}  // namespace flowgrad::ops
