// The three models' training graphs through a graph file: serialize -> parse
// gives the same structure (and serializes to the same bytes again), and the
// parsed graph, run in a fresh session with the same feeds, trains with
// bit-identical losses and weights — the graph file alone carries the whole
// training step (initializers, dropout streams, optimizer, schedule).

#include "graph/serialize.h"
#include "runtime/graph_compare.h"
#include "runtime/graph_io.h"
#include "testing.h"
#include "tiny_training.h"

namespace flowgrad::testing {
namespace {

constexpr int kReplaySteps = 5;

// The value of `to` that corresponds to `v` of `from` (same node name and output slot).
graph::ValueId same_value(const graph::Graph& from, graph::ValueId v, const graph::Graph& to) {
  const graph::Node& n = from.producer(v);
  const graph::Node* m = to.find(n.name);
  REQUIRE_MESSAGE(m != nullptr, n.name);
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    if (n.outputs[i] == v) return m->outputs.at(i);
  }
  FAIL("value not produced by its producer");
  return 0;
}

void check_file_round_trip_and_replay(const TinyTraining& t) {
  std::string bytes = graph::serialize(t.graph);
  graph::Graph copy = runtime::parse_graph(bytes, t.name + " graph");
  check_same_graph(t.graph, copy);
  CHECK(graph::serialize(copy) == bytes);

  runtime::Workspace ws_a, ws_b;
  runtime::Session original(t.graph, ws_a), replayed(copy, ws_b);
  graph::ValueId loss = same_value(t.graph, t.loss, copy), step = same_value(t.graph, t.step, copy);
  auto loader = t.make_loader();
  std::vector<double> losses;
  for (int i = 0; i < kReplaySteps; ++i) {
    runtime::Feeds feeds = loader->next();
    double a = original.run(feeds, {t.loss, t.step})[0].at(0);
    double b = replayed.run(feeds, {loss, step})[0].at(0);
    INFO(t.name << " step " << i + 1);
    CHECK(a == b);  // exact
    losses.push_back(a);
  }
  CHECK(losses.back() != losses.front());  // the weights did move
  REQUIRE(ws_a.names() == ws_b.names());
  for (const auto& name : ws_a.names()) {
    INFO(t.name << ": " << name);
    CHECK(graph::identical(ws_a.get(name), ws_b.get(name)));
  }
}

TEST_CASE("the word2vec training graph round-trips through a file and the copy trains bit-identically") {
  check_file_round_trip_and_replay(tiny_word2vec());
}

TEST_CASE("the LSTM classifier training graph round-trips through a file and the copy trains bit-identically") {
  check_file_round_trip_and_replay(tiny_lstm());
}

TEST_CASE("the BERT pre-training graph round-trips through a file and the copy trains bit-identically") {
  check_file_round_trip_and_replay(tiny_bert());
}

}  // namespace
}  // namespace flowgrad::testing
