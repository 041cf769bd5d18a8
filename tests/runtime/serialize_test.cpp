#include <cstring>

#include "proto/flowgrad.pb.h"
#include "frontend/flowgrad.h"
#include "graph/serialize.h"
#include "runtime/graph_compare.h"
#include "runtime/graph_io.h"
#include "runtime/safetensors.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

TEST_CASE("every op case survives a graph file round trip exactly") {
  for (const OpCase& c : op_cases()) {
    graph::Graph g;
    ops::Emitter em(g);
    std::vector<ops::Expr> ins;
    for (size_t i = 0; i < c.inputs.size(); ++i) ins.push_back(ops::input(em, "in" + std::to_string(i), c.inputs[i]));
    for (auto& o : em.emit(c.op, c.attrs, ins, ops::Loc::current(), "op")) g.add_output(o.id());
    graph::Graph back = runtime::parse_graph(graph::serialize(g));
    check_same_graph(g, back);
    CHECK(back.outputs().size() == g.outputs().size());
  }
}

TEST_CASE("a training graph round-trips and the copy trains identically") {
  Builder b;
  Expr x = b.input("x", f32({16, 4}));
  Expr y = b.input("y", f32({16, 1}));
  Expr p = nn::linear(b, ops::tanh(nn::linear(b, x, {.out_features = 8, .seed = 1}, "fc1")), {.out_features = 1, .seed = 2}, "fc2");
  Expr d = p - y;
  Expr loss = ops::reduce_mean(d * d);
  auto train = optim::minimize(b, loss, optim::Adam{.lr = 0.01});
  graph::Graph copy = runtime::parse_graph(graph::serialize(b.graph()));
  check_same_graph(b.graph(), copy);
  runtime::Session s1(b.graph()), s2(copy);
  runtime::Feeds feeds{{"x", random_tensor(f32({16, 4}), 1)}, {"y", random_tensor(f32({16, 1}), 2)}};
  graph::ValueId loss2 = copy.find(loss.producer().name)->outputs[0];
  graph::ValueId step2 = copy.find(train.step.producer().name)->outputs[0];
  for (int i = 0; i < 5; ++i) {
    Tensor l1 = s1.run(feeds, {loss.id(), train.step.id()})[0].clone();
    Tensor l2 = s2.run(feeds, {loss2, step2})[0];
    CHECK(graph::identical(l1, l2));
  }
}

std::string one_node_file(const std::function<void(proto::Graph&)>& edit) {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3}));
  g.add_output(ops::relu(x).id());
  proto::Graph p;
  REQUIRE(p.ParseFromString(graph::serialize(g)));
  edit(p);
  return p.SerializeAsString();
}

TEST_CASE("a graph file cut at any byte is rejected, also where the prefix still parses as protobuf") {
  std::string good = one_node_file([](proto::Graph&) {});
  int parseable = 0;
  for (size_t n = 0; n < good.size(); ++n) {
    proto::Graph p;
    parseable += p.ParseFromString(good.substr(0, n));
    CHECK_THROWS_AS_MESSAGE(runtime::parse_graph(good.substr(0, n)), FormatError, "cut at byte " << n << " of " << good.size());
  }
  CHECK(parseable > 0);  // the case the node_count trailer exists for
  CHECK(runtime::parse_graph(good).num_nodes() == 2);
}

TEST_CASE("a version 1 file (no node_count trailer) still loads") {
  graph::Graph g = runtime::parse_graph(one_node_file([](proto::Graph& p) {
    p.set_format_version(1);
    p.clear_node_count();
  }));
  CHECK(g.num_nodes() == 2);
}

