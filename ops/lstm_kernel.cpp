// The oneDNN side of lstm / lstm_backward: left-to-right vanilla_lstm
// primitives (forward_training and backward), run once per layer and lane.
// See ops/lstm.h for the padding scheme (reversed sequences, an extra "padded
// step" input channel).
//
// Lanes (Geometry::lanes()): one per direction and batch part. A lane owns
// its primitives (one pair per distinct layer input size, made for its part's
// batch), scratchpad, stream and gradient buffers, so the lanes of a layer
// run concurrently, one OpenMP thread each, when the kernel has 2+ threads.
// That is the point: every time step of an LSTM is a small GEMM (M = batch
// rows), which oneDNN splits over its team with a barrier per step, while two
// lanes on one core each run at one core's speed with one join per layer.
// The lanes are fixed by the shapes, so every thread count computes the same
// thing: the parts' weight gradients are added in part order.
//
// Weights travel as (per layer and direction, every run, shared by the
// direction's lanes, whose primitives all take lane 0's layouts):
//   W_ih [4H, I_l] (= ldgoi) --reorder--> rows 0..I_l-1 of a plain ldigo buffer
//       [I_l + 1, 4, H] whose last row (the padding gates) is set once
//       --reorder--> the primitives' preferred layout
//   W_hh [4H, H]   (= ldgoi) --reorder--> the preferred layout
//   bias = b_ih + b_hh (a loop over 4H)
// and the weight gradients the reverse way (each lane's zeroed first: oneDNN
// accumulates; then parts summed into part 0's).

#include <cstring>

#include "ops/dnnl_util.h"
#include "ops/lstm_detail.h"
#include "ops/lstm_kernel_util.h"
#include "ops/parallel.h"

namespace flowgrad::ops::lstm_detail {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using FwdPd = dnnl::lstm_forward::primitive_desc;
using BwdPd = dnnl::lstm_backward::primitive_desc;

memory::desc md(const memory::dims& d, Tag t) { return memory::desc(d, memory::data_type::f32, t); }

size_t align64(size_t n) { return (n + 63) & ~size_t{63}; }

// Primitive descriptors of one layer input size `in` and a batch part of nb
// sequences. Weight layouts are oneDNN's choice for the first lane (`first`
// null) and that lane's choice for the others.
FwdPd forward_pd(const Geometry& g, int64_t in, int64_t nb, const FwdPd* first) {
  memory::desc src = md({g.T, nb, in + 1}, Tag::tnc), state = md({1, 1, nb, g.H}, Tag::ldnc);
  memory::desc wl = first ? first->weights_layer_desc() : md({1, 1, in + 1, 4, g.H}, Tag::any);
  memory::desc wi = first ? first->weights_iter_desc() : md({1, 1, g.H, 4, g.H}, Tag::any);
  memory::desc bias = md({1, 1, 4, g.H}, Tag::ldgo), dst = md({g.T, nb, g.H}, Tag::tnc);
  dnnl::lstm_forward::desc d(dnnl::prop_kind::forward_training, dnnl::rnn_direction::unidirectional_left2right, src,
                             state, state, wl, wi, bias, dst, state, state);
  return {d, scratchpad_attr(), cpu_engine()};
}

BwdPd backward_pd(const Geometry& g, int64_t in, int64_t nb, const FwdPd& hint, const BwdPd* first) {
  memory::desc src = md({g.T, nb, in + 1}, Tag::tnc), state = md({1, 1, nb, g.H}, Tag::ldnc);
  memory::desc any_wl = md({1, 1, in + 1, 4, g.H}, Tag::any), any_wi = md({1, 1, g.H, 4, g.H}, Tag::any);
  memory::desc wl = first ? first->weights_layer_desc() : any_wl, wi = first ? first->weights_iter_desc() : any_wi;
  memory::desc dwl = first ? first->diff_weights_layer_desc() : any_wl;
  memory::desc dwi = first ? first->diff_weights_iter_desc() : any_wi;
  memory::desc bias = md({1, 1, 4, g.H}, Tag::ldgo), dst = md({g.T, nb, g.H}, Tag::tnc);
  dnnl::lstm_backward::desc d(dnnl::prop_kind::backward, dnnl::rnn_direction::unidirectional_left2right, src, state,
                              state, wl, wi, bias, dst, state, state, src, state, state, dwl, dwi, bias, dst, state,
                              state);
  return {d, scratchpad_attr(), cpu_engine(), hint};
}

dnnl::reorder::primitive_desc reorder_pd(const memory::desc& from, const memory::desc& to) {
  return {cpu_engine(), from, cpu_engine(), to, scratchpad_attr()};
}

std::vector<float> buffer_for(const memory::desc& d) { return std::vector<float>(d.get_size() / sizeof(float) + 1); }


// Workspace bytes oneDNN needs per shape class and part.
std::vector<std::vector<size_t>> dnnl_workspace_bytes(const Geometry& g) {
  std::vector<std::vector<size_t>> bytes(g.num_shape_classes());
  for (int k = 0; k < g.num_shape_classes(); ++k) {
    const int64_t in = g.layer_input(k == 0 ? 0 : 1);
    FwdPd first = forward_pd(g, in, g.part_begin(1) - g.part_begin(0), nullptr);
    for (int64_t p = 0; p < g.parts(); ++p) {
      const int64_t nb = g.part_begin(p + 1) - g.part_begin(p);
      bytes[k].push_back((p == 0 ? first : forward_pd(g, in, nb, &first)).workspace_desc().get_size());
    }
  }
  return bytes;
}

}  // namespace

