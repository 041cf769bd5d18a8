#pragma once
// Tensor: a typed, dense, row-major block of host memory. Copies share the
// storage (like a PyTorch tensor); clone() makes a deep copy. Used for feeds,
// fetches, constants, variables and by the reference kernels.

#include <cstring>
#include <initializer_list>
#include <memory>
#include <span>

#include "graph/error.h"
#include "graph/tensor_type.h"

namespace flowgrad::graph {

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<bool>() { return DType::boolean; }

class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-filled, 64-byte aligned storage.
  explicit Tensor(TensorType type);
  // Wraps memory owned by someone else; `keep_alive` keeps it valid.
  Tensor(TensorType type, std::byte* data, std::shared_ptr<void> keep_alive);

  template <class T>
  static Tensor from(const Shape& shape, std::span<const T> values) {
    Tensor t({dtype_of<T>(), shape});
    FLOWGRAD_CHECK(static_cast<int64_t>(values.size()) == t.numel(), "value count != shape");
    if (!values.empty()) std::memcpy(t.raw(), values.data(), t.nbytes());
    return t;
  }
  template <class T>
  static Tensor from(const Shape& shape, std::initializer_list<T> values) {
    return from<T>(shape, std::span<const T>(values.begin(), values.size()));
  }
  static Tensor scalar(float v) { return from<float>({}, {v}); }

  const TensorType& type() const { return type_; }
  DType dtype() const { return type_.dtype; }
  const Shape& shape() const { return type_.shape; }
  int64_t numel() const { return type_.numel(); }
  size_t nbytes() const { return type_.nbytes(); }
  bool defined() const { return data_ != nullptr || numel() == 0; }

  std::byte* raw() const { return data_; }
  template <class T> T* data() const {
    FLOWGRAD_CHECK(dtype_of<T>() == type_.dtype, "tensor dtype mismatch");
    return reinterpret_cast<T*>(data_);
  }
  template <class T> std::span<T> span() const { return {data<T>(), static_cast<size_t>(numel())}; }
  // Value at a flat index converted to double (tests, printing).
  double at(int64_t flat) const;

  Tensor clone() const;
  // Same storage, another shape with the same element count.
  Tensor reshaped(const Shape& shape) const;

 private:
  TensorType type_;
  std::shared_ptr<void> storage_;
  std::byte* data_ = nullptr;
};

// Number of tensor storages allocated by this process so far (a test asserts
// that steady-state training allocates none per step).
int64_t tensor_allocations();

// Bitwise equality of type and contents.
bool identical(const Tensor& a, const Tensor& b);

}  // namespace flowgrad::graph
