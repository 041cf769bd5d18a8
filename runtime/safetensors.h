#pragma once
// safetensors (the public format Hugging Face uses): an 8-byte little-endian
// header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value"}}
// then the raw little-endian tensor data (offsets relative to its start).
//
// Reading is for untrusted files: header size, JSON, dtype, rank (<= 8),
// element counts (overflow-checked), offsets inside the data and byte sizes
// are all checked; a bad file is a FormatError naming the file and the tensor.
// F16 and BF16 tensors are widened to f32 on read.

#include <map>
#include <string>

#include "graph/tensor.h"

namespace flowgrad::runtime {

// The contents of one safetensors file.
struct Safetensors {
  std::map<std::string, graph::Tensor> tensors;  // by name
  std::map<std::string, std::string> metadata;   // "__metadata__" (strings only)
};

// Largest JSON header accepted on read.
inline constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;

// Parses a file's bytes; `what` names it in errors. Throws FormatError.
Safetensors parse_safetensors(const std::string& bytes, const std::string& what = "safetensors");
// Reads and parses `path`. Throws FormatError naming the file.
Safetensors read_safetensors(const std::string& path);
// The bytes of a file holding `s` (tensors in name order).
std::string encode_safetensors(const Safetensors& s);
// Atomic (see runtime/graph_io.h write_file_atomic).
void write_safetensors(const std::string& path, const Safetensors& s);

}  // namespace flowgrad::runtime
