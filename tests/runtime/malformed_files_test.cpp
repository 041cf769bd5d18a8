// More hand-made malformed files, each with its specific error: graph files
// (beyond tests/runtime/serialize_test.cpp), safetensors headers and
// checkpoint manifests. Together with serialize_test.cpp and
// checkpoint_test.cpp they make the corpus SECURITY.md refers to.

#include <unistd.h>

#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

#include "frontend/flowgrad.h"
#include "graph/serialize.h"
#include "ops/slice.h"
#include "proto/flowgrad.pb.h"
#include "runtime/checkpoint.h"
#include "runtime/graph_io.h"
#include "runtime/safetensors.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using json = nlohmann::json;

// x f32[2, 3] -> relu -> cast to i32: the file of a small valid graph, edited.
std::string graph_file(const std::function<void(proto::Graph&)>& edit) {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3}));
  g.add_output(ops::cast(ops::relu(x), DType::i32).id());
  proto::Graph p;
  REQUIRE(p.ParseFromString(graph::serialize(g)));
  REQUIRE(p.nodes_size() == 3);
  edit(p);
  return p.SerializeAsString();
}

void graph_fails_with(const std::string& bytes, const std::string& text) {
  CHECK_THROWS_WITH_AS(runtime::parse_graph(bytes, "g.pb"), doctest::Contains(text.c_str()), FormatError);
}

TEST_CASE("malformed graph files: cycles, redefinitions, counts, overflow, bad attributes") {
  // a node reading its own output: the smallest cycle
  graph_fails_with(graph_file([](proto::Graph& p) { p.mutable_nodes(2)->set_inputs(0, p.nodes(2).outputs(0)); }),
                   "is not defined by an earlier node");
  // a two-node cycle: relu reads cast's output, cast reads relu's
  graph_fails_with(graph_file([](proto::Graph& p) { p.mutable_nodes(1)->set_inputs(0, p.nodes(2).outputs(0)); }),
                   "op 'relu'): input value");
  graph_fails_with(graph_file([](proto::Graph& p) { p.mutable_nodes(2)->set_outputs(0, p.nodes(0).outputs(0)); }),
                   "is defined twice");
  graph_fails_with(graph_file([](proto::Graph& p) { p.mutable_nodes(2)->add_outputs(999); }),
                   "outputs and output types differ in count");
  graph_fails_with(graph_file([](proto::Graph& p) { p.mutable_nodes(2)->set_name(""); }), "empty name");
  graph_fails_with(graph_file([](proto::Graph& p) {
                     auto* t = p.mutable_nodes(2)->mutable_output_types(0);
                     t->set_shape(0, int64_t{1} << 40);
                     t->set_shape(1, int64_t{1} << 40);
                   }),
                   "element count overflows");
  graph_fails_with(graph_file([](proto::Graph& p) {
                     for (auto& a : *p.mutable_nodes(2)->mutable_attrs()) a.set_dtype(proto::DType(77));
                   }),
                   "unknown dtype code 77");
  // a relu with two inputs: the op's schema rejects it when the file is verified
  graph_fails_with(graph_file([](proto::Graph& p) { p.mutable_nodes(1)->add_inputs(p.nodes(0).outputs(0)); }),
                   "(relu): expected 1 inputs, got 2");
  graph_fails_with(graph_file([](proto::Graph& p) { p.set_format_version(0); }), "graph format version 0 is not supported");
  graph_fails_with(graph_file([](proto::Graph& p) { p.set_node_count(7); }), "holds 3 nodes, its trailer says 7");
}

// A reshape whose target shape multiplies past int64 (found by fuzz_graph:
// UBSan reported the signed overflow in the element count).
TEST_CASE("a reshape attribute whose element count overflows is a format error") {
  graph::Graph g;
  ops::Emitter em(g);
  g.add_output(ops::reshape(ops::input(em, "x", f32({2, 3})), {3, 2}).id());
  proto::Graph p;
  REQUIRE(p.ParseFromString(graph::serialize(g)));
  for (auto& a : *p.mutable_nodes(1)->mutable_attrs()) {
    if (a.key() != "shape") continue;
    a.mutable_ints()->set_values(0, std::numeric_limits<int64_t>::max());
    a.mutable_ints()->set_values(1, 4);
  }
  graph_fails_with(p.SerializeAsString(), "(the element count overflows)");
}

