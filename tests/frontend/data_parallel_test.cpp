// Data-parallel graph construction on one process: buckets, the chain that
// orders the collectives, sparse gradients kept sparse, and the identity of
// the exchange on one worker. (The exchange between processes is tested
// under mpirun by tests/distributed/data_parallel_main.cpp.)
#include <doctest/doctest.h>

#include "frontend/flowgrad.h"
#include "ops/allreduce.h"
#include "ops/sparse_rows.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using frontend::Builder;
namespace nn = frontend::nn;
namespace optim = frontend::optim;

struct Net {
  Builder b;
  ops::Expr ids, y, loss;
  optim::TrainStep train;
  explicit Net(std::optional<optim::DataParallel> dp) {
    ids = b.input("ids", {DType::i32, {4, 3}});
    y = b.input("y", {DType::i32, {4}});
    ops::Expr e = nn::embedding(b, ids, {.num_embeddings = 20, .dim = 8}, {.seed = 1});  // [4, 3, 8]
    ops::Expr h = ops::tanh(nn::linear(b, ops::reshape(e, {4, 24}), {.out_features = 16, .seed = 2}, "l1"));
    ops::Expr logits = nn::linear(b, h, {.out_features = 3, .seed = 3}, "l2");
    loss = ops::softmax_cross_entropy(logits, y);
    train = dp ? optim::minimize(b, loss, optim::Adam{.lr = 0.01}, *dp) : optim::minimize(b, loss, optim::Adam{.lr = 0.01});
  }
  std::vector<const graph::Node*> nodes(std::string_view op) const {
    std::vector<const graph::Node*> out;
    for (graph::NodeId id : b.graph().node_ids()) {
      if (b.graph().node(id).op == op) out.push_back(&b.graph().node(id));
    }
    return out;
  }
};

TEST_CASE("data parallel gradients: one allreduce per bucket, chained, sparse ones gathered") {
  // Dense gradients: l2 (3x16 + 3 floats), l1 (16x24 + 16): 204 + 1600 bytes.
  Net big(optim::DataParallel{.workers = 2});
  CHECK(big.nodes("allreduce").size() == 1);  // all four in one default (25 MB) bucket
  CHECK(big.nodes("allreduce")[0]->outputs.size() == 4);
  REQUIRE(big.nodes("allgather_rows").size() == 1);
  CHECK(big.nodes("allgather_rows")[0]->inputs.size() == 3);  // ordered after the bucket
  CHECK(ops::as_sparse_rows(big.train.grads[0]).has_value());  // the embedding stays sparse

  Net small(optim::DataParallel{.workers = 2, .bucket_bytes = 256});
  auto buckets = small.nodes("allreduce");
  REQUIRE(buckets.size() == 3);  // {l2 bias, l2 weight}, {l1 bias}, {l1 weight}
  CHECK(buckets[0]->outputs.size() == 2);
  CHECK(buckets[0]->attrs_as<ops::AllreduceAttrs>().after == 0);
  for (size_t i = 1; i < buckets.size(); ++i) {  // each waits for the previous one
    CHECK(buckets[i]->attrs_as<ops::AllreduceAttrs>().after == 1);
    INFO("bucket " << i << ": inputs " << buckets[i]->inputs.size() << ", previous outputs " << buckets[i - 1]->outputs.size());
    CHECK(buckets[i]->inputs[0] == buckets[i - 1]->outputs[0]);
  }
  CHECK_THROWS_AS(Net(optim::DataParallel{.bucket_bytes = 0}), ValueError);
}

TEST_CASE("data parallel training on one worker equals plain training") {
  Net plain(std::nullopt), dp(optim::DataParallel{.workers = 1, .bucket_bytes = 256});
  runtime::Session a(plain.b.graph()), c(dp.b.graph());
  Tensor ids = random_tensor({DType::i32, {4, 3}}, 1, 0, 19), y = random_tensor({DType::i32, {4}}, 2, 0, 2);
  for (int step = 0; step < 5; ++step) {
    a.run({{"ids", ids}, {"y", y}}, {plain.train.step.id()});
    c.run({{"ids", ids}, {"y", y}}, {dp.train.step.id()});
  }
  for (const std::string& name : a.workspace().names()) {
    INFO(name);
    CHECK(identical(a.workspace().get(name), c.workspace().get(name)));
  }
}

}  // namespace
}  // namespace flowgrad::testing
