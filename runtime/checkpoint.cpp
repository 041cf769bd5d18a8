#include "runtime/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "runtime/graph_io.h"

namespace flowgrad::runtime {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
constexpr int kFormat = 1;

std::string step_name(uint64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%08llu", static_cast<unsigned long long>(step));
  return buf;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

uint64_t checksum64(const void* data, size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 0x9E3779B97F4A7C15ull ^ bytes;
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  for (; i < bytes; ++i) h = (h ^ p[i]) * 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}

std::string save_checkpoint(const std::string& dir, const Workspace& ws, uint64_t step, uint64_t session_step,
                            const std::map<std::string, std::string>& extra) {
  fs::create_directories(dir);
  fs::path final_dir = fs::path(dir) / step_name(step);
  fs::path tmp = fs::path(dir) / (step_name(step) + ".tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  Safetensors s;
  json manifest = {{"format", kFormat}, {"step", step}, {"session_step", session_step}, {"extra", extra}};
  for (const auto& name : ws.names()) {
    const graph::Tensor& t = ws.get(name);
    s.tensors[name] = t;
    manifest["tensors"][name] = {{"checksum", hex(checksum64(t.raw(), t.nbytes()))}, {"bytes", t.nbytes()}};
  }
  write_safetensors((tmp / "weights.safetensors").string(), s);
  write_file_atomic((tmp / "manifest.json").string(), manifest.dump(1));  // last
  fs::remove_all(final_dir);  // re-saving the same step replaces it
  fs::rename(tmp, final_dir);
  fsync_dir(dir);
  return final_dir.string();
}

Checkpoint load_checkpoint(const std::string& path) {
  std::string mpath = (fs::path(path) / "manifest.json").string();
  json m = json::parse(read_file(mpath, 64 << 20), nullptr, false);
  if (m.is_discarded() || !m.is_object()) throw FormatError("'" + mpath + "' is not JSON");
  if (m.value("format", 0) != kFormat) throw FormatError("'" + mpath + "': unsupported checkpoint format");
  if (!m.contains("tensors") || !m["tensors"].is_object() || !m["step"].is_number_unsigned() ||
      !m["session_step"].is_number_unsigned()) {
    throw FormatError("'" + mpath + "': missing step, session_step or tensors");
  }
  Checkpoint c;
  c.step = m["step"];
  c.session_step = m["session_step"];
  if (m.contains("extra") && m["extra"].is_object()) {
    for (const auto& [k, v] : m["extra"].items()) {
      if (v.is_string()) c.extra[k] = v;
    }
  }
  c.tensors = read_safetensors((fs::path(path) / "weights.safetensors").string());
  for (const auto& [name, entry] : m["tensors"].items()) {
    auto it = c.tensors.tensors.find(name);
    if (it == c.tensors.tensors.end()) throw FormatError("checkpoint '" + path + "': tensor '" + name + "' is missing");
    if (!entry.is_object() || !entry["checksum"].is_string()) throw FormatError("checkpoint '" + path + "': bad manifest entry '" + name + "'");
    if (hex(checksum64(it->second.raw(), it->second.nbytes())) != entry["checksum"].get<std::string>()) {
      throw FormatError("checkpoint '" + path + "': checksum mismatch for tensor '" + name + "'");
    }
  }
  if (c.tensors.tensors.size() != m["tensors"].size()) throw FormatError("checkpoint '" + path + "': tensors not in the manifest");
  return c;
}

LatestCheckpoint latest_checkpoint(const std::string& dir) {
  LatestCheckpoint out;
  if (!fs::is_directory(dir)) return out;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (e.is_directory() && n.rfind("step-", 0) == 0 && n.find(".tmp") == std::string::npos) names.push_back(n);
  }
  std::sort(names.rbegin(), names.rend());  // zero-padded: newest first
  for (const auto& n : names) {
    std::string path = (fs::path(dir) / n).string();
    try {
      load_checkpoint(path);
      out.path = path;
      return out;
    } catch (const Error& e) {
      out.skipped.push_back(path + ": " + e.what());
    }
  }
  return out;
}

void restore(const Checkpoint& c, Workspace& ws) {
  for (const auto& [name, t] : c.tensors.tensors) ws.set(name, t);
}

}  // namespace flowgrad::runtime
