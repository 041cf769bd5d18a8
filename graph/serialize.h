#pragma once
// Graph <-> protobuf (proto/flowgrad.proto). Attributes are written
// generically from each op's typed attrs (`visit`), so adding an op never
// touches this file or the .proto.
//
// Files are untrusted: every count, reference, rank, dimension, dtype code and
// tensor byte size is checked, and nodes may only reference values defined
// earlier in the file (so a file cannot describe a cycle and loading never
// recurses). A bad file throws FormatError naming what is wrong.
//
// Compatibility: a reader accepts every format_version <= kFormatVersion and
// rejects a newer one with an error naming both versions.

#include <functional>
#include <memory>
#include <string>

#include "graph/graph.h"

namespace flowgrad::graph {

// Version history: 1 = initial; 2 = adds the node_count trailer (truncation check).
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr int kMaxRank = 8;

// Makes empty attrs for an op name; throws (naming the op) if unknown.
// Supplied by ops/ (graph knows no ops).
using AttrsFactory = std::function<std::unique_ptr<AttrsBase>(const std::string& op)>;

std::string serialize(const Graph& g);
Graph deserialize(const std::string& bytes, const AttrsFactory& make_attrs);

}  // namespace flowgrad::graph
