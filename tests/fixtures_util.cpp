#include "fixtures_util.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

namespace flowgrad::testing {
namespace {

using graph::DType;

DType dtype_from(const std::string& s, const std::string& name) {
  if (s == "F32") return DType::f32;
  if (s == "I64") return DType::i64;
  if (s == "I32") return DType::i32;
  throw FormatError("safetensors: tensor '" + name + "': expected dtype F32, I64 or I32, got '" + s + "'");
}

graph::Tensor read_entry(const std::string& name, const nlohmann::json& e, const std::vector<char>& bytes,
                         size_t data_begin) {
  if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets")) {
    throw FormatError("safetensors: tensor '" + name + "': expected dtype, shape and data_offsets");
  }
  graph::Shape shape;
  for (const auto& d : e.at("shape")) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t{1} << 40)) {
      throw FormatError("safetensors: tensor '" + name + "': expected dims in [0, 2^40], got " + d.dump());
    }
    shape.push_back(d.get<int64_t>());
  }
  graph::TensorType type{dtype_from(e.at("dtype").get<std::string>(), name), shape};
  const auto& off = e.at("data_offsets");
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
    throw FormatError("safetensors: tensor '" + name + "': expected data_offsets [begin, end]");
  }
  uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
  uint64_t available = bytes.size() - data_begin;
  if (begin > end || end > available || end - begin != type.nbytes()) {
    throw FormatError("safetensors: tensor '" + name + "' " + type.str() + ": expected data_offsets within the " +
                      std::to_string(available) + " data bytes spanning " + std::to_string(type.nbytes()) +
                      " bytes, got [" + std::to_string(begin) + ", " + std::to_string(end) + "]");
  }
  graph::Tensor t(type);
  if (type.nbytes() > 0) std::memcpy(t.raw(), bytes.data() + data_begin + begin, type.nbytes());
  return t;
}

}  // namespace

std::map<std::string, graph::Tensor> read_safetensors(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FormatError("safetensors: cannot open '" + path + "'");
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.size() < 8) throw FormatError("safetensors: '" + path + "' is shorter than its 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  if (n > bytes.size() - 8) {
    throw FormatError("safetensors: '" + path + "': expected a header of at most " + std::to_string(bytes.size() - 8) +
                      " bytes, got " + std::to_string(n));
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError("safetensors: '" + path + "': bad JSON header: " + e.what());
  }
  if (!header.is_object()) throw FormatError("safetensors: '" + path + "': expected a JSON object header");
  std::map<std::string, graph::Tensor> out;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    try {
      out.emplace(name, read_entry(name, entry, bytes, 8 + n));
    } catch (const nlohmann::json::exception& e) {
      throw FormatError("safetensors: tensor '" + name + "': " + e.what());
    }
  }
  return out;
}

std::string fixture_path(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / "fixtures" / name).string();
}

}  // namespace flowgrad::testing
