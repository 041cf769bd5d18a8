#pragma once
// Typed op attributes. Each op declares a plain struct with a `visit` method:
//
//   struct MatmulAttrs {
//     bool transpose_a = false;
//     bool transpose_b = false;
//     template <class V> void visit(V& v) { v("transpose_a", transpose_a); v("transpose_b", transpose_b); }
//   };
//
// Op code reads fields directly (no string lookups). Everything generic —
// printing, equality for CSE, hashing, serialization — walks the struct with
// an AttrVisitor, so adding an op never touches those.

#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <variant>
#include <vector>

#include "graph/tensor.h"

namespace flowgrad::graph {

// The value kinds an attribute may hold.
using AttrValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>, DType, Tensor>;

class AttrVisitor {
 public:
  virtual ~AttrVisitor() = default;
  virtual void on(std::string_view key, bool& v) = 0;
  virtual void on(std::string_view key, int64_t& v) = 0;
  virtual void on(std::string_view key, double& v) = 0;
  virtual void on(std::string_view key, std::string& v) = 0;
  virtual void on(std::string_view key, std::vector<int64_t>& v) = 0;
  virtual void on(std::string_view key, DType& v) = 0;
  virtual void on(std::string_view key, Tensor& v) = 0;

  template <class T> void operator()(std::string_view key, T& v) { on(key, v); }
};

// Type-erased attrs held by a node; immutable once attached.
class AttrsBase {
 public:
  virtual ~AttrsBase() = default;
  // Read-only visitors must not modify; writers use a fresh copy from clone().
  virtual void visit(AttrVisitor& v) const = 0;
  virtual std::unique_ptr<AttrsBase> clone() const = 0;
  virtual const std::type_info& type() const = 0;
};

template <class T>
class Attrs final : public AttrsBase {
 public:
  explicit Attrs(T v = {}) : value(std::move(v)) {}
  void visit(AttrVisitor& v) const override { const_cast<T&>(value).visit(v); }
  std::unique_ptr<AttrsBase> clone() const override { return std::make_unique<Attrs<T>>(value); }
  const std::type_info& type() const override { return typeid(T); }
  T value;
};

// Attrs for ops that have none.
struct NoAttrs {
  template <class V> void visit(V&) {}
};

// (key, value) pairs in visit order.
std::vector<std::pair<std::string, AttrValue>> flatten(const AttrsBase& a);
// Assigns values by key; throws ValueError on an unknown key or a wrong kind.
void assign(AttrsBase& a, const std::vector<std::pair<std::string, AttrValue>>& values);
bool attrs_equal(const AttrsBase& a, const AttrsBase& b);
size_t attrs_hash(const AttrsBase& a);
std::string attrs_str(const AttrsBase& a);  // "transpose_a=false, transpose_b=true"

}  // namespace flowgrad::graph
