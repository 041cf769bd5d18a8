#include "graph/serialize.h"

#include <cstring>
#include <unordered_map>

#include "proto/flowgrad.pb.h"
#include "graph/algorithms.h"

namespace flowgrad::graph {
namespace {

namespace pb = flowgrad::proto;

constexpr int64_t kMaxElements = int64_t{1} << 40;
constexpr int kMaxNodes = 10'000'000;

pb::DType to_pb(DType t) {
  switch (t) {
    case DType::f32: return pb::F32;
    case DType::i32: return pb::I32;
    case DType::i64: return pb::I64;
    case DType::boolean: return pb::BOOL;
    case DType::f64: return pb::F64;
  }
  return pb::DTYPE_UNSPECIFIED;
}

DType from_pb(int t, const std::string& where) {
  switch (t) {
    case pb::F32: return DType::f32;
    case pb::I32: return DType::i32;
    case pb::I64: return DType::i64;
    case pb::BOOL: return DType::boolean;
    case pb::F64: return DType::f64;
    default: throw FormatError(where + ": unknown dtype code " + std::to_string(t));
  }
}

void write_type(const TensorType& t, pb::TensorType* out) {
  out->set_dtype(to_pb(t.dtype));
  for (int64_t d : t.shape) out->add_shape(d);
}

TensorType read_type(const pb::TensorType& t, const std::string& where) {
  if (t.shape_size() > kMaxRank) {
    throw FormatError(where + ": rank " + std::to_string(t.shape_size()) + " exceeds " + std::to_string(kMaxRank));
  }
  TensorType out{from_pb(t.dtype(), where), {}};
  int64_t n = 1;
  for (int64_t d : t.shape()) {
    if (d < 0) throw FormatError(where + ": negative dimension " + std::to_string(d));
    if (d != 0 && n > kMaxElements / d) throw FormatError(where + ": element count overflows");
    n *= d;
    out.shape.push_back(d);
  }
  return out;
}

void write_attr(const std::string& key, const AttrValue& v, pb::Attr* a) {
  a->set_key(key);
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) a->set_b(x);
        else if constexpr (std::is_same_v<T, int64_t>) a->set_i(x);
        else if constexpr (std::is_same_v<T, double>) a->set_f(x);
        else if constexpr (std::is_same_v<T, std::string>) a->set_s(x);
        else if constexpr (std::is_same_v<T, DType>) a->set_dtype(to_pb(x));
        else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          auto* ints = a->mutable_ints();  // set even when empty
          for (int64_t i : x) ints->add_values(i);
        } else {
          write_type(x.type(), a->mutable_tensor()->mutable_type());
          a->mutable_tensor()->set_data(reinterpret_cast<const char*>(x.raw()), x.nbytes());
        }
      },
      v);
}

AttrValue read_attr(const pb::Attr& a, const std::string& where) {
  std::string w = where + ", attribute '" + a.key() + "'";
  switch (a.value_case()) {
    case pb::Attr::kB: return a.b();
    case pb::Attr::kI: return a.i();
    case pb::Attr::kF: return a.f();
    case pb::Attr::kS: return a.s();
    case pb::Attr::kDtype: return from_pb(a.dtype(), w);
    case pb::Attr::kInts: return std::vector<int64_t>(a.ints().values().begin(), a.ints().values().end());
    case pb::Attr::kTensor: {
      TensorType t = read_type(a.tensor().type(), w);
      if (a.tensor().data().size() != t.nbytes()) {
        throw FormatError(w + ": tensor " + t.str() + " needs " + std::to_string(t.nbytes()) + " bytes, file has " +
                          std::to_string(a.tensor().data().size()));
      }
      Tensor out(t);
      if (t.nbytes()) std::memcpy(out.raw(), a.tensor().data().data(), t.nbytes());
      return out;
    }
    default: throw FormatError(w + ": no value");
  }
}

}  // namespace