WorkspaceLayout workspace_layout(const Geometry& g) {
  const auto dnnl_bytes = dnnl_workspace_bytes(g);
  WorkspaceLayout w;
  size_t off = sizeof(Header), f = sizeof(float);
  auto take = [&](size_t bytes) { return std::exchange(off, align64(off + bytes)); };
  for (int64_t l = 0; l < g.L; ++l) {
    for (int64_t d = 0; d < g.D; ++d) {
      for (int64_t p = 0; p < g.parts(); ++p) {
        const int64_t nb = g.part_begin(p + 1) - g.part_begin(p);
        WorkspaceLayout::Slot s;
        s.src = take(g.T * nb * (g.layer_input(l) + 1) * f);
        s.dst = take(g.T * nb * g.H * f);
        s.dst_iter = take(nb * g.H * f);
        s.dst_iter_c = take(nb * g.H * f);
        s.dnnl = take(dnnl_bytes[g.shape_class(l)][p]);
        w.slots.push_back(s);  // index g.slot(l, d, p)
      }
    }
  }
  w.bytes = off;
  return w;
}

// One lane's primitives for one layer input size.
struct LanePrimitives {
  FwdPd fpd;
  BwdPd bpd;
  Bound fwd, bwd;
  std::vector<float> dwl, dwi, diff_src;  // with backward only
};

// One direction and batch part of every layer.
struct Lane {
  int64_t d = 0, p = 0, b0 = 0, nb = 0;
  dnnl::stream stream;
  std::vector<float> scratchpad, dbias, ddst;
  std::vector<LanePrimitives> classes;  // per shape class
};

// One direction's weights for one layer input size, in the lanes' layouts.
struct Weights {
  std::vector<float> plain;              // [in + 1, 4, H] ldigo, last row = padding gates
  std::vector<float> wl_fwd, wi_fwd, bias;
  Bound to_plain, wl_to_fwd, wi_to_fwd;
  // with backward only
  std::vector<float> wl_bwd, wi_bwd, dwl_plain;
  Bound wl_to_bwd, wi_to_bwd, dwl_to_plain, dwl_to_user, dwi_to_user;
};

struct Runner::Impl {
  Geometry g;
  WorkspaceLayout layout;
  bool with_backward = false;
  std::vector<Lane> lanes;                   // index d · parts + p
  std::vector<std::vector<Weights>> weights;  // [shape class][direction]
  std::vector<float> zeros;                   // [B, H]: default states, dh_n-free dh
  std::vector<float> layer_buf[2];            // inputs of layers >= 1, [T, B, D·H]
  std::vector<int64_t> len;
  double flops = 0;

  int64_t in_of(int k) const { return g.layer_input(k == 0 ? 0 : 1); }
  void make_lane(Lane& lane);
  void make_weights(Weights& w, int k, int64_t d);
  void load_weights(int k, int64_t l, int64_t d, std::span<const std::byte* const> in, bool backward, dnnl::stream& s);
  void forward_lane(std::span<const std::byte* const> in, int64_t l, Lane& lane, const float* layer_in,
                    float* layer_out, float* h_n, float* c_n, std::byte* ws, int team);
  void backward_lane(std::span<const std::byte* const> in, int64_t l, Lane& lane, const std::byte* ws,
                     const float* d_out, const float* dh_n, const float* dc_n, float* dh0, float* dc0, int team);
  void weight_grads(int64_t l, int64_t d, std::span<std::byte* const> out, dnnl::stream& s);
};

