#include "ops/lstm.h"

#include "autodiff/grad.h"
#include "fixtures_util.h"
#include "ops/binary.h"
#include "ops/dnnl_util.h"
#include "ops/lstm_backward.h"
#include "ops/reduce.h"
#include "ops/sources.h"
#include "runtime/reference.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::LstmAttrs;

struct Config {
  int64_t T, B, I;
  LstmAttrs attrs;
  bool state = false, lengths = false;
};

// lstm's input types: x, parameters[, h0, c0][, lengths].
std::vector<TensorType> lstm_inputs(const Config& c) {
  std::vector<TensorType> t{f32({c.T, c.B, c.I})};
  for (const Shape& s : ops::lstm_parameter_shapes(c.attrs, c.I)) t.push_back(f32(s));
  int64_t states = c.attrs.num_layers * (c.attrs.bidirectional ? 2 : 1);
  if (c.state) t.insert(t.end(), 2, f32({states, c.B, c.attrs.hidden_size}));
  if (c.lengths) t.push_back({DType::i32, {c.B}});
  return t;
}

// lstm_backward's input types: lstm's, then its workspace and output types.
std::vector<TensorType> lstm_backward_inputs(const Config& c) {
  graph::Graph g;
  ops::Emitter em(g);
  std::vector<ops::Expr> ins;
  auto types = lstm_inputs(c);
  for (size_t i = 0; i < types.size(); ++i) ins.push_back(ops::input(em, "in" + std::to_string(i), types[i]));
  auto outs = em.emit("lstm", std::make_shared<graph::Attrs<LstmAttrs>>(c.attrs), ins, ops::Loc::current());
  for (int k : {3, 0, 1, 2}) types.push_back(outs[k].type());
  return types;
}

const Config kOneLayer{3, 2, 4, {.hidden_size = 3}};
const Config kTwoLayersBi{3, 2, 3, {.hidden_size = 2, .num_layers = 2, .bidirectional = true}, true};
// Lengths are drawn with the other inputs from [0, T + 1), so every input is
// >= 0 and the gates saturate: too coarse for the gradient check, which this
// case skips by size ("lstm kernels match the reference interpreter ..." and
// the padding test below check padded gradients).
const Config kPadded{3, 4, 24, {.hidden_size = 8, .num_layers = 2, .bidirectional = true}, true, true};
// Three layers whose inputs all have D·H = I: one shape class, two layer buffers.
// Three layers whose inputs all have D·H = I: one shape class, two layer
// buffers (too big for the gradient check, whose finite differences drown the
// small gradients of the middle layer).
const Config kThreeLayers{4, 3, 32, {.hidden_size = 16, .num_layers = 3, .bidirectional = true}};
const Config kBig{6, 4, 10, {.hidden_size = 16, .num_layers = 2, .bidirectional = true}, true};
// Small enough for the gradient check: bidirectional with initial state.
const Config kSmallBi{2, 3, 2, {.hidden_size = 2, .bidirectional = true}, true};
// Unidirectional, so the batch is cut in 2 parts (1 and 2 sequences), each
// with its own primitives; two layer input sizes.
const Config kUniSplit{3, 3, 4, {.hidden_size = 3, .num_layers = 2}, true};

FLOWGRAD_OP_CASES(lstm)({
    op_case("lstm", lstm_inputs(kOneLayer), kOneLayer.attrs, -1, 1),
    op_case("lstm", lstm_inputs(kTwoLayersBi), kTwoLayersBi.attrs, -1, 1),
    op_case("lstm", lstm_inputs(kPadded), kPadded.attrs, 0, 4),
    op_case("lstm", lstm_inputs(kThreeLayers), kThreeLayers.attrs, -1, 1),
    op_case("lstm", lstm_inputs(kBig), kBig.attrs, -1, 1),
    op_case("lstm", lstm_inputs(kSmallBi), kSmallBi.attrs, -1, 1),
    op_case("lstm", lstm_inputs(kUniSplit), kUniSplit.attrs, -1, 1),
});

// The random workspace makes the kernel recompute the forward pass. (No
// padded case here: lengths in [0, T] force inputs in [0, T + 1), where
// saturated gates make the f32 gradients differ from double ones by more
// than 1e-5; "lstm kernels match the reference interpreter ..." covers it.)
FLOWGRAD_OP_CASES(lstm_backward)({
    op_case("lstm_backward", lstm_backward_inputs(kOneLayer), kOneLayer.attrs, -1, 1),
    op_case("lstm_backward", lstm_backward_inputs(kTwoLayersBi), kTwoLayersBi.attrs, -1, 1),
    op_case("lstm_backward", lstm_backward_inputs(kBig), kBig.attrs, -1, 1),
    op_case("lstm_backward", lstm_backward_inputs(kUniSplit), kUniSplit.attrs, -1, 1),
});

