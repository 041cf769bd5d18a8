#include "ops/lstm.h"

#include "ops/lstm_backward.h"
#include "ops/lstm_detail.h"
#include "ops/transpose.h"

namespace flowgrad::ops {
namespace lstm_detail {

uint64_t Geometry::fingerprint() const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the sizes
  for (int64_t v : {T, B, I, H, L, D, int64_t{has_state}, int64_t{has_lengths}}) {
    h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ull;
  }
  return h;
}

Geometry geometry_of(const LstmAttrs& a, std::span<const TensorType> inputs) {
  Geometry g;
  g.L = a.num_layers;
  g.D = a.bidirectional ? 2 : 1;
  g.H = a.hidden_size;
  g.T = inputs[0].shape[0];
  g.B = inputs[0].shape[1];
  g.I = inputs[0].shape[2];
  int64_t extra = static_cast<int64_t>(inputs.size()) - 1 - g.num_params();
  g.has_state = extra >= 2;
  g.has_lengths = extra == 1 || extra == 3;
  return g;
}

namespace {

void expect_type(const InferContext& ctx, const TensorType& got, const TensorType& want, const std::string& name) {
  if (got != want) ctx.fail("expected " + name + " of type " + want.str() + ", got " + got.str());
}

}  // namespace

Geometry check_forward_inputs(const InferContext& ctx, std::span<const TensorType> in) {
  const auto& a = ctx.attrs_as<LstmAttrs>();
  if (a.hidden_size < 1) ctx.fail("expected hidden_size >= 1, got " + std::to_string(a.hidden_size));
  if (a.num_layers < 1) ctx.fail("expected num_layers >= 1, got " + std::to_string(a.num_layers));
  if (in.empty()) ctx.fail("expected inputs x, parameters[, h0, c0][, lengths], got none");
  const TensorType& x = in[0];
  if (!graph::is_float(x.dtype) || x.rank() != 3) ctx.fail("expected x of type f32[T, B, I] or f64[T, B, I], got " + x.str());
  if (x.shape[0] < 1 || x.shape[1] < 1 || x.shape[2] < 1) {
    ctx.fail("expected x with T, B, I >= 1, got " + graph::shape_str(x.shape));
  }
  int64_t params = 4 * a.num_layers * (a.bidirectional ? 2 : 1);
  int64_t extra = static_cast<int64_t>(in.size()) - 1 - params;
  if (extra < 0 || extra > 3) {
    ctx.fail("expected " + std::to_string(1 + params) + " inputs (x and " + std::to_string(params) +
             " parameters) then optionally h0, c0 and lengths, got " + std::to_string(in.size()) + " inputs");
  }
  Geometry g = geometry_of(a, in);
  auto names = lstm_parameter_names(a);
  auto shapes = lstm_parameter_shapes(a, g.I);
  for (size_t k = 0; k < names.size(); ++k) {
    if (in[1 + k] != TensorType{x.dtype, shapes[k]}) {
      ctx.fail("expected " + names[k] + " of type " + TensorType{x.dtype, shapes[k]}.str() + ", got " + in[1 + k].str());
    }
  }
  TensorType state{x.dtype, {g.L * g.D, g.B, g.H}};
  if (g.has_state) {
    expect_type(ctx, in[g.h0_input()], state, "h0");
    expect_type(ctx, in[g.h0_input() + 1], state, "c0");
  }
  if (g.has_lengths) expect_type(ctx, in[g.lengths_input()], {DType::i32, {g.B}}, "lengths");
  return g;
}

void read_lengths(const Geometry& g, const int32_t* lengths, std::vector<int64_t>& out) {
  out.assign(g.B, g.T);
  if (!lengths) return;
  for (int64_t b = 0; b < g.B; ++b) {
    if (lengths[b] < 0 || lengths[b] > g.T) {
      throw ValueError("lstm: expected lengths in [0, " + std::to_string(g.T) + "], got " +
                       std::to_string(lengths[b]) + " at batch index " + std::to_string(b));
    }
    out[b] = lengths[b];
  }
}

}  // namespace lstm_detail