TEST_CASE("a pad attribute that overflows the dimension is a format error") {
  graph::Graph g;
  ops::Emitter em(g);
  g.add_output(ops::pad(ops::input(em, "x", f32({2, 3})), {.before = {0, 1}, .after = {0, 1}}).id());
  proto::Graph p;
  REQUIRE(p.ParseFromString(graph::serialize(g)));
  for (auto& a : *p.mutable_nodes(1)->mutable_attrs()) {
    if (a.key() == "after") a.mutable_ints()->set_values(1, std::numeric_limits<int64_t>::max());
  }
  graph_fails_with(p.SerializeAsString(), "overflows the dimension");
}

std::filesystem::path regressions() { return std::filesystem::path(__FILE__).parent_path().parent_path() / "fuzz_regressions"; }

TEST_CASE("every fuzzer crash input under tests/fuzz_regressions is now a format error") {
  CHECK_THROWS_WITH_AS(runtime::load_graph((regressions() / "fuzz_graph" / "reshape_shape_overflow.pb").string()),
                       doctest::Contains("(the element count overflows)"), FormatError);
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(regressions())) {
    if (!e.is_regular_file()) continue;
    std::string harness = e.path().parent_path().filename().string(), path = e.path().string();
    INFO(path);
    ++files;
    if (harness == "fuzz_graph") CHECK_THROWS_AS(runtime::load_graph(path), FormatError);
    else if (harness == "fuzz_safetensors") CHECK_THROWS_AS(runtime::read_safetensors(path), FormatError);
    else if (harness == "fuzz_checkpoint_manifest") CHECK_THROWS_AS(runtime::parse_manifest(runtime::read_file(path, 1 << 20)), FormatError);
    else FAIL("unknown harness folder " << harness);
  }
  CHECK(files >= 1);
}

std::string st_file(const std::string& header, size_t data_bytes) {
  std::string f(8, '\0');
  for (int i = 0; i < 8; ++i) f[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return f + header + std::string(data_bytes, '\0');
}

void st_fails_with(const std::string& header, size_t data_bytes, const std::string& text) {
  CHECK_THROWS_WITH_AS(runtime::parse_safetensors(st_file(header, data_bytes), "w.safetensors"), doctest::Contains(text.c_str()),
                       FormatError);
}

TEST_CASE("malformed safetensors headers: duplicates, overlaps and wrong types") {
  st_fails_with(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8,
                "tensor 't' appears twice in the header");
  st_fails_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8,
                "tensors 'a' and 'b' overlap in the data");
  st_fails_with(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
                R"("c":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
                16, "tensors 'a' and 'b' overlap in the data");
  st_fails_with(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 8, "data_offsets must be two non-negative integers");
  st_fails_with(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", 8, "data_offsets must be two non-negative integers");
  st_fails_with(R"({"t":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})", 8, "dtype must be a string");
  st_fails_with(R"({"t":{"dtype":"F32","shape":"2x2","data_offsets":[0,4]}})", 8, "shape must be an array");
  st_fails_with(R"({"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8, "a tensor has an empty name");
  st_fails_with(R"({"__metadata__":{"format":1}})", 0, "metadata 'format' must be a string");
  st_fails_with(R"({"__metadata__":[1]})", 0, "__metadata__ must be an object");
  st_fails_with(R"([{"t":1}])", 0, "header is not a JSON object");
  // a valid file still loads: adjacent ranges and an empty tensor do not overlap
  auto ok = runtime::parse_safetensors(
      st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[0],"data_offsets":[4,4]},)"
              R"("c":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
              8));
  CHECK(ok.tensors.size() == 3);
}