// lstm on fed inputs ("x", parameters by PyTorch name, "h0", "c0", "lengths")
// and the gradients of loss = Σ y·R + Σ h_n·R2 + Σ c_n·R3 (R* fed too).
// Fetches: y, h_n, c_n, dx, d<parameter>..., [dh0, dc0].
struct LstmNet {
  graph::Graph g;
  ops::Emitter em{g};
  std::vector<graph::ValueId> fetches;
  std::vector<ops::Expr> fwd_inputs;
  ops::LstmResult r;

  explicit LstmNet(const Config& c) {
    auto types = lstm_inputs(c);
    auto names = ops::lstm_parameter_names(c.attrs);
    names.insert(names.begin(), "x");
    if (c.state) names.insert(names.end(), {"h0", "c0"});
    if (c.lengths) names.push_back("lengths");
    for (size_t i = 0; i < types.size(); ++i) fwd_inputs.push_back(ops::input(em, names[i], types[i]));
    size_t params = ops::lstm_parameter_names(c.attrs).size();
    std::vector<ops::Expr> p(fwd_inputs.begin() + 1, fwd_inputs.begin() + 1 + params);
    ops::LstmOptions o;
    if (c.state) o.h0 = fwd_inputs[1 + params], o.c0 = fwd_inputs[2 + params];
    if (c.lengths) o.lengths = fwd_inputs.back();
    r = ops::lstm(fwd_inputs[0], p, c.attrs, o);
    ops::Expr loss = ops::reduce_sum(ops::mul(r.y, ops::input(em, "R", r.y.type())));
    loss = ops::add(loss, ops::reduce_sum(ops::mul(r.h_n, ops::input(em, "R2", r.h_n.type()))));
    loss = ops::add(loss, ops::reduce_sum(ops::mul(r.c_n, ops::input(em, "R3", r.c_n.type()))));
    std::vector<ops::Expr> wrt(fwd_inputs.begin(), fwd_inputs.end() - (c.lengths ? 1 : 0));
    fetches = {r.y.id(), r.h_n.id(), r.c_n.id()};
    for (const ops::Expr& d : autodiff::grad(loss, wrt)) fetches.push_back(d.id());
  }
};

// Random feeds in [-1, 1) for every input of LstmNet, lengths as given.
runtime::Feeds random_feeds(const LstmNet& net, const std::vector<int32_t>& lengths, uint64_t seed) {
  runtime::Feeds feeds;
  for (graph::NodeId id : net.g.node_ids()) {
    const graph::Node& n = net.g.node(id);
    if (n.op != "input") continue;
    const TensorType& t = net.g.value(n.outputs[0]).type;
    Tensor v = n.name == "lengths" ? Tensor::from<int32_t>(t.shape, std::span<const int32_t>(lengths))
                                   : random_tensor(t, seed + id, -1, 1);
    feeds.emplace_back(n.name, v);
  }
  return feeds;
}

std::vector<Tensor> run_net(LstmNet& net, const runtime::Feeds& feeds, int threads = 0) {
  runtime::Session sess(net.g, {.threads = threads});
  auto out = sess.run(feeds, net.fetches);
  for (Tensor& t : out) t = t.clone();
  return out;
}

const Tensor& feed(const runtime::Feeds& feeds, const std::string& name) {
  for (const auto& [n, t] : feeds) {
    if (n == name) return t;
  }
  FAIL("no feed " << name);
  throw;
}

// Rows [0, len) of batch entry b of a [T, B, F] tensor, as [len, 1, F].
Tensor time_slice(const Tensor& t, int64_t b, int64_t len) {
  int64_t B = t.shape()[1], F = t.shape()[2];
  Tensor out(f32({len, 1, F}));
  for (int64_t s = 0; s < len; ++s) {
    std::copy_n(t.data<float>() + (s * B + b) * F, F, out.data<float>() + s * F);
  }
  return out;
}

// Batch entry b of a [S, B, H] tensor, as [S, 1, H].
Tensor batch_slice(const Tensor& t, int64_t b) {
  int64_t S = t.shape()[0], B = t.shape()[1], H = t.shape()[2];
  Tensor out(f32({S, 1, H}));
  for (int64_t s = 0; s < S; ++s) std::copy_n(t.data<float>() + (s * B + b) * H, H, out.data<float>() + s * H);
  return out;
}

