// The oneDNN side of lstm / lstm_backward: one left-to-right vanilla_lstm
// primitive (forward_training) and its backward per distinct layer input size,
// executed once per layer and direction. See ops/lstm.h for the padding scheme
// (reversed sequences, an extra "padded step" input channel).
//
// Weights travel as (per layer and direction, every run):
//   W_ih [4H, I_l] (= ldgoi) --reorder--> rows 0..I_l-1 of a plain ldigo buffer
//       [I_l + 1, 4, H] whose last row (the padding gates) is set once
//       --reorder--> the primitive's preferred layout
//   W_hh [4H, H]   (= ldgoi) --reorder--> the preferred layout
//   bias = b_ih + b_hh (a loop over 4H)
// and the weight gradients the reverse way (zeroed first: oneDNN accumulates).

#include <cstring>

#include "ops/dnnl_util.h"
#include "ops/lstm_detail.h"
#include "ops/lstm_kernel_util.h"
#include "ops/parallel.h"

namespace flowgrad::ops::lstm_detail {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

memory::desc md(const memory::dims& d, Tag t) { return memory::desc(d, memory::data_type::f32, t); }

size_t align64(size_t n) { return (n + 63) & ~size_t{63}; }

struct Descs {
  memory::desc src, state, weights_layer, weights_iter, bias, dst;
};

Descs descs(const Geometry& g, int64_t in) {
  return {md({g.T, g.B, in + 1}, Tag::tnc),        md({1, 1, g.B, g.H}, Tag::ldnc),
          md({1, 1, in + 1, 4, g.H}, Tag::any),    md({1, 1, g.H, 4, g.H}, Tag::any),
          md({1, 1, 4, g.H}, Tag::ldgo),           md({g.T, g.B, g.H}, Tag::tnc)};
}

dnnl::lstm_forward::primitive_desc forward_pd(const Geometry& g, int64_t in) {
  Descs m = descs(g, in);
  dnnl::lstm_forward::desc d(dnnl::prop_kind::forward_training, dnnl::rnn_direction::unidirectional_left2right, m.src,
                             m.state, m.state, m.weights_layer, m.weights_iter, m.bias, m.dst, m.state, m.state);
  return {d, scratchpad_attr(), cpu_engine()};
}

dnnl::lstm_backward::primitive_desc backward_pd(const Geometry& g, int64_t in,
                                                const dnnl::lstm_forward::primitive_desc& hint) {
  Descs m = descs(g, in);
  dnnl::lstm_backward::desc d(dnnl::prop_kind::backward, dnnl::rnn_direction::unidirectional_left2right, m.src,
                              m.state, m.state, m.weights_layer, m.weights_iter, m.bias, m.dst, m.state, m.state,
                              m.src, m.state, m.state, m.weights_layer, m.weights_iter, m.bias, m.dst, m.state,
                              m.state);
  return {d, scratchpad_attr(), cpu_engine(), hint};
}

dnnl::reorder::primitive_desc reorder_pd(const memory::desc& from, const memory::desc& to) {
  return {cpu_engine(), from, cpu_engine(), to, scratchpad_attr()};
}

std::vector<float> buffer_for(const memory::desc& d) { return std::vector<float>(d.get_size() / sizeof(float) + 1); }

}  // namespace

WorkspaceLayout workspace_layout(const Geometry& g) {
  size_t dnnl_bytes[2] = {forward_pd(g, g.layer_input(0)).workspace_desc().get_size(), 0};
  if (g.num_shape_classes() == 2) dnnl_bytes[1] = forward_pd(g, g.layer_input(1)).workspace_desc().get_size();
  WorkspaceLayout w;
  size_t off = sizeof(Header), f = sizeof(float);
  auto take = [&](size_t bytes) { return std::exchange(off, align64(off + bytes)); };
  for (int64_t l = 0; l < g.L; ++l) {
    for (int64_t d = 0; d < g.D; ++d) {
      WorkspaceLayout::Slot s;
      s.src = take(g.T * g.B * (g.layer_input(l) + 1) * f);
      s.dst = take(g.T * g.B * g.H * f);
      s.dst_iter = take(g.B * g.H * f);
      s.dst_iter_c = take(g.B * g.H * f);
      s.dnnl = take(dnnl_bytes[g.shape_class(l)]);
      w.slots.push_back(s);
    }
  }
  w.bytes = off;
  return w;
}

