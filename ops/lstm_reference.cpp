// Plain reference kernels of lstm and lstm_backward: one sequence, one step
// at a time, in double, straight from the formulas in ops/lstm.h. Padding is
// handled by simply stopping at len_b (no tricks), so these also check the
// kernels' padding scheme.

#include <cmath>

#include "graph/dtype_dispatch.h"
#include "ops/lstm_detail.h"

namespace flowgrad::ops::lstm_detail {
namespace {

using Vec = std::vector<double>;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

Vec to_double(const Tensor& t) {
  Vec v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.at(i);
  return v;
}

// Everything the backward pass needs from the forward pass, per layer and
// direction, indexed by sequence position t: the gates (activated, order
// i, f, g, o) at step t and the state (h, c) the step started from.
struct Trace {
  std::vector<Vec> layer_in;       // [l] -> [T, B, I_l]
  std::vector<Vec> gates, hp, cp;  // [l·D + d] -> [T, B, 4H] / [T, B, H]
};

struct Forward {
  const Geometry& g;
  std::vector<Vec> in;  // every input in double (f32 and f64 graphs alike)
  std::vector<int64_t> len;

  Forward(const Geometry& geometry, std::span<const Tensor> inputs) : g(geometry) {
    for (const Tensor& t : inputs) in.push_back(to_double(t));
    read_lengths(g, g.has_lengths ? inputs[g.lengths_input()].data<int32_t>() : nullptr, len);
  }

  const double* param(int64_t l, int64_t d, int k) const { return in[g.param(l, d, k)].data(); }
  double state0(int which, int64_t slot, int64_t b, int64_t k) const {
    return g.has_state ? in[g.h0_input() + which][(slot * g.B + b) * g.H + k] : 0.0;
  }

  // Runs one direction of layer l over sequence b; writes y_l and the final state.
  void sequence(int64_t l, int64_t d, int64_t b, const Vec& x, Vec& y, Trace& tr, double* h_n, double* c_n) const {
    const int64_t H = g.H, In = g.layer_input(l), slot = l * g.D + d;
    const double *w_ih = param(l, d, 0), *w_hh = param(l, d, 1), *b_ih = param(l, d, 2), *b_hh = param(l, d, 3);
    Vec h(H), c(H), z(4 * H);
    for (int64_t k = 0; k < H; ++k) h[k] = state0(0, slot, b, k), c[k] = state0(1, slot, b, k);
    for (int64_t s = 0; s < len[b]; ++s) {
      int64_t t = d ? len[b] - 1 - s : s, row = t * g.B + b;
      for (int64_t r = 0; r < 4 * H; ++r) {
        double acc = b_ih[r] + b_hh[r];
        for (int64_t i = 0; i < In; ++i) acc += w_ih[r * In + i] * x[row * In + i];
        for (int64_t j = 0; j < H; ++j) acc += w_hh[r * H + j] * h[j];
        z[r] = acc;
      }
      for (int64_t k = 0; k < H; ++k) {
        double i = sigmoid(z[k]), f = sigmoid(z[H + k]), gg = std::tanh(z[2 * H + k]), o = sigmoid(z[3 * H + k]);
        double* gates = &tr.gates[slot][row * 4 * H];
        gates[k] = i, gates[H + k] = f, gates[2 * H + k] = gg, gates[3 * H + k] = o;
        tr.hp[slot][row * H + k] = h[k];
        tr.cp[slot][row * H + k] = c[k];
        c[k] = f * c[k] + i * gg;
        h[k] = o * std::tanh(c[k]);
        y[row * g.D * H + d * H + k] = h[k];
      }
    }
    for (int64_t k = 0; k < H; ++k) h_n[(slot * g.B + b) * H + k] = h[k], c_n[(slot * g.B + b) * H + k] = c[k];
  }

  // All layers; returns the last layer's y, fills h_n, c_n [L·D, B, H].
  Vec run(Trace& tr, Vec& h_n, Vec& c_n) const {
    Vec x = in[0];
    h_n.assign(g.L * g.D * g.B * g.H, 0.0);
    c_n.assign(h_n.size(), 0.0);
    for (int64_t l = 0; l < g.L; ++l) {
      Vec y(g.T * g.B * g.D * g.H, 0.0);
      for (int64_t d = 0; d < g.D; ++d) {
        tr.gates.emplace_back(g.T * g.B * 4 * g.H);
        tr.hp.emplace_back(g.T * g.B * g.H);
        tr.cp.emplace_back(g.T * g.B * g.H);
        for (int64_t b = 0; b < g.B; ++b) sequence(l, d, b, x, y, tr, h_n.data(), c_n.data());
      }
      tr.layer_in.push_back(std::move(x));
      x = std::move(y);
    }
    return x;
  }
};

void store(const Vec& v, Tensor& t) {
  graph::with_float(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<T>(v[i]);
  });
}

// Gradient accumulators of one layer and direction, PyTorch's shapes.
struct ParamGrads {
  Vec w_ih, w_hh, bias;
};

}  // namespace

