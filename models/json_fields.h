#pragma once
// Reading model configuration files (config.json) with nlohmann-json: a
// missing field keeps its default (as transformers does), a field of the
// wrong type is a FormatError naming the file and the field.

#include <fstream>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "graph/error.h"

namespace flowgrad::models {

// The JSON object in `path`; FormatError if it cannot be read or is not an object.
inline nlohmann::json read_json_object(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw FormatError("cannot open '" + path + "'");
  nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw FormatError("'" + path + "' is not a JSON object");
  return j;
}

template <class T>
void read_field(const nlohmann::json& j, const char* key, T& out, const std::string& path) {
  if (!j.contains(key)) return;
  const nlohmann::json& v = j[key];
  bool ok = std::is_same_v<T, std::string> ? v.is_string()
            : std::is_same_v<T, bool>      ? v.is_boolean()
            : std::is_floating_point_v<T>  ? v.is_number()
                                           : v.is_number_integer();
  if (!ok) throw FormatError("'" + path + "': field '" + key + "' has the wrong type (" + std::string(v.type_name()) + ")");
  out = v.get<T>();
}

}  // namespace flowgrad::models
