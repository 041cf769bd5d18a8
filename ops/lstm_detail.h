#pragma once
// Internals shared by lstm and lstm_backward (ops/lstm.h has the contract):
// the geometry of one node, input validation, the layout of the hidden
// workspace, the plain reference kernels and the oneDNN runner.

#include <memory>

#include "ops/lstm.h"

namespace flowgrad::ops::lstm_detail {

// Gate pre-activation added at padded steps through the extra input channel:
// σ(-kPadGate) = 0 and σ(kPadGate) = 1 exactly in f32.
inline constexpr float kPadGate = 1e4f;

struct Geometry {
  int64_t T = 0, B = 0, I = 0, H = 0, L = 0, D = 0;
  bool has_state = false, has_lengths = false;

  int64_t layer_input(int64_t l) const { return l == 0 ? I : D * H; }
  int64_t num_params() const { return 4 * L * D; }
  // Input index of parameter k (0: W_ih, 1: W_hh, 2: b_ih, 3: b_hh) of (l, d).
  int64_t param(int64_t l, int64_t d, int k) const { return 1 + 4 * (l * D + d) + k; }
  int64_t h0_input() const { return 1 + num_params(); }
  int64_t lengths_input() const { return 1 + num_params() + (has_state ? 2 : 0); }
  int64_t num_inputs() const { return lengths_input() + (has_lengths ? 1 : 0); }
  // Distinct layer input sizes: 0 for layer 0, 1 for the others (if they differ).
  int shape_class(int64_t l) const { return l == 0 || layer_input(l) == I ? 0 : 1; }
  int num_shape_classes() const { return L > 1 && D * H != I ? 2 : 1; }
  // Lanes: a layer's independent pieces of work, one per direction and batch
  // part, each run by its own primitives (concurrently when the kernel has
  // the threads; ops/lstm_kernel.cpp). A unidirectional layer cuts its batch
  // in 2 parts, so every layer has 2 lanes (for B >= 2). Fixed by the shapes,
  // never by the thread count: results do not depend on it.
  int64_t parts() const { return D == 1 && B >= 2 ? 2 : 1; }
  int64_t part_begin(int64_t p) const { return B * p / parts(); }  // first sequence of part p <= parts()
  int64_t lanes() const { return D * parts(); }
  // Workspace slot of layer l, direction d, part p.
  int64_t slot(int64_t l, int64_t d, int64_t p) const { return (l * D + d) * parts() + p; }
  uint64_t fingerprint() const;
};

// Validates the forward inputs (types, count, every parameter's shape) and
// returns the geometry; errors go through ctx.fail.
Geometry check_forward_inputs(const InferContext& ctx, std::span<const TensorType> inputs);
// The geometry of inputs that passed check_forward_inputs.
Geometry geometry_of(const LstmAttrs& a, std::span<const TensorType> inputs);

// Byte offsets into the workspace. Per layer, direction and batch part
// ("slot", of nb = the part's sequences): the primitive's input with its
// padding channel [T, nb, I_l + 1], its output [T, nb, H], final states
// [nb, H] and oneDNN's workspace. A 64-byte header marks a workspace written
// by a forward kernel (magic, run step, geometry).
struct WorkspaceLayout {
  struct Slot {
    size_t src, dst, dst_iter, dst_iter_c, dnnl;
  };
  std::vector<Slot> slots;  // index Geometry::slot(l, d, p)
  size_t bytes = 0;
  int64_t floats() const { return static_cast<int64_t>((bytes + 3) / 4); }
};
WorkspaceLayout workspace_layout(const Geometry& g);

struct Header {
  uint64_t magic, step, fingerprint, unused[5];
};
inline constexpr uint64_t kMagic = 0x4d54534c64776f66ull;  // "fowdLSTM"

// Plain loops in double: the forward and the full backward (recomputing the
// forward). `in` are the forward inputs.
void reference_forward(const Geometry& g, std::span<const Tensor> in, std::span<Tensor> out);
void reference_backward(const Geometry& g, std::span<const Tensor> in, const Tensor& dy, const Tensor& dh_n,
                        const Tensor& dc_n, std::span<Tensor> out);

// Reads lengths (or T for all); throws ValueError if one is outside [0, T].
void read_lengths(const Geometry& g, const int32_t* lengths, std::vector<int64_t>& out);

// The oneDNN side (ops/lstm_kernel.cpp). Primitives, reorders and scratch are
// made once here; run-time calls allocate nothing.
class Runner {
 public:
  Runner(const Geometry& g, bool with_backward);
  ~Runner();
  // Forward inputs as in the op; outputs y, h_n, c_n; `ws` of workspace_layout().bytes.
  void forward(std::span<const std::byte* const> in, float* y, float* h_n, float* c_n, std::byte* ws, uint64_t step,
               int threads, dnnl::stream& s);
  // Needs with_backward. `out`: dx, dh0, dc0, parameter gradients.
  void backward(std::span<const std::byte* const> in, const std::byte* ws, const float* dy, const float* dh_n,
                const float* dc_n, std::span<std::byte* const> out, int threads, dnnl::stream& s);
  const WorkspaceLayout& layout() const;
  double flops() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowgrad::ops::lstm_detail