std::string serialize(const Graph& g) {
  pb::Graph out;
  out.set_format_version(kFormatVersion);
  out.set_producer("flowgrad");
  for (NodeId id : topological_order(g)) {  // producers first: loading is one pass
    const Node& n = g.node(id);
    pb::Node* pn = out.add_nodes();
    pn->set_id(id);
    pn->set_op(n.op);
    pn->set_name(n.name);
    for (const auto& [k, v] : flatten(*n.attrs)) write_attr(k, v, pn->add_attrs());
    for (ValueId v : n.inputs) pn->add_inputs(v);
    for (ValueId v : n.outputs) {
      pn->add_outputs(v);
      write_type(g.value(v).type, pn->add_output_types());
    }
    pn->set_source_file(n.loc.file);
    pn->set_source_line(n.loc.line);
  }
  for (ValueId v : g.outputs()) out.add_outputs(v);
  out.set_node_count(static_cast<uint64_t>(out.nodes_size()));
  return out.SerializeAsString();
}

Graph deserialize(const std::string& bytes, const AttrsFactory& make_attrs) {
  pb::Graph in;
  if (!in.ParseFromString(bytes)) throw FormatError("not a flowgrad graph file (protobuf parse failed)");
  if (in.format_version() == 0 || in.format_version() > kFormatVersion) {
    throw FormatError("graph format version " + std::to_string(in.format_version()) + " is not supported (this reader: 1.." +
                      std::to_string(kFormatVersion) + ")");
  }
  if (in.nodes_size() > kMaxNodes) throw FormatError("too many nodes: " + std::to_string(in.nodes_size()));
  if (in.format_version() >= 2 && (!in.has_node_count() || in.node_count() != static_cast<uint64_t>(in.nodes_size()))) {
    throw FormatError("truncated graph file: it holds " + std::to_string(in.nodes_size()) + " nodes, its trailer says " +
                      (in.has_node_count() ? std::to_string(in.node_count()) : std::string("nothing (the trailer is missing)")));
  }
  Graph g;
  std::unordered_map<uint64_t, ValueId> values;  // file value id -> graph value id
  for (int i = 0; i < in.nodes_size(); ++i) {
    const pb::Node& pn = in.nodes(i);
    std::string where = "node " + std::to_string(i) + " ('" + pn.name() + "', op '" + pn.op() + "')";
    if (pn.name().empty()) throw FormatError(where + ": empty name");
    if (g.find(pn.name())) throw FormatError(where + ": duplicate node name");
    std::unique_ptr<AttrsBase> attrs = make_attrs(pn.op());
    std::vector<std::pair<std::string, AttrValue>> kv;
    for (const pb::Attr& a : pn.attrs()) kv.emplace_back(a.key(), read_attr(a, where));
    try {
      assign(*attrs, kv);
    } catch (const ValueError& e) {
      throw FormatError(where + ": " + e.what());
    }
    std::vector<ValueId> inputs;
    for (uint64_t v : pn.inputs()) {
      auto it = values.find(v);
      if (it == values.end()) {
        throw FormatError(where + ": input value " + std::to_string(v) + " is not defined by an earlier node");
      }
      inputs.push_back(it->second);
    }
    if (pn.outputs_size() != pn.output_types_size()) throw FormatError(where + ": outputs and output types differ in count");
    std::vector<TensorType> types;
    for (const auto& t : pn.output_types()) types.push_back(read_type(t, where));
    NodeId id = g.add_node(pn.op(), pn.name(), std::move(attrs), std::move(inputs), types,
                           {pn.source_file(), pn.source_line()});
    for (int o = 0; o < pn.outputs_size(); ++o) {
      if (!values.emplace(pn.outputs(o), g.node(id).outputs[o]).second) {
        throw FormatError(where + ": value " + std::to_string(pn.outputs(o)) + " is defined twice");
      }
    }
  }
  for (uint64_t v : in.outputs()) {
    auto it = values.find(v);
    if (it == values.end()) throw FormatError("graph output value " + std::to_string(v) + " is not defined");
    g.add_output(it->second);
  }
  return g;
}

}  // namespace flowgrad::graph