void Runner::Impl::make_lane(Lane& lane) {
  const Lane* first = lane.d == 0 && lane.p == 0 ? nullptr : &lanes[0];
  size_t scratch = 0;
  for (int k = 0; k < g.num_shape_classes(); ++k) {
    LanePrimitives& c = lane.classes.emplace_back();
    c.fpd = forward_pd(g, in_of(k), lane.nb, first ? &first->classes[k].fpd : nullptr);
    scratch = std::max(scratch, c.fpd.scratchpad_desc().get_size());
    if (with_backward) {
      c.bpd = backward_pd(g, in_of(k), lane.nb, c.fpd, first ? &first->classes[k].bpd : nullptr);
      scratch = std::max(scratch, c.bpd.scratchpad_desc().get_size());
    }
  }
  lane.scratchpad.assign(scratch / sizeof(float) + 1, 0.f);
  lane.stream = dnnl::stream(cpu_engine());
  if (with_backward) {
    lane.dbias.assign(4 * g.H, 0.f);
    lane.ddst.assign(g.T * lane.nb * g.H, 0.f);
  }
  float* sp = lane.scratchpad.data();
  for (int k = 0; k < g.num_shape_classes(); ++k) {
    LanePrimitives& c = lane.classes[k];
    c.fwd = Bound::lstm(c.fpd, sp);
    if (!with_backward) continue;
    c.bwd = Bound::lstm(c.bpd, sp);
    c.dwl = buffer_for(c.bpd.diff_weights_layer_desc());
    c.dwi = buffer_for(c.bpd.diff_weights_iter_desc());
    c.diff_src.assign(g.T * lane.nb * (in_of(k) + 1), 0.f);
    for (auto [arg, ptr] : {std::pair{DNNL_ARG_DIFF_WEIGHTS_LAYER, c.dwl.data()}, {DNNL_ARG_DIFF_WEIGHTS_ITER, c.dwi.data()},
                            {DNNL_ARG_DIFF_BIAS, lane.dbias.data()}, {DNNL_ARG_DIFF_SRC_LAYER, c.diff_src.data()},
                            {DNNL_ARG_DIFF_DST_LAYER, lane.ddst.data()}, {DNNL_ARG_DIFF_DST_ITER, zeros.data()}}) {
      c.bwd.set(arg, ptr);
    }
  }
}

namespace {

// Points a lane's forward or backward primitive at the direction's shared
// weights (in lane 0's layouts).
void bind_weights(Bound& primitive, const std::vector<float>& layer, const std::vector<float>& iter,
                  const std::vector<float>& bias) {
  primitive.set(DNNL_ARG_WEIGHTS_LAYER, layer.data());
  primitive.set(DNNL_ARG_WEIGHTS_ITER, iter.data());
  primitive.set(DNNL_ARG_BIAS, bias.data());
}

}  // namespace

