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

namespace {

// A hexadecimal checksum as written by hex(); FormatError otherwise.
uint64_t parse_hex(const json& v, const std::string& where) {
  if (!v.is_string()) throw FormatError(where + ": checksum must be a string");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() != 16 || s.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw FormatError(where + ": checksum '" + s.substr(0, 32) + "' is not 16 hexadecimal digits");
  }
  return std::stoull(s, nullptr, 16);
}

uint64_t unsigned_field(const json& m, const char* key, const std::string& what) {
  auto it = m.find(key);
  if (it == m.end()) throw FormatError(what + ": missing '" + key + "'");
  if (!it->is_number_unsigned()) throw FormatError(what + ": '" + key + "' must be a non-negative integer");
  return it->get<uint64_t>();
}

}  // namespace

Manifest parse_manifest(const std::string& text, const std::string& what) {
  json m = json::parse(text, nullptr, false);
  if (m.is_discarded() || !m.is_object()) throw FormatError(what + ": not a JSON object");
  auto format = m.find("format");
  if (format == m.end() || !format->is_number_integer() || format->get<int64_t>() != kFormat) {
    std::string got = format == m.end()                ? "(missing)"
                      : format->is_number_integer() ? std::to_string(format->get<int64_t>())
                                                    : std::string("of type ") + format->type_name();
    throw FormatError(what + ": unsupported checkpoint format " + got + " (this reader: " + std::to_string(kFormat) + ")");
  }
  Manifest out;
  out.step = unsigned_field(m, "step", what);
  out.session_step = unsigned_field(m, "session_step", what);
  if (auto extra = m.find("extra"); extra != m.end()) {
    if (!extra->is_object()) throw FormatError(what + ": 'extra' must be an object of strings");
    for (const auto& [k, v] : extra->items()) {
      if (!v.is_string()) throw FormatError(what + ": extra '" + k + "' must be a string");
      out.extra[k] = v.get<std::string>();
    }
  }
  auto tensors = m.find("tensors");
  if (tensors == m.end() || !tensors->is_object()) throw FormatError(what + ": missing 'tensors' object");
  for (const auto& [name, entry] : tensors->items()) {
    std::string where = what + ", tensor '" + name + "'";
    if (!entry.is_object()) throw FormatError(where + ": entry must be an object");
    auto checksum = entry.find("checksum");
    if (checksum == entry.end()) throw FormatError(where + ": missing checksum");
    out.tensors[name] = {parse_hex(*checksum, where), unsigned_field(entry, "bytes", where)};
  }
  return out;
}

void verify_tensors(const Manifest& m, const Safetensors& s, const std::string& what) {
  for (const auto& [name, entry] : m.tensors) {
    auto it = s.tensors.find(name);
    if (it == s.tensors.end()) throw FormatError(what + ": tensor '" + name + "' is missing");
    const graph::Tensor& t = it->second;
    if (t.nbytes() != entry.bytes) {
      throw FormatError(what + ": tensor '" + name + "' has " + std::to_string(t.nbytes()) + " bytes, the manifest says " +
                        std::to_string(entry.bytes));
    }
    if (checksum64(t.raw(), t.nbytes()) != entry.checksum) throw FormatError(what + ": checksum mismatch for tensor '" + name + "'");
  }
  for (const auto& [name, t] : s.tensors) {
    if (!m.tensors.contains(name)) throw FormatError(what + ": tensor '" + name + "' is not in the manifest");
  }
}

Checkpoint load_checkpoint(const std::string& path) {
  std::string mpath = (fs::path(path) / "manifest.json").string();
  Manifest m = parse_manifest(read_file(mpath, kMaxManifestBytes), "'" + mpath + "'");
  Checkpoint c{m.step, m.session_step, m.extra, read_safetensors((fs::path(path) / "weights.safetensors").string())};
  verify_tensors(m, c.tensors, "checkpoint '" + path + "'");
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
