#include "ops/op_def.h"

#include <algorithm>
#include <map>

#include "graph/algorithms.h"

namespace flowgrad::ops {
namespace {

std::map<std::string, OpDef, std::less<>>& registry() {
  static std::map<std::string, OpDef, std::less<>> r;
  return r;
}

std::string types_str(std::span<const TensorType> types) {
  std::string s;
  for (size_t i = 0; i < types.size(); ++i) s += (i ? ", " : "") + types[i].str();
  return s.empty() ? "no inputs" : "inputs " + s;
}

}  // namespace

const char* fusion_class_name(FusionClass c) {
  switch (c) {
    case FusionClass::elementwise: return "elementwise";
    case FusionClass::broadcast: return "broadcast";
    case FusionClass::injective: return "injective";
    case FusionClass::reduce: return "reduce";
    case FusionClass::out_fusable: return "out_fusable";
    case FusionClass::opaque: return "opaque";
  }
  return "?";
}

void InferContext::fail(const std::string& what) const {
  std::string msg = node_name + " (" + op + ") with " + types_str(inputs) + ": " + what;
  if (loc.known()) msg += " (at " + loc.str() + ")";
  throw ShapeError(msg);
}

DType InferContext::expect_float(size_t i) const {
  DType t = inputs[i].dtype;
  if (!graph::is_float(t)) {
    fail("expected input " + std::to_string(i) + " of a float dtype (f32 or f64), got " + graph::dtype_name(t));
  }
  return t;
}

DType InferContext::expect_same_float(std::initializer_list<size_t> which) const {
  size_t first = *which.begin();
  DType t = expect_float(first);
  for (size_t i : which) {
    if (inputs[i].dtype != t) {
      fail("expected inputs " + std::to_string(first) + " and " + std::to_string(i) + " of the same float dtype, got " +
           graph::dtype_name(t) + " and " + graph::dtype_name(inputs[i].dtype));
    }
  }
  return t;
}

const OpDef& register_op(OpDef def) {
  FLOWGRAD_CHECK(!def.name.empty(), "op without a name");
  FLOWGRAD_CHECK(def.infer && def.reference && def.make_attrs, "op '" + def.name + "' lacks infer/reference/attrs");
  FLOWGRAD_CHECK(!(def.grad && def.not_differentiable), "op '" + def.name + "' has a grad and is not_differentiable");
  auto [it, inserted] = registry().emplace(def.name, std::move(def));
  FLOWGRAD_CHECK(inserted, "op '" + it->first + "' registered twice");
  return it->second;
}

const OpDef* find_op(std::string_view name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

const OpDef& get_op(std::string_view name) {
  if (const OpDef* d = find_op(name)) return *d;
  throw ValueError("unknown op '" + std::string(name) + "'");
}

std::vector<const OpDef*> all_ops() {
  std::vector<const OpDef*> out;
  for (const auto& [name, def] : registry()) out.push_back(&def);
  return out;
}

std::vector<TensorType> infer_node(const graph::Node& node, std::span<const TensorType> inputs) {
  const OpDef& def = get_op(node.op);
  InferContext ctx{node.op, node.name, *node.attrs, inputs, node.loc};
  return def.infer(ctx);
}

void verify(const graph::Graph& g) {
  graph::verify_structure(g);
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    const OpDef& def = get_op(n.op);
    std::vector<TensorType> in;
    for (graph::ValueId v : n.inputs) in.push_back(g.value(v).type);
    if (def.num_inputs != kVariadic && static_cast<int>(in.size()) != def.num_inputs) {
      throw Error("node '" + n.name + "' (" + n.op + "): expected " + std::to_string(def.num_inputs) +
                  " inputs, got " + std::to_string(in.size()));
    }
    if (def.source == Source::input) continue;  // its type is whatever is fed
    auto out = infer_node(n, in);
    if (out.size() != n.outputs.size()) throw Error("node '" + n.name + "' (" + n.op + "): wrong output count");
    for (size_t i = 0; i < out.size(); ++i) {
      const TensorType& have = g.value(n.outputs[i]).type;
      if (have != out[i]) {
        throw Error("node '" + n.name + "' (" + n.op + "): output " + std::to_string(i) + " is recorded as " +
                    have.str() + " but inference gives " + out[i].str());
      }
    }
  }
}

}  // namespace flowgrad::ops