// Reorders into (and gradients out of) the layouts of lane 0, which every
// lane uses; they run on the calling thread between the lanes' runs, so they
// share lane 0's scratchpad.
void Runner::Impl::make_weights(Weights& w, int k, int64_t d) {
  const int64_t H = g.H, in = in_of(k);
  const LanePrimitives& first = lanes[0].classes[k];
  memory::desc user_wl = md({1, 1, in, 4, H}, Tag::ldgoi), user_wi = md({1, 1, H, 4, H}, Tag::ldgoi);
  memory::desc plain = md({1, 1, in + 1, 4, H}, Tag::ldigo);
  memory::desc plain_rows = plain.submemory_desc({1, 1, in, 4, H}, {0, 0, 0, 0, 0});
  w.plain.assign((in + 1) * 4 * H, 0.f);
  for (int64_t o = 0; o < H; ++o) {  // gate order i, f, c~, o: close i, open f
    w.plain[(in * 4 + 0) * H + o] = -kPadGate;
    w.plain[(in * 4 + 1) * H + o] = kPadGate;
  }
  w.bias.assign(4 * H, 0.f);
  float* sp = lanes[0].scratchpad.data();
  w.to_plain = Bound::reorder(reorder_pd(user_wl, plain_rows), sp, nullptr, w.plain.data());
  w.wl_fwd = buffer_for(first.fpd.weights_layer_desc());
  w.wi_fwd = buffer_for(first.fpd.weights_iter_desc());
  w.wl_to_fwd = Bound::reorder(reorder_pd(plain, first.fpd.weights_layer_desc()), sp, w.plain.data(), w.wl_fwd.data());
  w.wi_to_fwd = Bound::reorder(reorder_pd(user_wi, first.fpd.weights_iter_desc()), sp, nullptr, w.wi_fwd.data());
  for (int64_t p = 0; p < g.parts(); ++p) {
    bind_weights(lanes[d * g.parts() + p].classes[k].fwd, w.wl_fwd, w.wi_fwd, w.bias);
  }
  if (!with_backward) return;
  w.wl_bwd = buffer_for(first.bpd.weights_layer_desc());
  w.wi_bwd = buffer_for(first.bpd.weights_iter_desc());
  w.dwl_plain.assign((in + 1) * 4 * H, 0.f);
  w.wl_to_bwd = Bound::reorder(reorder_pd(plain, first.bpd.weights_layer_desc()), sp, w.plain.data(), w.wl_bwd.data());
  w.wi_to_bwd = Bound::reorder(reorder_pd(user_wi, first.bpd.weights_iter_desc()), sp, nullptr, w.wi_bwd.data());
  // Gradients are summed into the direction's part-0 lane.
  LanePrimitives& sum = lanes[d * g.parts()].classes[k];
  w.dwl_to_plain = Bound::reorder(reorder_pd(first.bpd.diff_weights_layer_desc(), plain), sp, sum.dwl.data(),
                                  w.dwl_plain.data());
  w.dwl_to_user = Bound::reorder(reorder_pd(plain_rows, user_wl), sp, w.dwl_plain.data(), nullptr);
  w.dwi_to_user = Bound::reorder(reorder_pd(first.bpd.diff_weights_iter_desc(), user_wi), sp, sum.dwi.data(), nullptr);
  for (int64_t p = 0; p < g.parts(); ++p) {
    bind_weights(lanes[d * g.parts() + p].classes[k].bwd, w.wl_bwd, w.wi_bwd, w.bias);
  }
}

Runner::Runner(const Geometry& g, bool with_backward) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.g = g;
  m.with_backward = with_backward;
  m.layout = workspace_layout(g);
  m.zeros.assign(g.B * g.H, 0.f);
  m.len.assign(g.B, g.T);
  for (int k = 0; k < std::min<int64_t>(g.L - 1, 2); ++k) m.layer_buf[k].assign(g.T * g.B * g.D * g.H, 0.f);
  {
    OpenMpTeam one(1);  // lanes run on one thread each (oneDNN fixes some primitives' team at creation)
    m.lanes.resize(g.lanes());
    for (int64_t d = 0; d < g.D; ++d) {
      for (int64_t p = 0; p < g.parts(); ++p) {
        Lane& lane = m.lanes[d * g.parts() + p];
        lane.d = d, lane.p = p, lane.b0 = g.part_begin(p), lane.nb = g.part_begin(p + 1) - g.part_begin(p);
        m.make_lane(lane);
      }
    }
  }
  m.weights.resize(g.num_shape_classes());
  for (int k = 0; k < g.num_shape_classes(); ++k) {
    m.weights[k].resize(g.D);
    for (int64_t d = 0; d < g.D; ++d) m.make_weights(m.weights[k][d], k, d);
  }
  for (int64_t l = 0; l < g.L; ++l) {
    m.flops += 2.0 * g.D * g.T * g.B * 4 * g.H * (g.layer_input(l) + 1 + g.H) * (with_backward ? 2 : 1);
  }
}

Runner::~Runner() = default;

const WorkspaceLayout& Runner::layout() const { return impl_->layout; }
double Runner::flops() const { return impl_->flops; }

