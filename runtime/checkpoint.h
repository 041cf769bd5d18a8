#pragma once
// Checkpoints: a training run's complete state, written atomically and
// verified on load.
//
//   <dir>/step-00000100/weights.safetensors   every Workspace tensor (parameters,
//                                             optimizer state, step counters)
//   <dir>/step-00000100/manifest.json         written last: format, step, the
//                                             session's run counter (the RNG
//                                             position), caller state such as
//                                             the data-loader position, and a
//                                             checksum + size per tensor
//
// A checkpoint is assembled in "step-…tmp" (files flushed with fsync), then
// renamed into place and the folder fsync'ed, so a crash at any moment leaves
// either the previous checkpoints or a complete new one. Loading verifies
// every checksum; latest_checkpoint() falls back to the newest good one and
// reports the bad ones it skipped.

#include <map>
#include <string>
#include <vector>

#include "runtime/safetensors.h"
#include "runtime/workspace.h"

namespace flowgrad::runtime {

struct Checkpoint {
  uint64_t step = 0;          // training steps done
  uint64_t session_step = 0;  // Session::step(): random streams continue from here
  std::map<std::string, std::string> extra;  // e.g. {"loader_epoch": "2", "loader_index": "128"}
  Safetensors tensors;
};

// 64-bit checksum of a byte range (a multiply-xor hash over 8-byte words).
uint64_t checksum64(const void* data, size_t bytes);

// Writes <dir>/step-<step>/ atomically; returns its path.
std::string save_checkpoint(const std::string& dir, const Workspace& ws, uint64_t step, uint64_t session_step,
                            const std::map<std::string, std::string>& extra = {});
// Loads and verifies one checkpoint folder; FormatError naming the problem.
Checkpoint load_checkpoint(const std::string& path);

// The manifest alone, parsed (the untrusted-input entry point the fuzzer
// drives): the step, session step and extra state, and per tensor the
// expected checksum and byte size. FormatError naming `what` and the field.
struct Manifest {
  uint64_t step = 0, session_step = 0;
  std::map<std::string, std::string> extra;
  struct Entry {
    uint64_t checksum = 0;
    uint64_t bytes = 0;
  };
  std::map<std::string, Entry> tensors;
};
inline constexpr size_t kMaxManifestBytes = 64 << 20;
Manifest parse_manifest(const std::string& text, const std::string& what = "manifest");
// Checks that `tensors` holds exactly the manifest's tensors, each with its
// byte size and checksum; FormatError naming `what` and the first bad tensor.
void verify_tensors(const Manifest& m, const Safetensors& tensors, const std::string& what);

struct LatestCheckpoint {
  std::string path;                   // empty: none usable
  std::vector<std::string> skipped;   // bad checkpoints, newest first, with the reason
};
// The newest checkpoint under `dir` that loads and verifies.
LatestCheckpoint latest_checkpoint(const std::string& dir);

// Copies a checkpoint's tensors into a workspace (replacing contents).
void restore(const Checkpoint& c, Workspace& ws);

}  // namespace flowgrad::runtime