// Everything made once for one layer input size.
struct ShapeClass {
  int64_t in = 0;
  dnnl::lstm_forward::primitive_desc fpd;
  dnnl::lstm_backward::primitive_desc bpd;
  std::vector<float> wl_plain;        // [in + 1, 4, H] ldigo, last row = padding gates
  std::vector<float> wl_fwd, wi_fwd;  // preferred layouts of the forward
  Bound fwd, wl_to_plain, wl_to_fwd, wi_to_fwd;
  // with backward only
  std::vector<float> wl_bwd, wi_bwd, dwl, dwi, dwl_plain, diff_src;
  Bound bwd, wl_to_bwd, wi_to_bwd, dwl_to_plain, dwl_to_user, dwi_to_user;
};

struct Runner::Impl {
  Geometry g;
  WorkspaceLayout layout;
  bool with_backward = false;
  std::vector<ShapeClass> classes;
  std::vector<float> scratchpad, bias, dbias, zeros, ddst;
  std::vector<float> layer_buf[2];  // inputs of layers >= 1, [T, B, D·H]
  std::vector<int64_t> len;
  double flops = 0;

  void make_pds();
  void make_primitives(ShapeClass& c);
  void load_weights(ShapeClass& c, std::span<const std::byte* const> in, int64_t l, int64_t d, bool backward,
                    dnnl::stream& s);
  void forward_slot(std::span<const std::byte* const> in, int64_t l, int64_t d, const float* layer_in,
                    float* layer_out, float* h_n, float* c_n, std::byte* ws, dnnl::stream& s, int threads);
  void backward_slot(std::span<const std::byte* const> in, int64_t l, int64_t d, const std::byte* ws,
                     const float* d_out, float* d_in, const float* dh_n, const float* dc_n,
                     std::span<std::byte* const> out, dnnl::stream& s, int threads);
};

void Runner::Impl::make_pds() {
  size_t scratch = 0;
  for (int k = 0; k < g.num_shape_classes(); ++k) {
    ShapeClass& c = classes.emplace_back();
    c.in = g.layer_input(k == 0 ? 0 : 1);
    c.fpd = forward_pd(g, c.in);
    scratch = std::max(scratch, c.fpd.scratchpad_desc().get_size());
    if (with_backward) {
      c.bpd = backward_pd(g, c.in, c.fpd);
      scratch = std::max(scratch, c.bpd.scratchpad_desc().get_size());
    }
  }
  scratchpad.assign(scratch / sizeof(float) + 1, 0.f);
}