void Runner::Impl::load_weights(int k, int64_t l, int64_t d, std::span<const std::byte* const> in, bool backward,
                                dnnl::stream& s) {
  Weights& w = weights[k][d];
  const float* b_ih = reinterpret_cast<const float*>(in[g.param(l, d, 2)]);
  const float* b_hh = reinterpret_cast<const float*>(in[g.param(l, d, 3)]);
  for (int64_t i = 0; i < 4 * g.H; ++i) w.bias[i] = b_ih[i] + b_hh[i];
  w.to_plain.set(DNNL_ARG_SRC, in[g.param(l, d, 0)]);
  w.to_plain.run(s);
  (backward ? w.wl_to_bwd : w.wl_to_fwd).run(s);
  Bound& wi = backward ? w.wi_to_bwd : w.wi_to_fwd;
  wi.set(DNNL_ARG_SRC, in[g.param(l, d, 1)]);
  wi.run(s);
  s.wait();
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
    for (int64_t d = 0; d < g.D; ++d) m.load_weights(g.shape_class(l), l, d, in, false, s);
    run_lanes(g.lanes(), threads, [&](int64_t u, int team) {
      m.forward_lane(in, l, m.lanes[u], layer_in, layer_out, h_n, c_n, ws, team);
    });
    layer_in = layer_out;
  }
}

void Runner::Impl::forward_lane(std::span<const std::byte* const> in, int64_t l, Lane& lane, const float* layer_in,
                                float* layer_out, float* h_n, float* c_n, std::byte* ws, int team) {
  LanePrimitives& c = lane.classes[g.shape_class(l)];
  const WorkspaceLayout::Slot& slot = layout.slots[g.slot(l, lane.d, lane.p)];
  const int64_t state = (l * g.D + lane.d) * g.B * g.H, part = lane.b0 * g.H;  // offsets into [L·D, B, H]
  float* src = reinterpret_cast<float*>(ws + slot.src);
  float* dst = reinterpret_cast<float*>(ws + slot.dst);
  Steps steps{g.T, g.B, lane.b0, lane.nb, len.data(), lane.d == 1};
  steps.gather_input(layer_in, g.layer_input(l), src, team);
  const float* h0 = g.has_state ? reinterpret_cast<const float*>(in[g.h0_input()]) + state : zeros.data();  // [B, H]
  const float* c0 = g.has_state ? reinterpret_cast<const float*>(in[g.h0_input() + 1]) + state : zeros.data();
  c.fwd.set(DNNL_ARG_SRC_LAYER, src);
  c.fwd.set(DNNL_ARG_SRC_ITER, h0 + part);
  c.fwd.set(DNNL_ARG_SRC_ITER_C, c0 + part);
  c.fwd.set(DNNL_ARG_DST_LAYER, dst);
  c.fwd.set(DNNL_ARG_DST_ITER, ws + slot.dst_iter);
  c.fwd.set(DNNL_ARG_DST_ITER_C, ws + slot.dst_iter_c);
  c.fwd.set(DNNL_ARG_WORKSPACE, ws + slot.dnnl);
  c.fwd.run(lane.stream);
  lane.stream.wait();
  steps.scatter_output(dst, g.H, g.D * g.H, lane.d * g.H, layer_out, team);
  steps.final_hidden(dst, h0, g.H, h_n + state);
  std::memcpy(c_n + state + part, ws + slot.dst_iter_c, lane.nb * g.H * sizeof(float));
}

void Runner::backward(std::span<const std::byte* const> in, const std::byte* ws, const float* dy, const float* dh_n,
                      const float* dc_n, std::span<std::byte* const> out, int threads, dnnl::stream& s) {
  Impl& m = *impl_;
  const Geometry& g = m.g;
  FLOWGRAD_CHECK(m.with_backward, "lstm runner built without backward");
  read_lengths(g, g.has_lengths ? reinterpret_cast<const int32_t*>(in[g.lengths_input()]) : nullptr, m.len);
  float* dh0 = reinterpret_cast<float*>(out[1]);
  float* dc0 = reinterpret_cast<float*>(out[2]);
  // dy of layer l: the op's dy for the last layer, else what layer l + 1 sent back.
  const float* d_out = dy;
  for (int64_t l = g.L - 1; l >= 0; --l) {
    const int k = g.shape_class(l);
    float* d_in = l == 0 ? reinterpret_cast<float*>(out[0]) : m.layer_buf[(l - 1) % 2].data();
    for (int64_t d = 0; d < g.D; ++d) m.load_weights(k, l, d, in, true, s);
    run_lanes(g.lanes(), threads, [&](int64_t u, int team) {
      m.backward_lane(in, l, m.lanes[u], ws, d_out, dh_n, dc_n, dh0, dc0, team);
    });
    // Both directions add into d_in: in direction order, as at any thread count.
    std::memset(d_in, 0, g.T * g.B * g.layer_input(l) * sizeof(float));
    for (const Lane& lane : m.lanes) {
      Steps steps{g.T, g.B, lane.b0, lane.nb, m.len.data(), lane.d == 1};
      steps.scatter_add_input_grad(lane.classes[k].diff_src.data(), g.layer_input(l), d_in, threads);
    }
    for (int64_t d = 0; d < g.D; ++d) m.weight_grads(l, d, out, s);
    d_out = d_in;
  }
}

