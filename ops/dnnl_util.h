#pragma once
// Helpers for binding ops to oneDNN 2.6 primitives: descriptors from tensor
// types, counted primitive creation (tests assert that running a plan twice
// creates none), and DnnlKernel, a Kernel that executes one primitive with
// its memory objects and scratchpad made once at lower time.

#include <atomic>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "ops/op_def.h"

namespace flowgrad::ops {

const dnnl::engine& cpu_engine();

dnnl::memory::data_type dnnl_dtype(DType t);
dnnl::memory::dims dnnl_dims(const Shape& s);  // a scalar becomes [1]
// Dense row-major descriptor of a type.
dnnl::memory::desc plain_md(const TensorType& t);
dnnl::memory::desc plain_md(const Shape& s, DType t);
// Same dims, custom strides (in elements), e.g. a transposed view.
dnnl::memory::desc strided_md(const Shape& s, DType t, const std::vector<int64_t>& strides);

// Number of oneDNN primitives created by this process so far.
int64_t dnnl_primitive_count();

// Creates a primitive from its descriptor and counts it. All primitives must
// be made through here, at lower time only.
template <class Primitive, class PrimitiveDesc>
Primitive make_primitive(const PrimitiveDesc& pd) {
  extern std::atomic<int64_t> g_dnnl_primitives_created;
  g_dnnl_primitives_created.fetch_add(1, std::memory_order_relaxed);
  return Primitive(pd);
}

// Primitive attributes with a user-managed scratchpad, so that execution
// never allocates.
dnnl::primitive_attr scratchpad_attr();

class DnnlKernel final : public Kernel {
 public:
  // Where each primitive argument comes from: input i or output j.
  struct Arg {
    int dnnl_arg;
    dnnl::memory::desc md;
    int input = -1;
    int output = -1;
  };
  DnnlKernel(dnnl::primitive prim, const dnnl::memory::desc& scratchpad_md, std::vector<Arg> args, double cost);

  void run(const KernelArgs& a) override;
  double cost() const override { return cost_; }

 private:
  dnnl::primitive prim_;
  std::vector<Arg> args_;
  std::vector<dnnl::memory> mems_;
  dnnl::memory scratchpad_;
  std::unordered_map<int, dnnl::memory> exec_args_;
  double cost_;
};

}  // namespace flowgrad::ops
