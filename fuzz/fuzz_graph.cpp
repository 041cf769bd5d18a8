// libFuzzer harness: the graph file loader (protobuf parse, every reference,
// count, rank, dimension, dtype and attribute check, then each op's shape
// inference on the attributes the file gives). Any outcome other than a
// graph or a flowgrad::Error — a crash, a sanitizer report, another
// exception — is a bug.

#include <cstdint>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "graph/error.h"
#include "graph/serialize.h"
#include "runtime/graph_io.h"

// protobuf logs every string field with invalid UTF-8 to stderr before the
// parse fails (which the loader reports); silence it to keep the fuzzer fast.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    flowgrad::graph::Graph g = flowgrad::runtime::parse_graph(bytes, "fuzz");
    // A graph that loads must serialize and load again.
    flowgrad::runtime::parse_graph(flowgrad::graph::serialize(g), "fuzz re-serialized");
  } catch (const flowgrad::Error&) {
  }
  return 0;
}