void Runner::Impl::make_primitives(ShapeClass& c) {
  const int64_t H = g.H;
  memory::desc user_wl = md({1, 1, c.in, 4, H}, Tag::ldgoi), user_wi = md({1, 1, H, 4, H}, Tag::ldgoi);
  memory::desc plain = md({1, 1, c.in + 1, 4, H}, Tag::ldigo);
  memory::desc plain_rows = plain.submemory_desc({1, 1, c.in, 4, H}, {0, 0, 0, 0, 0});
  c.wl_plain.assign((c.in + 1) * 4 * H, 0.f);
  for (int64_t o = 0; o < H; ++o) {  // gate order i, f, c~, o: close i, open f
    c.wl_plain[(c.in * 4 + 0) * H + o] = -kPadGate;
    c.wl_plain[(c.in * 4 + 1) * H + o] = kPadGate;
  }
  float* sp = scratchpad.data();
  c.fwd = Bound::lstm(c.fpd, sp);
  c.wl_to_plain = Bound::reorder(reorder_pd(user_wl, plain_rows), sp);
  c.wl_to_plain.set(DNNL_ARG_DST, c.wl_plain.data());
  c.wl_fwd = buffer_for(c.fpd.weights_layer_desc());
  c.wi_fwd = buffer_for(c.fpd.weights_iter_desc());
  c.wl_to_fwd = Bound::reorder(reorder_pd(plain, c.fpd.weights_layer_desc()), sp, c.wl_plain.data(), c.wl_fwd.data());
  c.wi_to_fwd = Bound::reorder(reorder_pd(user_wi, c.fpd.weights_iter_desc()), sp, nullptr, c.wi_fwd.data());
  c.fwd.set(DNNL_ARG_WEIGHTS_LAYER, c.wl_fwd.data());
  c.fwd.set(DNNL_ARG_WEIGHTS_ITER, c.wi_fwd.data());
  c.fwd.set(DNNL_ARG_BIAS, bias.data());
  if (!with_backward) return;
  c.bwd = Bound::lstm(c.bpd, sp);
  c.wl_bwd = buffer_for(c.bpd.weights_layer_desc());
  c.wi_bwd = buffer_for(c.bpd.weights_iter_desc());
  c.dwl = buffer_for(c.bpd.diff_weights_layer_desc());
  c.dwi = buffer_for(c.bpd.diff_weights_iter_desc());
  c.dwl_plain.assign((c.in + 1) * 4 * H, 0.f);
  c.diff_src.assign(g.T * g.B * (c.in + 1), 0.f);
  c.wl_to_bwd = Bound::reorder(reorder_pd(plain, c.bpd.weights_layer_desc()), sp, c.wl_plain.data(), c.wl_bwd.data());
  c.wi_to_bwd = Bound::reorder(reorder_pd(user_wi, c.bpd.weights_iter_desc()), sp, nullptr, c.wi_bwd.data());
  c.dwl_to_plain =
      Bound::reorder(reorder_pd(c.bpd.diff_weights_layer_desc(), plain), sp, c.dwl.data(), c.dwl_plain.data());
  c.dwl_to_user = Bound::reorder(reorder_pd(plain_rows, user_wl), sp, c.dwl_plain.data(), nullptr);
  c.dwi_to_user = Bound::reorder(reorder_pd(c.bpd.diff_weights_iter_desc(), user_wi), sp, c.dwi.data(), nullptr);
  for (auto [arg, p] : {std::pair{DNNL_ARG_WEIGHTS_LAYER, c.wl_bwd.data()}, {DNNL_ARG_WEIGHTS_ITER, c.wi_bwd.data()},
                        {DNNL_ARG_BIAS, bias.data()}, {DNNL_ARG_DIFF_WEIGHTS_LAYER, c.dwl.data()},
                        {DNNL_ARG_DIFF_WEIGHTS_ITER, c.dwi.data()}, {DNNL_ARG_DIFF_BIAS, dbias.data()},
                        {DNNL_ARG_DIFF_SRC_LAYER, c.diff_src.data()}, {DNNL_ARG_DIFF_DST_LAYER, ddst.data()},
                        {DNNL_ARG_DIFF_DST_ITER, zeros.data()}}) {
    c.bwd.set(arg, p);
  }
}

Runner::Runner(const Geometry& g, bool with_backward) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.g = g;
  m.with_backward = with_backward;
  m.layout = workspace_layout(g);
  m.bias.assign(4 * g.H, 0.f);
  m.dbias.assign(4 * g.H, 0.f);
  m.zeros.assign(g.B * g.H, 0.f);
  m.len.assign(g.B, g.T);
  if (with_backward) m.ddst.assign(g.T * g.B * g.H, 0.f);
  for (int k = 0; k < std::min<int64_t>(g.L - 1, 2); ++k) m.layer_buf[k].assign(g.T * g.B * g.D * g.H, 0.f);
  m.make_pds();
  for (ShapeClass& c : m.classes) m.make_primitives(c);
  for (int64_t l = 0; l < g.L; ++l) {
    m.flops += 2.0 * g.D * g.T * g.B * 4 * g.H * (g.layer_input(l) + 1 + g.H) * (with_backward ? 2 : 1);
  }
}

Runner::~Runner() = default;

const WorkspaceLayout& Runner::layout() const { return impl_->layout; }
double Runner::flops() const { return impl_->flops; }

