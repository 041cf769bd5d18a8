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

struct Safetensors {
  std::map<std::string, graph::Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

inline constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;

Safetensors parse_safetensors(const std::string& bytes, const std::string& what = "safetensors");
Safetensors read_safetensors(const std::string& path);
std::string encode_safetensors(const Safetensors& s);
// Atomic (see runtime/graph_io.h write_file_atomic).
void write_safetensors(const std::string& path, const Safetensors& s);

}  // namespace flowgrad::runtime
