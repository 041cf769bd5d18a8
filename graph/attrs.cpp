#include "graph/attrs.h"

#include <functional>
#include <sstream>

namespace flowgrad::graph {
namespace {

class Flattener final : public AttrVisitor {
 public:
  std::vector<std::pair<std::string, AttrValue>> out;
  void on(std::string_view k, bool& v) override { out.emplace_back(k, v); }
  void on(std::string_view k, int64_t& v) override { out.emplace_back(k, v); }
  void on(std::string_view k, double& v) override { out.emplace_back(k, v); }
  void on(std::string_view k, std::string& v) override { out.emplace_back(k, v); }
  void on(std::string_view k, std::vector<int64_t>& v) override { out.emplace_back(k, v); }
  void on(std::string_view k, DType& v) override { out.emplace_back(k, v); }
  void on(std::string_view k, Tensor& v) override { out.emplace_back(k, v); }
};

class Assigner final : public AttrVisitor {
 public:
  explicit Assigner(const std::vector<std::pair<std::string, AttrValue>>& in) : in_(in) {}
  size_t matched = 0;
  void on(std::string_view k, bool& v) override { take(k, v); }
  void on(std::string_view k, int64_t& v) override { take(k, v); }
  void on(std::string_view k, double& v) override { take(k, v); }
  void on(std::string_view k, std::string& v) override { take(k, v); }
  void on(std::string_view k, std::vector<int64_t>& v) override { take(k, v); }
  void on(std::string_view k, DType& v) override { take(k, v); }
  void on(std::string_view k, Tensor& v) override { take(k, v); }

 private:
  template <class T> void take(std::string_view key, T& v) {
    for (const auto& [k, value] : in_) {
      if (k != key) continue;
      const T* p = std::get_if<T>(&value);
      if (!p) throw ValueError("attribute '" + k + "' has the wrong kind");
      v = *p;
      ++matched;
    }
  }
  const std::vector<std::pair<std::string, AttrValue>>& in_;
};

std::string value_str(const AttrValue& v) {
  std::ostringstream os;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) os << (x ? "true" : "false");
        else if constexpr (std::is_same_v<T, std::vector<int64_t>>) os << shape_str(x);
        else if constexpr (std::is_same_v<T, DType>) os << dtype_name(x);
        else if constexpr (std::is_same_v<T, Tensor>) os << "tensor " << x.type().str();
        else if constexpr (std::is_same_v<T, std::string>) os << '"' << x << '"';
        else os << x;
      },
      v);
  return os.str();
}

bool value_equal(const AttrValue& a, const AttrValue& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Tensor>) return identical(x, std::get<Tensor>(b));
        else return x == std::get<T>(b);
      },
      a);
}

}  // namespace

std::vector<std::pair<std::string, AttrValue>> flatten(const AttrsBase& a) {
  Flattener f;
  a.visit(f);
  return std::move(f.out);
}

void assign(AttrsBase& a, const std::vector<std::pair<std::string, AttrValue>>& values) {
  Assigner w(values);
  a.visit(w);  // writes through: `a` is a fresh, unshared copy
  if (w.matched != values.size()) {
    auto known = flatten(a);
    for (const auto& [k, v] : values) {
      bool found = false;
      for (const auto& [kk, vv] : known) found |= kk == k;
      if (!found) throw ValueError("unknown attribute '" + k + "'");
    }
  }
}

bool attrs_equal(const AttrsBase& a, const AttrsBase& b) {
  if (a.type() != b.type()) return false;
  auto fa = flatten(a), fb = flatten(b);
  if (fa.size() != fb.size()) return false;
  for (size_t i = 0; i < fa.size(); ++i) {
    if (fa[i].first != fb[i].first || !value_equal(fa[i].second, fb[i].second)) return false;
  }
  return true;
}

size_t attrs_hash(const AttrsBase& a) {
  size_t h = std::hash<std::string>{}(a.type().name());
  for (const auto& [k, v] : flatten(a)) {
    h = h * 1000003u ^ std::hash<std::string>{}(k);
    if (!std::holds_alternative<Tensor>(v)) h = h * 1000003u ^ std::hash<std::string>{}(value_str(v));
  }
  return h;
}

std::string attrs_str(const AttrsBase& a) {
  std::string out;
  for (const auto& [k, v] : flatten(a)) {
    if (!out.empty()) out += ", ";
    out += k + "=" + value_str(v);
  }
  return out;
}

}  // namespace flowgrad::graph
