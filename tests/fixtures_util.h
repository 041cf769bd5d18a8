#pragma once
// Test fixtures: tensors dumped by the PyTorch scripts in tests/fixtures/.
//
// read_safetensors is a tiny reader for tests only (the project's real
// safetensors reader is elsewhere). Format: an 8-byte little-endian header
// length N, N bytes of JSON {name: {"dtype", "shape", "data_offsets":
// [begin, end]}} (plus an optional "__metadata__"), then the data, offsets
// relative to its start. Every size and offset is checked against the file;
// dtypes F32, I64 and I32. A bad file throws FormatError naming the problem.

#include <map>
#include <string>

#include "graph/tensor.h"

namespace flowgrad::testing {

std::map<std::string, graph::Tensor> read_safetensors(const std::string& path);

// Absolute path of tests/fixtures/<name> in the source tree.
std::string fixture_path(const std::string& name);

}  // namespace flowgrad::testing