void Runner::Impl::load_weights(ShapeClass& c, std::span<const std::byte* const> in, int64_t l, int64_t d,
                                bool backward, dnnl::stream& s) {
  const float* b_ih = reinterpret_cast<const float*>(in[g.param(l, d, 2)]);
  const float* b_hh = reinterpret_cast<const float*>(in[g.param(l, d, 3)]);
  for (int64_t k = 0; k < 4 * g.H; ++k) bias[k] = b_ih[k] + b_hh[k];
  c.wl_to_plain.set(DNNL_ARG_SRC, in[g.param(l, d, 0)]);
  c.wl_to_plain.run(s);
  (backward ? c.wl_to_bwd : c.wl_to_fwd).run(s);
  Bound& wi = backward ? c.wi_to_bwd : c.wi_to_fwd;
  wi.set(DNNL_ARG_SRC, in[g.param(l, d, 1)]);
  wi.run(s);
}

void Runner::forward(std::span<const std::byte* const> in, float* y, float* h_n, float* c_n, std::byte* ws,
                     uint64_t step, int threads, dnnl::stream& s) {
  Impl& m = *impl_;
  const Geometry& g = m.g;
  read_lengths(g, g.has_lengths ? reinterpret_cast<const int32_t*>(in[g.lengths_input()]) : nullptr, m.len);
  Header h{kMagic, step, g.fingerprint(), {}};
  std::memcpy(ws, &h, sizeof h);
  const float* layer_in = reinterpret_cast<const float*>(in[0]);
  for (int64_t l = 0; l < g.L; ++l) {
    float* layer_out = l == g.L - 1 ? y : m.layer_buf[l % 2].data();
    for (int64_t d = 0; d < g.D; ++d) m.forward_slot(in, l, d, layer_in, layer_out, h_n, c_n, ws, s, threads);
    layer_in = layer_out;
  }
}

void Runner::Impl::forward_slot(std::span<const std::byte* const> in, int64_t l, int64_t d, const float* layer_in,
                                float* layer_out, float* h_n, float* c_n, std::byte* ws, dnnl::stream& s,
                                int threads) {
  ShapeClass& c = classes[g.shape_class(l)];
  const WorkspaceLayout::Slot& slot = layout.slots[l * g.D + d];
  const int64_t BH = g.B * g.H, state = (l * g.D + d) * BH;
  load_weights(c, in, l, d, false, s);
  float* src = reinterpret_cast<float*>(ws + slot.src);
  float* dst = reinterpret_cast<float*>(ws + slot.dst);
  Steps steps{g.T, g.B, len.data(), d == 1};
  steps.gather_input(layer_in, c.in, src, threads);
  const float* h0 = g.has_state ? reinterpret_cast<const float*>(in[g.h0_input()]) + state : zeros.data();
  const float* c0 = g.has_state ? reinterpret_cast<const float*>(in[g.h0_input() + 1]) + state : zeros.data();
  c.fwd.set(DNNL_ARG_SRC_LAYER, src);
  c.fwd.set(DNNL_ARG_SRC_ITER, h0);
  c.fwd.set(DNNL_ARG_SRC_ITER_C, c0);
  c.fwd.set(DNNL_ARG_DST_LAYER, dst);
  c.fwd.set(DNNL_ARG_DST_ITER, ws + slot.dst_iter);
  c.fwd.set(DNNL_ARG_DST_ITER_C, ws + slot.dst_iter_c);
  c.fwd.set(DNNL_ARG_WORKSPACE, ws + slot.dnnl);
  c.fwd.run(s);
  s.wait();
  steps.scatter_output(dst, g.H, g.D * g.H, d * g.H, layer_out, threads);
  steps.final_hidden(dst, h0, g.H, h_n + state);
  std::memcpy(c_n + state, ws + slot.dst_iter_c, BH * sizeof(float));
}