TEST_CASE("lstm matches PyTorch's nn.LSTM: outputs, final states and every gradient") {
  auto fx = read_safetensors(fixture_path("lstm.safetensors"));
  const Config c{6, 3, 4, {.hidden_size = 5, .num_layers = 2, .bidirectional = true}, true};
  LstmNet net(c);
  runtime::Feeds feeds;
  for (const char* name : {"x", "h0", "c0", "R", "R2", "R3"}) feeds.emplace_back(name, fx.at(name));
  auto names = ops::lstm_parameter_names(c.attrs);
  for (const auto& name : names) feeds.emplace_back(name, fx.at(name));
  auto got = run_net(net, feeds);
  std::vector<std::string> want{"y", "h_n", "c_n", "grad.x"};
  for (const auto& name : names) want.push_back("grad." + name);
  want.insert(want.end(), {"grad.h0", "grad.c0"});
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO(want[i]);
    CHECK_CLOSE(got[i], fx.at(want[i]), 1e-4);
  }
}

// A padded batch against each of its sequences run alone (B = 1, no split).
// Unidirectional, the batch runs as parts of 1 and 2 sequences (ops/lstm_detail.h,
// lanes), so this also checks the split path against the unsplit one.
void check_padded_batch_against_each_sequence(const Config& c) {
  const std::vector<int32_t> lengths{5, 3, 1};
  LstmNet batch(c);
  auto feeds = random_feeds(batch, lengths, 1);
  auto all = run_net(batch, feeds);
  const size_t params = ops::lstm_parameter_names(c.attrs).size();
  std::vector<Tensor> dparams_sum;
  for (int64_t b = 0; b < c.B; ++b) {
    CAPTURE(b);
    const int64_t len = lengths[b];
    Config one{len, 1, c.I, c.attrs, true};
    LstmNet alone(one);
    runtime::Feeds f;
    for (const auto& [name, t] : feeds) {
      if (name == "x" || name == "R") f.emplace_back(name, time_slice(t, b, len));
      else if (name == "h0" || name == "c0" || name == "R2" || name == "R3") f.emplace_back(name, batch_slice(t, b));
      else if (name != "lengths") f.emplace_back(name, t);
    }
    auto got = run_net(alone, f);
    CHECK_CLOSE(got[0], time_slice(all[0], b, len), 1e-5);                      // y
    const int64_t width = (c.attrs.bidirectional ? 2 : 1) * c.attrs.hidden_size;
    for (int64_t t = len; t < c.T; ++t) {
      for (int64_t k = 0; k < width; ++k) CHECK(all[0].data<float>()[(t * c.B + b) * width + k] == 0.f);  // padding
      for (int64_t k = 0; k < c.I; ++k) CHECK(all[3].data<float>()[(t * c.B + b) * c.I + k] == 0.f);
    }
    CHECK_CLOSE(got[1], batch_slice(all[1], b), 1e-5);                          // h_n
    CHECK_CLOSE(got[2], batch_slice(all[2], b), 1e-5);                          // c_n
    CHECK_CLOSE(got[3], time_slice(all[3], b, len), 1e-4);                      // dx
    CHECK_CLOSE(got[4 + params], batch_slice(all[4 + params], b), 1e-4);        // dh0
    CHECK_CLOSE(got[5 + params], batch_slice(all[5 + params], b), 1e-4);        // dc0
    for (size_t k = 0; k < params; ++k) {
      if (b == 0) dparams_sum.push_back(got[4 + k].clone());
      else for (int64_t i = 0; i < got[4 + k].numel(); ++i) dparams_sum[k].data<float>()[i] += got[4 + k].data<float>()[i];
    }
  }
  for (size_t k = 0; k < params; ++k) {
    INFO(ops::lstm_parameter_names(c.attrs)[k]);
    CHECK_CLOSE(all[4 + k], dparams_sum[k], 1e-4);
  }
}

TEST_CASE("lstm on a padded batch matches each sequence run alone, outputs and gradients") {
  SUBCASE("bidirectional") {
    check_padded_batch_against_each_sequence({5, 3, 4, {.hidden_size = 3, .num_layers = 2, .bidirectional = true}, true, true});
  }
  SUBCASE("unidirectional, split batch") {
    check_padded_batch_against_each_sequence({5, 3, 4, {.hidden_size = 3, .num_layers = 2}, true, true});
  }
}

