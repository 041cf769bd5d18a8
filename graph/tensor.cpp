#include "graph/tensor.h"

#include <atomic>
#include <cstdlib>

namespace flowgrad::graph {
namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

int64_t tensor_allocations() { return g_allocations.load(); }

Tensor::Tensor(TensorType type) : type_(std::move(type)) {
  for (int64_t d : type_.shape) {
    if (d < 0) throw ShapeError("tensor shape " + shape_str(type_.shape) + " has a negative dimension");
  }
  size_t bytes = (type_.nbytes() + 63) / 64 * 64;
  if (bytes == 0) bytes = 64;
  void* p = std::aligned_alloc(64, bytes);
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (!p) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes for " + type_.str());
  std::memset(p, 0, bytes);
  storage_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  data_ = static_cast<std::byte*>(p);
}

Tensor::Tensor(TensorType type, std::byte* data, std::shared_ptr<void> keep_alive)
    : type_(std::move(type)), storage_(std::move(keep_alive)), data_(data) {}

double Tensor::at(int64_t i) const {
  FLOWGRAD_CHECK(i >= 0 && i < numel(), "index out of range");
  switch (type_.dtype) {
    case DType::f32: return reinterpret_cast<const float*>(data_)[i];
    case DType::f64: return reinterpret_cast<const double*>(data_)[i];
    case DType::i32: return reinterpret_cast<const int32_t*>(data_)[i];
    case DType::i64: return static_cast<double>(reinterpret_cast<const int64_t*>(data_)[i]);
    case DType::boolean: return reinterpret_cast<const bool*>(data_)[i] ? 1.0 : 0.0;
  }
  return 0;
}

Tensor Tensor::clone() const {
  Tensor t(type_);
  if (nbytes()) std::memcpy(t.data_, data_, nbytes());
  return t;
}

Tensor Tensor::reshaped(const Shape& shape) const {
  FLOWGRAD_CHECK(graph::numel(shape) == numel(), "reshape changes element count");
  Tensor t = *this;
  t.type_.shape = shape;
  return t;
}

bool identical(const Tensor& a, const Tensor& b) {
  return a.type() == b.type() && (a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}

}  // namespace flowgrad::graph