void Runner::backward(std::span<const std::byte* const> in, const std::byte* ws, const float* dy, const float* dh_n,
                      const float* dc_n, std::span<std::byte* const> out, int threads, dnnl::stream& s) {
  Impl& m = *impl_;
  const Geometry& g = m.g;
  FLOWGRAD_CHECK(m.with_backward, "lstm runner built without backward");
  read_lengths(g, g.has_lengths ? reinterpret_cast<const int32_t*>(in[g.lengths_input()]) : nullptr, m.len);
  // dy of layer l: the op's dy for the last layer, else what layer l + 1 sent back.
  const float* d_out = dy;
  for (int64_t l = g.L - 1; l >= 0; --l) {
    float* d_in = l == 0 ? reinterpret_cast<float*>(out[0]) : m.layer_buf[(l - 1) % 2].data();
    std::memset(d_in, 0, g.T * g.B * g.layer_input(l) * sizeof(float));
    for (int64_t d = 0; d < g.D; ++d) m.backward_slot(in, l, d, ws, d_out, d_in, dh_n, dc_n, out, s, threads);
    d_out = d_in;
  }
}

void Runner::Impl::backward_slot(std::span<const std::byte* const> in, int64_t l, int64_t d, const std::byte* ws,
                                 const float* d_out, float* d_in, const float* dh_n, const float* dc_n,
                                 std::span<std::byte* const> out, dnnl::stream& s, int threads) {
  ShapeClass& c = classes[g.shape_class(l)];
  const WorkspaceLayout::Slot& slot = layout.slots[l * g.D + d];
  const int64_t BH = g.B * g.H, state = (l * g.D + d) * BH;
  load_weights(c, in, l, d, true, s);
  Steps steps{g.T, g.B, len.data(), d == 1};
  steps.gather_output_grad(d_out, g.H, g.D * g.H, d * g.H, dh_n + state, ddst.data(), threads);
  std::memset(c.dwl.data(), 0, c.dwl.size() * sizeof(float));  // oneDNN accumulates
  std::memset(c.dwi.data(), 0, c.dwi.size() * sizeof(float));
  std::memset(dbias.data(), 0, dbias.size() * sizeof(float));
  float* dh0 = reinterpret_cast<float*>(out[1]) + state;
  float* dc0 = reinterpret_cast<float*>(out[2]) + state;
  const float* h0 = g.has_state ? reinterpret_cast<const float*>(in[g.h0_input()]) + state : zeros.data();
  const float* c0 = g.has_state ? reinterpret_cast<const float*>(in[g.h0_input() + 1]) + state : zeros.data();
  c.bwd.set(DNNL_ARG_SRC_LAYER, ws + slot.src);
  c.bwd.set(DNNL_ARG_SRC_ITER, h0);
  c.bwd.set(DNNL_ARG_SRC_ITER_C, c0);
  c.bwd.set(DNNL_ARG_DST_LAYER, ws + slot.dst);
  c.bwd.set(DNNL_ARG_DST_ITER, ws + slot.dst_iter);
  c.bwd.set(DNNL_ARG_DST_ITER_C, ws + slot.dst_iter_c);
  c.bwd.set(DNNL_ARG_WORKSPACE, ws + slot.dnnl);
  c.bwd.set(DNNL_ARG_DIFF_SRC_ITER, dh0);
  c.bwd.set(DNNL_ARG_DIFF_SRC_ITER_C, dc0);
  c.bwd.set(DNNL_ARG_DIFF_DST_ITER_C, dc_n + state);
  c.bwd.run(s);
  s.wait();
  steps.empty_sequences_pass(dh_n + state, g.H, dh0);  // h_n = h0 where len = 0
  steps.scatter_add_input_grad(c.diff_src.data(), c.in, d_in, threads);
  // Weight gradients back to PyTorch's layout: the outputs after dx, dh0, dc0.
  std::byte* const* dparam = out.data() + 3 + 4 * (l * g.D + d);
  c.dwl_to_plain.run(s);
  c.dwl_to_user.set(DNNL_ARG_DST, dparam[0]);
  c.dwl_to_user.run(s);
  c.dwi_to_user.set(DNNL_ARG_DST, dparam[1]);
  c.dwi_to_user.run(s);
  s.wait();
  std::memcpy(dparam[2], dbias.data(), dbias.size() * sizeof(float));
  std::memcpy(dparam[3], dbias.data(), dbias.size() * sizeof(float));
}

}  // namespace flowgrad::ops::lstm_detail
