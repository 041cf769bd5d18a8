// libFuzzer harness: a checkpoint's manifest.json (format, step, session
// step, extra state, per-tensor checksums and sizes), then the verification
// of a fixed set of tensors against it. Anything other than a result or a
// flowgrad::Error is a bug.

#include <cstdint>
#include <string>

#include "graph/error.h"
#include "runtime/checkpoint.h"

namespace {

flowgrad::runtime::Safetensors tensors() {
  flowgrad::runtime::Safetensors s;
  flowgrad::graph::Tensor w({flowgrad::graph::DType::f32, {2, 3}}), n({flowgrad::graph::DType::i64, {1}});
  for (int i = 0; i < 6; ++i) w.data<float>()[i] = 0.5f * static_cast<float>(i);
  n.data<int64_t>()[0] = 7;
  s.tensors = {{"w", w}, {"optimizer/step", n}};
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const flowgrad::runtime::Safetensors kTensors = tensors();
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    flowgrad::runtime::Manifest m = flowgrad::runtime::parse_manifest(text, "fuzz");
    flowgrad::runtime::verify_tensors(m, kTensors, "fuzz");
  } catch (const flowgrad::Error&) {
  }
  return 0;
}