// A padded batch with an empty and a full sequence, big enough for oneDNN to
// split work between threads: bidirectional (the directions run as 2 lanes)
// and unidirectional (the batch is cut into parts of 2 and 3 sequences).
const Config kThreads{7, 5, 9, {.hidden_size = 12, .num_layers = 2, .bidirectional = true}, true, true};
const Config kThreadsUni{7, 5, 9, {.hidden_size = 12, .num_layers = 2}, true, true};
const std::vector<int32_t> kThreadsLengths{7, 2, 0, 5, 7};

TEST_CASE("lstm kernels match the reference interpreter on a padded batch with an empty sequence") {
  for (const Config& c : {kThreads, kThreadsUni}) {
    CAPTURE(c.attrs.bidirectional);
    LstmNet net(c);
    auto feeds = random_feeds(net, kThreadsLengths, 2);
    auto got = run_net(net, feeds);
    runtime::Workspace ws;
    auto want = runtime::run_reference(net.g, feeds, net.fetches, ws);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      CHECK_CLOSE(got[i], want[i], i < 3 ? 1e-5 : 1e-4);
    }
    // The empty sequence (b = 2): y = 0, h_n = h0, c_n = c0, dh0 = R2, dc0 = R3.
    const int64_t params = static_cast<int64_t>(ops::lstm_parameter_names(c.attrs).size());
    CHECK(graph::identical(batch_slice(got[1], 2), batch_slice(feed(feeds, "h0"), 2)));
    CHECK(graph::identical(batch_slice(got[2], 2), batch_slice(feed(feeds, "c0"), 2)));
    CHECK(graph::identical(batch_slice(got[4 + params], 2), batch_slice(feed(feeds, "R2"), 2)));
    CHECK(graph::identical(batch_slice(got[5 + params], 2), batch_slice(feed(feeds, "R3"), 2)));
  }
}

TEST_CASE("lstm forward and backward give bit-identical results with 1 and 2 threads, and build no primitive per run") {
  for (const Config& c : {kThreads, kThreadsUni}) {
    CAPTURE(c.attrs.bidirectional);
    LstmNet net(c);
    auto feeds = random_feeds(net, kThreadsLengths, 3);
    runtime::Session one(net.g, {.threads = 1}), two(net.g, {.threads = 2});
    auto a = one.run(feeds, net.fetches);
    for (Tensor& t : a) t = t.clone();
    int64_t primitives = ops::dnnl_primitive_count();
    for (int run = 0; run < 2; ++run) {
      auto b = two.run(feeds, net.fetches);
      for (size_t i = 0; i < a.size(); ++i) CHECK_MESSAGE(graph::identical(a[i], b[i]), "fetch " << i);
      if (run == 0) primitives = ops::dnnl_primitive_count();  // the first run of `two` compiled its plan
    }
    CHECK(ops::dnnl_primitive_count() == primitives);
    // The lstm steps had both threads (else this compared 1 thread with 1).
    const runtime::Plan& plan = *two.last_plan();
    int lstm_steps = 0;
    for (const runtime::Step& s : plan.steps()) {
      const std::string& op = plan.graph().node(s.node).op;
      if (op != "lstm" && op != "lstm_backward") continue;
      ++lstm_steps;
      CHECK(s.threads == 2);
    }
    CHECK(lstm_steps == 2);
  }
}

TEST_CASE("lstm_backward uses the workspace of this run's forward pass and recomputes any other") {
  const Config c = kTwoLayersBi;
  LstmNet net(c);
  ops::Expr dy = ops::input(net.em, "dy", net.r.y.type()), dh = ops::input(net.em, "dh", net.r.h_n.type());
  ops::Expr dc = ops::input(net.em, "dc", net.r.c_n.type());
  ops::Expr fed_ws = ops::input(net.em, "fed_ws", net.r.workspace.type());
  auto saved = ops::lstm_backward(net.fwd_inputs, net.r.workspace, dy, dh, dc, c.attrs);
  auto from_fed = ops::lstm_backward(net.fwd_inputs, fed_ws, dy, dh, dc, c.attrs);
  auto feeds = random_feeds(net, {}, 4);
  runtime::Session sess(net.g);
  const uint64_t first_step = sess.step();
  Tensor old_ws = sess.run(feeds, {net.r.workspace.id()})[0].clone();
  feeds.emplace_back("fed_ws", old_ws);
  std::vector<graph::ValueId> fetches{saved.dx.id(), from_fed.dx.id(), saved.dparams[5].id(), from_fed.dparams[5].id(),
                                      saved.dc0.id(), from_fed.dc0.id()};
  // A workspace of an earlier run: recomputed, so the same gradients.
  auto out = sess.run(feeds, fetches);
  for (size_t i = 0; i < out.size(); i += 2) CHECK(graph::identical(out[i], out[i + 1]));
  // Marked as this run's: used as is, so corrupting its data shows.
  std::fill(old_ws.data<float>() + 16, old_ws.data<float>() + old_ws.numel(), 0.25f);  // after the 64-byte header
  sess.set_step(first_step);
  out = sess.run(feeds, fetches);
  CHECK_FALSE(graph::identical(out[0], out[1]));
}

