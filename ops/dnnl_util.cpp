#include "ops/dnnl_util.h"

namespace flowgrad::ops {

std::atomic<int64_t> g_dnnl_primitives_created{0};

int64_t dnnl_primitive_count() { return g_dnnl_primitives_created.load(); }

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::memory::data_type dnnl_dtype(DType t) {
  switch (t) {
    case DType::f32: return dnnl::memory::data_type::f32;
    case DType::i32: return dnnl::memory::data_type::s32;
    case DType::boolean: return dnnl::memory::data_type::u8;
    case DType::i64: break;
    case DType::f64:
      FLOWGRAD_CHECK(false, "f64 runs on the reference interpreter only; the compiled runtime rejects it before lowering");
  }
  FLOWGRAD_CHECK(false, "oneDNN has no i64 data type; this op needs its own kernel for it (ops/parallel.h)");
}

dnnl::memory::dims dnnl_dims(const Shape& s) {
  if (s.empty()) return {1};
  return dnnl::memory::dims(s.begin(), s.end());
}

dnnl::memory::desc plain_md(const Shape& s, DType t) {
  auto st = graph::contiguous_strides(s);
  return strided_md(s, t, st);
}

dnnl::memory::desc plain_md(const TensorType& t) { return plain_md(t.shape, t.dtype); }

dnnl::memory::desc strided_md(const Shape& s, DType t, const std::vector<int64_t>& strides) {
  if (s.empty()) return dnnl::memory::desc({1}, dnnl_dtype(t), dnnl::memory::dims{1});
  return dnnl::memory::desc(dnnl_dims(s), dnnl_dtype(t), dnnl::memory::dims(strides.begin(), strides.end()));
}

dnnl::primitive_attr scratchpad_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

DnnlKernel::DnnlKernel(dnnl::primitive prim, const dnnl::memory::desc& scratchpad_md, std::vector<Arg> args,
                       double cost)
    : prim_(std::move(prim)), args_(std::move(args)), cost_(cost) {
  const auto& eng = cpu_engine();
  for (const Arg& a : args_) {
    mems_.push_back(dnnl::memory(a.md, eng, DNNL_MEMORY_NONE));
    exec_args_.emplace(a.dnnl_arg, mems_.back());
  }
  if (scratchpad_md.get_size() > 0) {
    scratchpad_ = dnnl::memory(scratchpad_md, eng);  // allocated once, here
    exec_args_.emplace(DNNL_ARG_SCRATCHPAD, scratchpad_);
  }
}

void DnnlKernel::run(const KernelArgs& a) {
  for (size_t i = 0; i < args_.size(); ++i) {
    const Arg& arg = args_[i];
    void* p = arg.input >= 0 ? const_cast<std::byte*>(a.inputs[arg.input]) : a.outputs[arg.output];
    mems_[i].set_data_handle(p);
  }
  prim_.execute(*a.stream, exec_args_);
}

}  // namespace flowgrad::ops
