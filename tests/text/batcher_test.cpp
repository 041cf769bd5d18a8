#include "text/batcher.h"

#include <doctest/doctest.h>

#include <set>

#include "graph/error.h"

namespace flowgrad::testing {
namespace {

using text::Batch;
using text::Batcher;
using text::LoaderPosition;
using text::SequenceExample;

// Example i has i % 7 + 1 tokens valued 100 + i, label i % 3.
std::shared_ptr<const std::vector<SequenceExample>> dataset(int n, bool token_labels = false) {
  auto data = std::make_shared<std::vector<SequenceExample>>();
  for (int i = 0; i < n; ++i) {
    SequenceExample e;
    e.ids.assign(static_cast<size_t>(i % 7 + 1), 100 + i);
    e.segment_ids.assign(e.ids.size(), 1);
    if (token_labels) e.token_labels.assign(e.ids.size(), i);
    e.label = i % 3;
    data->push_back(e);
  }
  return data;
}

bool same_batch(const Batch& a, const Batch& b) {
  return a.position == b.position && a.example_indices == b.example_indices && graph::identical(a.ids, b.ids) &&
         graph::identical(a.segment_ids, b.segment_ids) && graph::identical(a.attention_mask, b.attention_mask) &&
         graph::identical(a.lengths, b.lengths) && graph::identical(a.labels, b.labels);
}

TEST_CASE("each epoch visits every example once, in an order fixed by the seed") {
  auto data = dataset(103);
  Batcher a(data, {.batch_size = 10, .seed = 5}), b(data, {.batch_size = 10, .seed = 5});
  Batcher other(data, {.batch_size = 10, .seed = 6});
  CHECK(a.batches_per_epoch() == 11);
  std::vector<int64_t> epoch0, epoch1;
  for (int i = 0; i < 22; ++i) {
    Batch x = a.next(), y = b.next();
    REQUIRE(same_batch(x, y));
    auto& seen = x.position.epoch == 0 ? epoch0 : epoch1;
    seen.insert(seen.end(), x.example_indices.begin(), x.example_indices.end());
  }
  CHECK(a.position() == LoaderPosition{2, 0});
  CHECK(std::set<int64_t>(epoch0.begin(), epoch0.end()).size() == 103);
  CHECK(std::set<int64_t>(epoch1.begin(), epoch1.end()).size() == 103);
  CHECK(epoch0 != epoch1);  // reshuffled every epoch
  CHECK(*other.epoch_order(0) != *a.epoch_order(0));
  Batcher in_order(data, {.batch_size = 10, .shuffle = false});
  CHECK(in_order.next().example_indices == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("batches pad to the longest example with [PAD], segment 0, mask 0 and ignored labels") {
  auto data = dataset(4, true);  // lengths 1, 2, 3, 4
  Batcher batcher(data, {.batch_size = 4, .shuffle = false, .pad_id = 0});
  Batch b = batcher.next();
  CHECK(b.ids.type().str() == "i32[4, 4]");
  CHECK(b.attention_mask.type().str() == "f32[4, 4]");
  CHECK(std::vector<int32_t>(b.ids.data<int32_t>(), b.ids.data<int32_t>() + 8) ==
        std::vector<int32_t>{100, 0, 0, 0, 101, 101, 0, 0});
  CHECK(std::vector<int32_t>(b.segment_ids.data<int32_t>(), b.segment_ids.data<int32_t>() + 4) ==
        std::vector<int32_t>{1, 0, 0, 0});
  CHECK(std::vector<float>(b.attention_mask.data<float>() + 8, b.attention_mask.data<float>() + 12) ==
        std::vector<float>{1, 1, 1, 0});
  CHECK(std::vector<int32_t>(b.token_labels.data<int32_t>() + 4, b.token_labels.data<int32_t>() + 8) ==
        std::vector<int32_t>{1, 1, -100, -100});
  CHECK(std::vector<int32_t>(b.lengths.data<int32_t>(), b.lengths.data<int32_t>() + 4) == std::vector<int32_t>{1, 2, 3, 4});
  CHECK(std::vector<int32_t>(b.labels.data<int32_t>(), b.labels.data<int32_t>() + 4) == std::vector<int32_t>{0, 1, 2, 0});
}

TEST_CASE("a fixed max_len pads every batch to it, and the last batch may be smaller or dropped") {
  auto data = dataset(10);
  Batcher fixed(data, {.batch_size = 4, .max_len = 9, .mask_dtype = graph::DType::i32, .pad_id = 7});
  CHECK(fixed.batches_per_epoch() == 3);
  CHECK_FALSE(fixed.next().token_labels.defined());  // no example has token labels
  fixed.next();
  Batch last = fixed.next();
  CHECK(last.ids.type().str() == "i32[2, 9]");
  CHECK(last.attention_mask.type().str() == "i32[2, 9]");
  CHECK(last.ids.data<int32_t>()[8] == 7);
  Batcher dropping(data, {.batch_size = 4, .drop_last = true});
  CHECK(dropping.batches_per_epoch() == 2);
  CHECK_THROWS_WITH_AS(Batcher(data, {.batch_size = 4, .max_len = 5}),
                       "example 5: expected at most max_len = 5 tokens, got 6", ValueError);
  CHECK_THROWS_WITH_AS(Batcher(data, {.batch_size = 11, .drop_last = true}),
                       "expected at least batch_size = 11 examples with drop_last, got 10", ValueError);
}

TEST_CASE("a saved position resumes the exact batch sequence") {
  auto data = dataset(50);
  text::BatcherOptions options{.batch_size = 8, .seed = 11};
  Batcher first(data, options);
  for (int i = 0; i < 9; ++i) first.next();  // into the second epoch
  std::string state = first.state_json();
  std::vector<Batch> rest;
  for (int i = 0; i < 10; ++i) rest.push_back(first.next());

  Batcher resumed(data, options);
  resumed.restore(state);
  CHECK(resumed.position() == LoaderPosition{1, 2});
  for (const Batch& want : rest) REQUIRE(same_batch(resumed.next(), want));

  Batcher different(data, {.batch_size = 8, .seed = 12});
  CHECK_THROWS_WITH_AS(different.restore(state), "loader state: saved with seed = 11, expected 12 as configured",
                       FormatError);
  CHECK_THROWS_WITH_AS(resumed.restore("{\"epoch\": 1"), doctest::Contains("expected a JSON object"), FormatError);
  CHECK_THROWS_AS(resumed.seek({0, 7}), ValueError);
}

TEST_CASE("the prefetcher yields what next() would, whatever the depth, and keeps the resume point") {
  auto data = dataset(37, true);
  text::BatcherOptions options{.batch_size = 5, .seed = 2};
  Batcher reference(data, options);
  std::vector<Batch> want;
  for (int i = 0; i < 20; ++i) want.push_back(reference.next());  // crosses two epoch boundaries
  for (int depth : {1, 3}) {
    Batcher batcher(data, options);
    text::Prefetcher prefetch(batcher, depth);
    for (int i = 0; i < 20; ++i) {
      Batch got = prefetch.next();
      REQUIRE(same_batch(got, want[static_cast<size_t>(i)]));
      REQUIRE(graph::identical(got.token_labels, want[static_cast<size_t>(i)].token_labels));
      REQUIRE(batcher.position() == batcher.following(got.position));
    }
  }
  Batcher batcher(data, options);
  CHECK_THROWS_WITH_AS(text::Prefetcher(batcher, 0), "expected a prefetch depth >= 1, got 0", ValueError);
}

}  // namespace
}  // namespace flowgrad::testing
