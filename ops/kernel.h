#pragma once
// The compiled form of one node. `OpDef::lower` builds a Kernel once, at
// compile time (oneDNN primitives included); the runtime calls run() every
// step with the node's input and output buffers.

#include <cstddef>
#include <cstdint>
#include <span>

#include <oneapi/dnnl/dnnl.hpp>

namespace flowgrad::ops {
// What a kernel gets each run: buffers of the node's inputs and outputs (in order), its threads.
struct KernelArgs {
  std::span<const std::byte* const> inputs;  // input buffers, in the node's input order
  std::span<std::byte* const> outputs;  // output buffers (allocated by the plan)
  int threads = 1;              // this node's share of the thread budget
  dnnl::stream* stream = nullptr;  // oneDNN stream of the calling thread
  uint64_t step = 0;            // the session's run counter: random ops key their
                                // counter-based streams by (seed, step, node)

  template <class T> const T* in(size_t i) const { return reinterpret_cast<const T*>(inputs[i]); }  // input i as T*
  template <class T> T* out(size_t i) const { return reinterpret_cast<T*>(outputs[i]); }  // output i as T*
};
// A node compiled for its input and output types (OpDef::lower makes it once per plan).
class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void run(const KernelArgs& args) = 0;  // computes the outputs; must not allocate, must be deterministic in args.threads
  // Rough work in flops (or element touches); the scheduler uses it to give
  // big nodes the whole thread budget and small ones a single thread. 0: the
  // kernel mostly waits (a collective) and holds no thread token.
  virtual double cost() const = 0;
  // Whether a bigger OpenMP team makes this kernel proportionally faster.
  // Big kernels that do (one large GEMM) take the whole budget even when
  // other big nodes could run beside them; kernels that do not (an LSTM: a
  // chain of small per-time-step GEMMs) share it with their concurrent peers.
  virtual bool scales_with_team() const { return true; }
  // The most threads the kernel can keep busy (0: any number). The scheduler
  // gives it no more, leaving the rest of the budget to other steps.
  virtual int max_threads() const { return 0; }
};

}  // namespace flowgrad::ops
