// libFuzzer harness: the safetensors reader (header length, JSON, dtypes,
// shapes, offsets). A file that parses must encode and parse back to the
// same tensors; anything other than that or a flowgrad::Error is a bug.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "graph/error.h"
#include "runtime/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowgrad;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  runtime::Safetensors s;
  try {
    s = runtime::parse_safetensors(bytes, "fuzz");
  } catch (const Error&) {
    return 0;
  }
  runtime::Safetensors back = runtime::parse_safetensors(runtime::encode_safetensors(s), "fuzz re-encoded");
  if (back.tensors.size() != s.tensors.size() || back.metadata != s.metadata) std::abort();
  for (const auto& [name, t] : s.tensors) {
    auto it = back.tensors.find(name);
    if (it == back.tensors.end() || !graph::identical(it->second, t)) std::abort();
  }
  return 0;
}