// A real manifest (from save_checkpoint) and its tensors.
struct SavedCheckpoint {
  json manifest;
  runtime::Safetensors tensors;
  SavedCheckpoint() {
    auto dir = std::filesystem::temp_directory_path() / ("flowgrad_manifest_" + std::to_string(::getpid()));
    runtime::Workspace ws;
    ws.set("w", random_tensor(f32({2, 3}), 1));
    ws.set("optimizer/step", Tensor::from<int64_t>({1}, {4}));
    std::string path = runtime::save_checkpoint(dir.string(), ws, 4, 4, {{"loader", "{}"}});
    manifest = json::parse(runtime::read_file(path + "/manifest.json", 1 << 20));
    tensors = runtime::load_checkpoint(path).tensors;
    std::filesystem::remove_all(dir);
  }
};

void manifest_fails_with(const std::string& text, const std::string& error) {
  CHECK_THROWS_WITH_AS(runtime::parse_manifest(text, "manifest.json"), doctest::Contains(error.c_str()), FormatError);
}

TEST_CASE("malformed checkpoint manifests give specific errors") {
  SavedCheckpoint saved;
  auto edited = [&](const std::function<void(json&)>& edit) {
    json m = saved.manifest;
    edit(m);
    return m.dump();
  };
  runtime::Manifest good = runtime::parse_manifest(saved.manifest.dump());
  CHECK(good.step == 4);
  CHECK(good.extra.at("loader") == "{}");
  runtime::verify_tensors(good, saved.tensors, "ok");

  manifest_fails_with("{\"format\": 1, \"step\": ", "not a JSON object");
  manifest_fails_with(edited([](json& m) { m["format"] = 2; }), "unsupported checkpoint format 2 (this reader: 1)");
  manifest_fails_with(edited([](json& m) { m["format"] = "1"; }), "unsupported checkpoint format of type string");
  manifest_fails_with(edited([](json& m) { m.erase("step"); }), "missing 'step'");
  manifest_fails_with(edited([](json& m) { m["session_step"] = -1; }), "'session_step' must be a non-negative integer");
  manifest_fails_with(edited([](json& m) { m["tensors"] = json::array(); }), "missing 'tensors' object");
  manifest_fails_with(edited([](json& m) { m["tensors"]["w"].erase("checksum"); }), "tensor 'w': missing checksum");
  manifest_fails_with(edited([](json& m) { m["tensors"]["w"]["checksum"] = "not-a-checksum"; }),
                      "is not 16 hexadecimal digits");
  manifest_fails_with(edited([](json& m) { m["tensors"]["w"]["bytes"] = "24"; }), "'bytes' must be a non-negative integer");
  manifest_fails_with(edited([](json& m) { m["extra"]["loader"] = 3; }), "extra 'loader' must be a string");

  auto verify_fails_with = [&](const std::function<void(json&)>& edit, const runtime::Safetensors& tensors, const std::string& error) {
    runtime::Manifest m = runtime::parse_manifest(edited(edit));
    CHECK_THROWS_WITH_AS(runtime::verify_tensors(m, tensors, "ckpt"), doctest::Contains(error.c_str()), FormatError);
  };
  verify_fails_with([](json& m) { m["tensors"]["w"]["bytes"] = 20; }, saved.tensors, "tensor 'w' has 24 bytes, the manifest says 20");
  verify_fails_with([](json& m) { m["tensors"]["w"]["checksum"] = "0123456789abcdef"; }, saved.tensors,
                    "checksum mismatch for tensor 'w'");
  verify_fails_with([](json& m) { m["tensors"]["v"] = m["tensors"]["w"]; }, saved.tensors, "tensor 'v' is missing");
  verify_fails_with([](json& m) { m["tensors"].erase("w"); }, saved.tensors, "tensor 'w' is not in the manifest");
}

}  // namespace
}  // namespace flowgrad::testing