// lstm inputs of the PyTorch fixture's shapes, for the error tests.
struct ErrorNet {
  graph::Graph g;
  ops::Emitter em{g};
  LstmAttrs attrs{.hidden_size = 5, .num_layers = 2, .bidirectional = true};
  ops::Expr x = ops::input(em, "x", f32({6, 3, 4}));
  std::vector<ops::Expr> params;
  ErrorNet() {
    auto shapes = ops::lstm_parameter_shapes(attrs, 4);
    for (size_t k = 0; k < shapes.size(); ++k) params.push_back(ops::input(em, "p" + std::to_string(k), f32(shapes[k])));
  }
};

TEST_CASE("lstm rejects a wrong parameter, state or lengths naming what it expected") {
  ErrorNet n;
  auto params = n.params;
  params[13] = ops::input(n.em, "bad", f32({20, 4}));  // weight_hh_l1_reverse
  CHECK_THROWS_WITH_AS(ops::lstm(n.x, params, n.attrs),
                       doctest::Contains("expected weight_hh_l1_reverse of type f32[20, 5], got f32[20, 4]"), ShapeError);
  params = n.params;
  params[8] = ops::input(n.em, "bad_l1", f32({20, 4}));  // layer 1 reads D·H = 10 features
  CHECK_THROWS_WITH_AS(ops::lstm(n.x, params, n.attrs),
                       doctest::Contains("expected weight_ih_l1 of type f32[20, 10], got f32[20, 4]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::lstm(n.x, {n.params.begin(), n.params.begin() + 4}, n.attrs),
                       doctest::Contains("expected 17 inputs (x and 16 parameters) then optionally h0, c0 and lengths, "
                                         "got 5 inputs"),
                       ShapeError);
  auto h0 = ops::input(n.em, "h0", f32({2, 3, 5}));
  CHECK_THROWS_WITH_AS(ops::lstm(n.x, n.params, n.attrs, {.h0 = h0, .c0 = h0}),
                       doctest::Contains("expected h0 of type f32[4, 3, 5], got f32[2, 3, 5]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::lstm(n.x, n.params, n.attrs, {.h0 = h0}), doctest::Contains("expected h0 and c0 together"),
                       ValueError);
  auto lengths = ops::input(n.em, "lengths", {DType::i64, {3}});
  CHECK_THROWS_WITH_AS(ops::lstm(n.x, n.params, n.attrs, {.lengths = lengths}),
                       doctest::Contains("expected lengths of type i32[3], got i64[3]"), ShapeError);
  auto x2 = ops::input(n.em, "x2", f32({6, 4}));
  CHECK_THROWS_WITH_AS(ops::lstm(x2, n.params, n.attrs), doctest::Contains("expected x of type f32[T, B, I] or f64[T, B, I], got f32[6, 4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::lstm(n.x, n.params, {.hidden_size = 0}),
                       doctest::Contains("expected hidden_size >= 1, got 0"), ShapeError);
}

TEST_CASE("lstm rejects lengths outside [0, T] when it runs") {
  const Config c{4, 2, 3, {.hidden_size = 2}, false, true};
  LstmNet net(c);
  runtime::Session sess(net.g);
  auto feeds = random_feeds(net, {4, 5}, 5);
  CHECK_THROWS_WITH_AS(sess.run(feeds, {net.r.y.id()}),
                       doctest::Contains("expected lengths in [0, 4], got 5 at batch index 1"), ValueError);
  feeds = random_feeds(net, {-1, 2}, 5);
  CHECK_THROWS_WITH_AS(sess.run(feeds, {net.r.y.id()}),
                       doctest::Contains("expected lengths in [0, 4], got -1 at batch index 0"), ValueError);
}

TEST_CASE("lstm weights convert between PyTorch's and oneDNN's layouts") {
  LstmAttrs a{.hidden_size = 3, .num_layers = 2, .bidirectional = true};
  auto shapes = ops::lstm_parameter_shapes(a, 4);
  std::vector<Tensor> params;
  for (size_t k = 0; k < shapes.size(); ++k) params.push_back(random_tensor(f32(shapes[k]), 20 + k));
  auto layers = ops::lstm_weights_from_pytorch(params, a, 4);
  REQUIRE(layers.size() == 2);
  CHECK(layers[1].weights_layer.shape() == Shape{2, 6, 4, 3});  // [D, I_l, 4, H]
  CHECK(layers[0].weights_iter.shape() == Shape{2, 3, 4, 3});
  // ldigo[d, i, g, o] = W_ih[g·H + o, i] of direction d; bias = b_ih + b_hh.
  const Tensor& w_ih_rev = params[4];  // weight_ih_l0_reverse [12, 4]
  CHECK(layers[0].weights_layer.data<float>()[((1 * 4 + 2) * 4 + 3) * 3 + 1] == w_ih_rev.data<float>()[(3 * 3 + 1) * 4 + 2]);
  CHECK(layers[1].bias.data<float>()[4] == params[10].data<float>()[4] + params[11].data<float>()[4]);
  auto back = ops::lstm_weights_to_pytorch(layers, a);
  REQUIRE(back.size() == params.size());
  for (size_t k = 0; k < params.size(); k += 4) {
    CHECK(graph::identical(back[k], params[k]));
    CHECK(graph::identical(back[k + 1], params[k + 1]));
    for (int64_t r = 0; r < 12; ++r) {
      CHECK(back[k + 2].data<float>()[r] == params[k + 2].data<float>()[r] + params[k + 3].data<float>()[r]);
      CHECK(back[k + 3].data<float>()[r] == 0.f);
    }
  }
  params[7] = Tensor(f32({12, 2}));  // bias_hh_l0_reverse
  CHECK_THROWS_WITH_AS(ops::lstm_weights_from_pytorch(params, a, 4),
                       doctest::Contains("expected bias_hh_l0_reverse of type f32[12], got f32[12, 2]"), ValueError);
}

TEST_CASE("lstm with batch_first takes [B, T, I] and gives [B, T, D·H]") {
  graph::Graph g;
  ops::Emitter em(g);
  LstmAttrs a{.hidden_size = 3, .bidirectional = true};
  auto shapes = ops::lstm_parameter_shapes(a, 2);
  std::vector<ops::Expr> params;
  runtime::Feeds feeds;
  for (size_t k = 0; k < shapes.size(); ++k) {
    params.push_back(ops::input(em, "p" + std::to_string(k), f32(shapes[k])));
    feeds.emplace_back("p" + std::to_string(k), random_tensor(f32(shapes[k]), 30 + k, -1, 1));
  }
  auto xt = ops::input(em, "xt", f32({4, 3, 2}));  // [T, B, I]
  auto xb = ops::input(em, "xb", f32({3, 4, 2}));  // [B, T, I]
  auto time_major = ops::lstm(xt, params, a);
  auto batch_first = ops::lstm(xb, params, a, {.batch_first = true});
  CHECK(batch_first.y.shape() == Shape{3, 4, 6});
  Tensor x = random_tensor(f32({4, 3, 2}), 40, -1, 1), xbt(f32({3, 4, 2}));
  for (int64_t t = 0; t < 4; ++t) {
    for (int64_t b = 0; b < 3; ++b) std::copy_n(x.data<float>() + (t * 3 + b) * 2, 2, xbt.data<float>() + (b * 4 + t) * 2);
  }
  feeds.emplace_back("xt", x);
  feeds.emplace_back("xb", xbt);
  runtime::Session sess(g);
  auto out = sess.run(feeds, {time_major.y.id(), batch_first.y.id(), time_major.h_n.id(), batch_first.h_n.id()});
  for (int64_t t = 0; t < 4; ++t) {
    for (int64_t b = 0; b < 3; ++b) {
      for (int64_t k = 0; k < 6; ++k) {
        CHECK(out[0].data<float>()[(t * 3 + b) * 6 + k] == out[1].data<float>()[(b * 4 + t) * 6 + k]);
      }
    }
  }
  CHECK(graph::identical(out[2], out[3]));
}

}  // namespace
}  // namespace flowgrad::testing