TEST_CASE("malformed graph files give specific errors") {
  auto fails_with = [](const std::string& bytes, const std::string& text) {
    CHECK_THROWS_WITH_AS(runtime::parse_graph(bytes), doctest::Contains(text.c_str()), FormatError);
  };
  fails_with("this is not protobuf \xff\xff\xff", "protobuf parse failed");
  std::string good = one_node_file([](proto::Graph&) {});
  fails_with(good.substr(0, good.size() / 2), "");  // truncated: some FormatError
  fails_with(one_node_file([](proto::Graph& p) { p.clear_node_count(); }), "truncated graph file");
  fails_with(one_node_file([](proto::Graph& p) { p.set_format_version(99); }), "graph format version 99 is not supported");
  fails_with(one_node_file([](proto::Graph& p) { p.mutable_nodes(1)->set_op("frobnicate"); }), "unknown op 'frobnicate'");
  fails_with(one_node_file([](proto::Graph& p) { p.mutable_nodes(1)->set_inputs(0, 777); }),
             "input value 777 is not defined by an earlier node");
  fails_with(one_node_file([](proto::Graph& p) { p.mutable_nodes(1)->set_name("x"); }), "duplicate node name");
  fails_with(one_node_file([](proto::Graph& p) { p.mutable_nodes(1)->mutable_output_types(0)->set_dtype(proto::DType(42)); }),
             "unknown dtype code 42");
  fails_with(one_node_file([](proto::Graph& p) { p.mutable_nodes(1)->mutable_output_types(0)->set_shape(0, -5); }),
             "negative dimension -5");
  fails_with(one_node_file([](proto::Graph& p) {
               auto* t = p.mutable_nodes(1)->mutable_output_types(0);
               for (int i = 0; i < 9; ++i) t->add_shape(1);
             }),
             "rank 11 exceeds 8");
  fails_with(one_node_file([](proto::Graph& p) { p.mutable_nodes(1)->mutable_output_types(0)->set_shape(0, 7); }),
             "is recorded as f32[7, 3] but inference gives f32[2, 3]");
  fails_with(one_node_file([](proto::Graph& p) {
               auto* a = p.mutable_nodes(0)->mutable_attrs(0);  // input's shape
               a->set_s("oops");
             }),
             "attribute 'shape' has the wrong kind");
  fails_with(one_node_file([](proto::Graph& p) { p.mutable_nodes(0)->add_attrs()->set_key("bogus"); }), "attribute 'bogus': no value");
  fails_with(one_node_file([](proto::Graph& p) {
               auto* a = p.mutable_nodes(0)->add_attrs();
               a->set_key("bogus");
               a->set_i(1);
             }),
             "unknown attribute 'bogus'");
  fails_with(one_node_file([](proto::Graph& p) { p.add_outputs(12345); }), "graph output value 12345 is not defined");
  fails_with(one_node_file([](proto::Graph& p) { p.mutable_nodes()->SwapElements(0, 1); }), "is not defined by an earlier node");
}

TEST_CASE("a constant tensor whose byte size disagrees with its shape is rejected") {
  graph::Graph g;
  ops::Emitter em(g);
  ops::constant(em, Tensor::from<float>({2}, {1, 2}));
  proto::Graph p;
  REQUIRE(p.ParseFromString(graph::serialize(g)));
  p.mutable_nodes(0)->mutable_attrs(0)->mutable_tensor()->set_data("abc");
  CHECK_THROWS_WITH_AS(runtime::parse_graph(p.SerializeAsString()), doctest::Contains("tensor f32[2] needs 8 bytes, file has 3"),
                       FormatError);
}

TEST_CASE("safetensors round trip, metadata, and half-precision widening") {
  runtime::Safetensors s;
  s.tensors["a.weight"] = random_tensor(f32({3, 4}), 1);
  s.tensors["ids"] = Tensor::from<int64_t>({3}, {1, -2, 3});
  s.tensors["flags"] = Tensor::from<bool>({2}, {true, false});
  s.metadata["format"] = "pt";
  auto back = runtime::parse_safetensors(runtime::encode_safetensors(s));
  REQUIRE(back.tensors.size() == 3);
  for (const auto& [k, t] : s.tensors) CHECK(graph::identical(back.tensors.at(k), t));
  CHECK(back.metadata.at("format") == "pt");

  std::string h = R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}})";
  std::string file(8, '\0');
  file[0] = static_cast<char>(h.size());
  file += h;
  const unsigned char data[] = {0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f};  // f16 1.0, -2.0; bf16 1.0
  file.append(reinterpret_cast<const char*>(data), sizeof data);
  auto w = runtime::parse_safetensors(file);
  CHECK(w.tensors.at("h").at(0) == 1.0);
  CHECK(w.tensors.at("h").at(1) == -2.0);
  CHECK(w.tensors.at("b").at(0) == 1.0);
}

std::string st_file(const std::string& header, size_t data_bytes, uint64_t claimed = 0) {
  std::string f(8, '\0');
  uint64_t n = claimed ? claimed : header.size();
  for (int i = 0; i < 8; ++i) f[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return f + header + std::string(data_bytes, '\0');
}

TEST_CASE("malformed safetensors files give specific errors") {
  auto fails_with = [](const std::string& bytes, const std::string& text) {
    CHECK_THROWS_WITH_AS(runtime::parse_safetensors(bytes, "w.safetensors"), doctest::Contains(text.c_str()), FormatError);
  };
  fails_with("abc", "too short for a header");
  fails_with(st_file("{}", 0, uint64_t{1} << 60), "header length 1152921504606846976 exceeds the file");
  fails_with(st_file("{not json", 0), "header is not a JSON object");
  fails_with(st_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4), "fall outside the 4 bytes of data");
  fails_with(st_file(R"({"t":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", 8), "unsupported dtype 'Q4'");
  fails_with(st_file(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "shape has a bad dimension");
  fails_with(st_file(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
             "element count overflows");
  fails_with(st_file(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "8 bytes for 3 F32 elements");
  fails_with(st_file(R"({"t":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})", 4), "rank <= 8");
  fails_with(st_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8), "fall outside");
  fails_with(st_file(R"({"t":{"shape":[1]}})", 8), "expected dtype, shape and data_offsets");
}

}  // namespace
}  // namespace flowgrad::testing