void reference_forward(const Geometry& g, std::span<const Tensor> in, std::span<Tensor> out) {
  Forward fw(g, in);
  Trace tr;
  Vec h_n, c_n;
  store(fw.run(tr, h_n, c_n), out[0]);
  store(h_n, out[1]);
  store(c_n, out[2]);
}

namespace {

// Backpropagates one direction of layer l over sequence b, from the step
// after its last (dh_n, dc_n) to its first (dh0, dc0).
void backward_sequence(const Forward& fw, const Trace& tr, int64_t l, int64_t d, int64_t b, const Vec& d_out,
                       Vec& d_in, ParamGrads& pg, double* dh, double* dc) {
  const Geometry& g = fw.g;
  const int64_t H = g.H, In = g.layer_input(l), slot = l * g.D + d;
  const double *w_ih = fw.param(l, d, 0), *w_hh = fw.param(l, d, 1);
  const Vec& x = tr.layer_in[l];
  Vec dz(4 * H), dh_prev(H);
  for (int64_t s = fw.len[b] - 1; s >= 0; --s) {
    int64_t t = d ? fw.len[b] - 1 - s : s, row = t * g.B + b;
    const double* gates = &tr.gates[slot][row * 4 * H];
    for (int64_t k = 0; k < H; ++k) {
      double i = gates[k], f = gates[H + k], gg = gates[2 * H + k], o = gates[3 * H + k];
      double cp = tr.cp[slot][row * H + k], tc = std::tanh(f * cp + i * gg);
      double dhk = dh[k] + d_out[row * g.D * H + d * H + k];
      double dck = dc[k] + dhk * o * (1 - tc * tc);
      dz[k] = dck * gg * i * (1 - i);
      dz[H + k] = dck * cp * f * (1 - f);
      dz[2 * H + k] = dck * i * (1 - gg * gg);
      dz[3 * H + k] = dhk * tc * o * (1 - o);
      dc[k] = dck * f;
    }
    std::fill(dh_prev.begin(), dh_prev.end(), 0.0);
    for (int64_t r = 0; r < 4 * H; ++r) {
      pg.bias[r] += dz[r];
      for (int64_t i = 0; i < In; ++i) {
        pg.w_ih[r * In + i] += dz[r] * x[row * In + i];
        d_in[row * In + i] += dz[r] * w_ih[r * In + i];
      }
      for (int64_t j = 0; j < H; ++j) {
        pg.w_hh[r * H + j] += dz[r] * tr.hp[slot][row * H + j];
        dh_prev[j] += dz[r] * w_hh[r * H + j];
      }
    }
    std::copy(dh_prev.begin(), dh_prev.end(), dh);
  }
}

}  // namespace

void reference_backward(const Geometry& g, std::span<const Tensor> in, const Tensor& dy, const Tensor& dh_n,
                        const Tensor& dc_n, std::span<Tensor> out) {
  Forward fw(g, in);
  Trace tr;
  Vec h_n, c_n;
  fw.run(tr, h_n, c_n);
  Vec d_out = to_double(dy), dhn = to_double(dh_n), dcn = to_double(dc_n);
  Vec dh0(dhn.size()), dc0(dcn.size());
  for (int64_t l = g.L - 1; l >= 0; --l) {
    const int64_t In = g.layer_input(l), H = g.H;
    Vec d_in(g.T * g.B * In, 0.0);
    for (int64_t d = 0; d < g.D; ++d) {
      ParamGrads pg{Vec(4 * H * In), Vec(4 * H * H), Vec(4 * H)};
      for (int64_t b = 0; b < g.B; ++b) {
        int64_t at = ((l * g.D + d) * g.B + b) * H;  // this sequence's state, [L·D, B, H]
        std::copy_n(&dhn[at], H, &dh0[at]);
        std::copy_n(&dcn[at], H, &dc0[at]);
        backward_sequence(fw, tr, l, d, b, d_out, d_in, pg, &dh0[at], &dc0[at]);
      }
      Tensor* dparam = &out[3 + 4 * (l * g.D + d)];
      store(pg.w_ih, dparam[0]);
      store(pg.w_hh, dparam[1]);
      store(pg.bias, dparam[2]);
      store(pg.bias, dparam[3]);
    }
    d_out = std::move(d_in);
  }
  store(d_out, out[0]);
  store(dh0, out[1]);
  store(dc0, out[2]);
}

}  // namespace flowgrad::ops::lstm_detail
