#pragma once
// Element types and static tensor types of the graph IR.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace flowgrad::graph {

// f64 exists for gradient checking: the reference interpreter
// (runtime/reference.h) runs it; the compiled runtime is f32/int only.
enum class DType : uint8_t { f32, i32, i64, boolean, f64 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // "f32", "i32", "i64", "bool", "f64"
inline bool is_float(DType t) { return t == DType::f32 || t == DType::f64; }

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& s);
std::string shape_str(const Shape& s);  // "[2, 3]"

struct TensorType {
  DType dtype = DType::f32;
  Shape shape;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return graph::numel(shape); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  std::string str() const;  // "f32[2, 3]"
  bool operator==(const TensorType&) const = default;
};

// Row-major strides of a shape, in elements.
std::vector<int64_t> contiguous_strides(const Shape& s);

}  // namespace flowgrad::graph