namespace {

using lstm_detail::Geometry;

std::vector<TensorType> infer(const InferContext& ctx) {
  Geometry g = lstm_detail::check_forward_inputs(ctx, ctx.inputs);
  DType t = ctx.in(0).dtype;
  TensorType state{t, {g.L * g.D, g.B, g.H}};
  // The workspace is oneDNN's opaque f32 state whatever x's dtype (the
  // reference kernel writes zeros into it).
  return {{t, {g.T, g.B, g.D * g.H}}, state, state, {DType::f32, {workspace_layout(g).floats()}}};
}

class ForwardKernel final : public Kernel {
 public:
  explicit ForwardKernel(const Geometry& g) : lanes_(static_cast<int>(g.lanes())), runner_(g, false) {}
  void run(const KernelArgs& a) override {
    runner_.forward(a.inputs, a.out<float>(0), a.out<float>(1), a.out<float>(2), a.outputs[3], a.step, a.threads,
                    *a.stream);
  }
  double cost() const override { return runner_.flops(); }
  bool scales_with_team() const override { return false; }
  int max_threads() const override { return lanes_; }  // a thread per lane

 private:
  int lanes_;
  lstm_detail::Runner runner_;
};

void reference(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  std::vector<TensorType> types;
  for (const Tensor& t : in) types.push_back(t.type());
  lstm_detail::reference_forward(lstm_detail::geometry_of(n.attrs_as<LstmAttrs>(), types), in, out);
  std::fill_n(out[3].data<float>(), out[3].numel(), 0.f);  // no oneDNN state
}

// One lstm_backward node gives dx, dh0, dc0 and every parameter gradient.
std::vector<std::optional<Expr>> grad(GradContext& c) {
  std::vector<TensorType> types;
  for (const Expr& e : c.inputs) types.push_back(e.type());
  Geometry g = lstm_detail::geometry_of(c.attrs<LstmAttrs>(), types);
  LstmGrads d = lstm_backward(c.inputs, c.out(3), c.dout(0), c.dout(1), c.dout(2), c.attrs<LstmAttrs>(), c.loc);
  std::vector<std::optional<Expr>> dins(c.inputs.size());  // lengths: none
  dins[0] = d.dx;
  for (int64_t k = 0; k < g.num_params(); ++k) dins[1 + k] = d.dparams[k];
  if (g.has_state) {
    dins[g.h0_input()] = d.dh0;
    dins[g.h0_input() + 1] = d.dc0;
  }
  return dins;
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "lstm",
    .num_inputs = kVariadic,
    .num_outputs = 4,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<LstmAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<ForwardKernel>(lstm_detail::geometry_of(ctx.attrs<LstmAttrs>(), ctx.inputs));
    },
    .reference = reference,
    .grad = grad,
    .hidden_outputs = 1,  // the workspace
});

LstmResult lstm(Expr x, const std::vector<Expr>& params, LstmAttrs attrs, LstmOptions options, const Loc& loc) {
  if (options.h0.has_value() != options.c0.has_value()) {
    throw ValueError(std::string("lstm: expected h0 and c0 together, got only ") + (options.h0 ? "h0" : "c0") +
                     " (at " + SourceLoc::from(loc).str() + ")");
  }
  if (options.batch_first) x = swap_axes(x, 0, 1, loc);  // [B, T, I] -> [T, B, I]
  std::vector<Expr> ins{x};
  ins.insert(ins.end(), params.begin(), params.end());
  if (options.h0) {
    ins.push_back(*options.h0);
    ins.push_back(*options.c0);
  }
  if (options.lengths) ins.push_back(*options.lengths);
  auto outs = x.emitter().emit("lstm", std::make_shared<graph::Attrs<LstmAttrs>>(attrs), ins, loc);
  Expr y = options.batch_first ? swap_axes(outs[0], 0, 1, loc) : outs[0];
  return {y, outs[1], outs[2], outs[3]};
}

std::vector<std::string> lstm_parameter_names(const LstmAttrs& a) {
  std::vector<std::string> names;
  for (int64_t l = 0; l < a.num_layers; ++l) {
    for (int d = 0; d < (a.bidirectional ? 2 : 1); ++d) {
      std::string suffix = "_l" + std::to_string(l) + (d ? "_reverse" : "");
      for (const char* base : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) names.push_back(base + suffix);
    }
  }
  return names;
}

std::vector<Shape> lstm_parameter_shapes(const LstmAttrs& a, int64_t input_size) {
  std::vector<Shape> shapes;
  const int64_t H = a.hidden_size, D = a.bidirectional ? 2 : 1;
  for (int64_t l = 0; l < a.num_layers; ++l) {
    for (int64_t d = 0; d < D; ++d) {
      shapes.push_back({4 * H, l == 0 ? input_size : D * H});
      shapes.push_back({4 * H, H});
      shapes.push_back({4 * H});
      shapes.push_back({4 * H});
    }
  }
  return shapes;
}

}  // namespace flowgrad::ops