void Runner::Impl::backward_lane(std::span<const std::byte* const> in, int64_t l, Lane& lane, const std::byte* ws,
                                 const float* d_out, const float* dh_n, const float* dc_n, float* dh0, float* dc0,
                                 int team) {
  LanePrimitives& c = lane.classes[g.shape_class(l)];
  const WorkspaceLayout::Slot& slot = layout.slots[g.slot(l, lane.d, lane.p)];
  const int64_t state = (l * g.D + lane.d) * g.B * g.H, part = lane.b0 * g.H;  // offsets into [L·D, B, H]
  Steps steps{g.T, g.B, lane.b0, lane.nb, len.data(), lane.d == 1};
  steps.gather_output_grad(d_out, g.H, g.D * g.H, lane.d * g.H, dh_n + state, lane.ddst.data(), team);
  std::memset(c.dwl.data(), 0, c.dwl.size() * sizeof(float));  // oneDNN accumulates
  std::memset(c.dwi.data(), 0, c.dwi.size() * sizeof(float));
  std::memset(lane.dbias.data(), 0, lane.dbias.size() * sizeof(float));
  const float* h0 = g.has_state ? reinterpret_cast<const float*>(in[g.h0_input()]) + state : zeros.data();
  const float* c0 = g.has_state ? reinterpret_cast<const float*>(in[g.h0_input() + 1]) + state : zeros.data();
  c.bwd.set(DNNL_ARG_SRC_LAYER, ws + slot.src);
  c.bwd.set(DNNL_ARG_SRC_ITER, h0 + part);
  c.bwd.set(DNNL_ARG_SRC_ITER_C, c0 + part);
  c.bwd.set(DNNL_ARG_DST_LAYER, ws + slot.dst);
  c.bwd.set(DNNL_ARG_DST_ITER, ws + slot.dst_iter);
  c.bwd.set(DNNL_ARG_DST_ITER_C, ws + slot.dst_iter_c);
  c.bwd.set(DNNL_ARG_WORKSPACE, ws + slot.dnnl);
  c.bwd.set(DNNL_ARG_DIFF_SRC_ITER, dh0 + state + part);
  c.bwd.set(DNNL_ARG_DIFF_SRC_ITER_C, dc0 + state + part);
  c.bwd.set(DNNL_ARG_DIFF_DST_ITER_C, dc_n + state + part);
  c.bwd.run(lane.stream);
  lane.stream.wait();
  steps.empty_sequences_pass(dh_n + state, g.H, dh0 + state);  // h_n = h0 where len = 0
}

// Direction d's weight gradients: the parts' sums, in part order, back to
// PyTorch's layout (the outputs after dx, dh0, dc0).
void Runner::Impl::weight_grads(int64_t l, int64_t d, std::span<std::byte* const> out, dnnl::stream& s) {
  const int k = g.shape_class(l);
  Lane& sum = lanes[d * g.parts()];
  LanePrimitives& into = sum.classes[k];
  for (int64_t p = 1; p < g.parts(); ++p) {
    const Lane& part = lanes[d * g.parts() + p];
    const LanePrimitives& from = part.classes[k];
    for (size_t i = 0; i < into.dwl.size(); ++i) into.dwl[i] += from.dwl[i];
    for (size_t i = 0; i < into.dwi.size(); ++i) into.dwi[i] += from.dwi[i];
    for (size_t i = 0; i < sum.dbias.size(); ++i) sum.dbias[i] += part.dbias[i];
  }
  Weights& w = weights[k][d];
  std::byte* const* dparam = out.data() + 3 + 4 * (l * g.D + d);
  w.dwl_to_plain.run(s);
  w.dwl_to_user.set(DNNL_ARG_DST, dparam[0]);
  w.dwl_to_user.run(s);
  w.dwi_to_user.set(DNNL_ARG_DST, dparam[1]);
  w.dwi_to_user.run(s);
  s.wait();
  std::memcpy(dparam[2], sum.dbias.data(), sum.dbias.size() * sizeof(float));
  std::memcpy(dparam[3], sum.dbias.data(), sum.dbias.size() * sizeof(float));
}

}  // namespace flowgrad::ops::lstm_detail
