#pragma once
// Graph files: save and load a graph (proto/flowgrad.proto) with the op
// registry supplying attrs. A loaded graph is verified (structure and every
// node's shape inference) before it is returned; anything wrong with the file
// is a FormatError naming the file and the problem (an unknown op included).

#include <string>

#include "graph/graph.h"

namespace flowgrad::runtime {

// Largest graph file accepted on read.
inline constexpr size_t kMaxGraphFileBytes = size_t{2} << 30;

// Writes `g` to `path` (atomically, see write_file_atomic).
void save_graph(const graph::Graph& g, const std::string& path);
// Reads and verifies a graph file; every op in it must be registered in this
// program, else a FormatError names the op.
graph::Graph load_graph(const std::string& path);
// The same from/to memory.
graph::Graph parse_graph(const std::string& bytes, const std::string& what = "graph");

// Reads a whole file (at most `limit` bytes); FormatError naming it otherwise.
std::string read_file(const std::string& path, size_t limit);
// Writes atomically: a temporary file in the same folder, flushed and
// fsync'ed, renamed over `path`, then the folder fsync'ed.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace flowgrad::runtime
