#include "runtime/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/graph_io.h"

namespace flowgrad::runtime {
namespace {

using json = nlohmann::json;
constexpr int kMaxRank = 8;
constexpr uint64_t kMaxElements = uint64_t{1} << 40;

const char* dtype_code(graph::DType t) {
  switch (t) {
    case graph::DType::f32: return "F32";
    case graph::DType::i32: return "I32";
    case graph::DType::i64: return "I64";
    case graph::DType::boolean: return "BOOL";
    case graph::DType::f64: return "F64";
  }
  return "?";
}

float half_to_float(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu, bits;
  if (exp == 0) {
    if (man == 0) bits = sign;
    else {  // subnormal: normalize
      int e = -1;
      do { ++e; man <<= 1; } while (!(man & 0x400u));
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (man & 0x3ffu) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | man << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | man << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16_to_float(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Reads one entry's shape; throws naming the tensor.
graph::Shape read_shape(const json& j, const std::string& where) {
  if (!j.is_array() || j.size() > kMaxRank) throw FormatError(where + ": shape must be an array of rank <= 8");
  graph::Shape s;
  uint64_t n = 1;
  for (const json& d : j) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) throw FormatError(where + ": shape has a bad dimension");
    auto v = d.get<uint64_t>();
    if (v != 0 && n > kMaxElements / v) throw FormatError(where + ": element count overflows");
    n *= v;
    s.push_back(static_cast<int64_t>(v));
  }
  return s;
}

graph::Tensor read_tensor(const std::string& name, const json& e, const char* data, uint64_t data_size,
                          const std::string& what) {
  std::string where = what + ", tensor '" + name + "'";
  if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets")) {
    throw FormatError(where + ": expected dtype, shape and data_offsets");
  }
  if (!e["dtype"].is_string()) throw FormatError(where + ": dtype must be a string");
  std::string dt = e["dtype"];
  graph::Shape shape = read_shape(e["shape"], where);
  const json& off = e["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
    throw FormatError(where + ": data_offsets must be two non-negative integers");
  }
  uint64_t begin = off[0], end = off[1];
  if (begin > end || end > data_size) {
    throw FormatError(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                      ") fall outside the " + std::to_string(data_size) + " bytes of data");
  }
  uint64_t n = static_cast<uint64_t>(graph::numel(shape));
  size_t elem = dt == "F32" || dt == "I32" ? 4 : dt == "I64" || dt == "F64" ? 8 : dt == "BOOL" ? 1 : dt == "F16" || dt == "BF16" ? 2 : 0;
  if (elem == 0) throw FormatError(where + ": unsupported dtype '" + dt + "'");
  if (end - begin != n * elem) {
    throw FormatError(where + ": " + std::to_string(end - begin) + " bytes for " + std::to_string(n) + " " + dt + " elements");
  }
  const char* src = data + begin;
  if (dt == "F16" || dt == "BF16") {
    graph::Tensor t({graph::DType::f32, shape});
    for (uint64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      t.data<float>()[i] = dt == "F16" ? half_to_float(h) : bf16_to_float(h);
    }
    return t;
  }
  graph::DType t = dt == "F32"   ? graph::DType::f32
                   : dt == "F64" ? graph::DType::f64
                   : dt == "I32" ? graph::DType::i32
                   : dt == "I64" ? graph::DType::i64
                                 : graph::DType::boolean;
  graph::Tensor out({t, shape});
  if (n) std::memcpy(out.raw(), src, n * elem);
  if (t == graph::DType::boolean) {
    for (bool& b : out.span<bool>()) b = reinterpret_cast<uint8_t&>(b) != 0;  // canonical 0/1
  }
  return out;
}

struct ByteRange {
  uint64_t begin, end;
  std::string name;
};

// Tensors may not share bytes (as the reference implementation requires).
void check_disjoint(std::vector<ByteRange>& ranges, const std::string& what) {
  std::sort(ranges.begin(), ranges.end(), [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
  const ByteRange* furthest = nullptr;  // the non-empty range reaching furthest so far
  for (const ByteRange& r : ranges) {
    if (r.begin == r.end) continue;
    if (furthest && r.begin < furthest->end) {
      throw FormatError(what + ": tensors '" + furthest->name + "' and '" + r.name + "' overlap in the data");
    }
    if (!furthest || r.end > furthest->end) furthest = &r;
  }
}

}  // namespace

Safetensors parse_safetensors(const std::string& bytes, const std::string& what) {
  if (bytes.size() < 8) throw FormatError(what + ": file is " + std::to_string(bytes.size()) + " bytes, too short for a header");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<uint8_t>(bytes[i]);
  if (n > kMaxSafetensorsHeader || n > bytes.size() - 8) {
    throw FormatError(what + ": header length " + std::to_string(n) + " exceeds the file (" + std::to_string(bytes.size()) + " bytes)");
  }
  // nlohmann keeps the last of duplicated keys; a header must not have any.
  std::set<std::string> names;
  std::string duplicate;
  auto check_key = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && !names.insert(parsed.get<std::string>()).second &&
        duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n), check_key, false);
  if (header.is_discarded() || !header.is_object()) throw FormatError(what + ": header is not a JSON object");
  if (!duplicate.empty()) throw FormatError(what + ": tensor '" + duplicate + "' appears twice in the header");
  Safetensors out;
  std::vector<ByteRange> ranges;
  const char* data = bytes.data() + 8 + n;
  uint64_t data_size = bytes.size() - 8 - n;
  for (const auto& [name, e] : header.items()) {
    if (name == "__metadata__") {
      if (!e.is_object()) throw FormatError(what + ": __metadata__ must be an object");
      for (const auto& [k, v] : e.items()) {
        if (!v.is_string()) throw FormatError(what + ": metadata '" + k + "' must be a string");
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    if (name.empty()) throw FormatError(what + ": a tensor has an empty name");
    out.tensors.emplace(name, read_tensor(name, e, data, data_size, what));
    ranges.push_back({e["data_offsets"][0].get<uint64_t>(), e["data_offsets"][1].get<uint64_t>(), name});
  }
  check_disjoint(ranges, what);
  return out;
}

Safetensors read_safetensors(const std::string& path) {
  return parse_safetensors(read_file(path, size_t{64} << 30), "'" + path + "'");
}

std::string encode_safetensors(const Safetensors& s) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : s.tensors) {
    header[name] = {{"dtype", dtype_code(t.dtype())}, {"shape", t.shape()}, {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
  }
  if (!s.metadata.empty()) header["__metadata__"] = s.metadata;
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // align the data to 8 bytes, as the reference writer does
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((h.size() >> (8 * i)) & 0xff);
  out += h;
  out.reserve(out.size() + offset);
  for (const auto& [name, t] : s.tensors) out.append(reinterpret_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

void write_safetensors(const std::string& path, const Safetensors& s) { write_file_atomic(path, encode_safetensors(s)); }

}  // namespace flowgrad::runtime
