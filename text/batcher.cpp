#include "text/batcher.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <oneapi/tbb/task_group.h>

#include "graph/error.h"
#include "text/random.h"

namespace flowgrad::text {
namespace {

constexpr uint64_t kShuffleStream = 0x73687566;  // "shuf"

graph::Tensor i32_tensor(graph::Shape shape) { return graph::Tensor({graph::DType::i32, std::move(shape)}); }

}  // namespace

Batcher::Batcher(std::shared_ptr<const std::vector<SequenceExample>> examples, BatcherOptions options)
    : examples_(std::move(examples)), options_(options) {
  if (!examples_ || examples_->empty()) throw ValueError("expected a non-empty dataset for the batcher");
  if (options_.batch_size < 1) throw ValueError("expected batch_size >= 1, got " + std::to_string(options_.batch_size));
  if (options_.max_len < 0) throw ValueError("expected max_len >= 0, got " + std::to_string(options_.max_len));
  if (options_.mask_dtype != graph::DType::f32 && options_.mask_dtype != graph::DType::i32) {
    throw ValueError(std::string("expected attention mask dtype f32 or i32, got ") +
                     graph::dtype_name(options_.mask_dtype));
  }
  for (size_t i = 0; i < examples_->size(); ++i) {
    const SequenceExample& e = (*examples_)[i];
    check_example(e, "example " + std::to_string(i));
    if (options_.max_len > 0 && e.ids.size() > static_cast<size_t>(options_.max_len)) {
      throw ValueError("example " + std::to_string(i) + ": expected at most max_len = " +
                       std::to_string(options_.max_len) + " tokens, got " + std::to_string(e.ids.size()));
    }
    has_token_labels_ = has_token_labels_ || !e.token_labels.empty();
  }
  auto n = static_cast<int64_t>(examples_->size());
  int64_t b = options_.batch_size;
  batches_per_epoch_ = options_.drop_last ? n / b : (n + b - 1) / b;
  if (batches_per_epoch_ == 0) {
    throw ValueError("expected at least batch_size = " + std::to_string(options_.batch_size) +
                     " examples with drop_last, got " + std::to_string(n));
  }
}

std::shared_ptr<const std::vector<int64_t>> Batcher::epoch_order(int64_t epoch) const {
  std::lock_guard<std::mutex> lock(order_mutex_);
  for (const auto& [e, order] : orders_) {
    if (e == epoch) return order;
  }
  auto order = std::make_shared<std::vector<int64_t>>(examples_->size());
  for (size_t i = 0; i < order->size(); ++i) (*order)[i] = static_cast<int64_t>(i);
  if (options_.shuffle) {
    CounterRng rng(options_.seed, stream_key(kShuffleStream, static_cast<uint64_t>(epoch)));
    for (size_t i = order->size(); i > 1; --i) std::swap((*order)[i - 1], (*order)[rng.below(i)]);
  }
  orders_.emplace_back(epoch, order);
  if (orders_.size() > 2) orders_.pop_front();
  return order;
}

Batch Batcher::batch_at(LoaderPosition pos) const {
  FLOWGRAD_CHECK(pos.epoch >= 0 && pos.index >= 0 && pos.index < batches_per_epoch_, "batch position out of range");
  std::shared_ptr<const std::vector<int64_t>> order = epoch_order(pos.epoch);
  Batch batch;
  batch.position = pos;
  int64_t first = pos.index * options_.batch_size;
  int64_t last = std::min<int64_t>(first + options_.batch_size, static_cast<int64_t>(order->size()));
  batch.example_indices.assign(order->begin() + first, order->begin() + last);
  int64_t b = last - first, t = options_.max_len;
  if (t == 0) {
    for (int64_t i : batch.example_indices) t = std::max<int64_t>(t, static_cast<int64_t>((*examples_)[i].ids.size()));
  }
  batch.ids = i32_tensor({b, t});
  batch.segment_ids = i32_tensor({b, t});
  batch.attention_mask = graph::Tensor({options_.mask_dtype, {b, t}});
  batch.lengths = i32_tensor({b});
  batch.labels = i32_tensor({b});
  if (has_token_labels_) batch.token_labels = i32_tensor({b, t});
  for (int64_t r = 0; r < b; ++r) {
    PaddedSequence p = pad_sequence((*examples_)[batch.example_indices[r]], static_cast<int32_t>(t), options_.pad_id,
                                    options_.ignore_label);
    std::copy(p.ids.begin(), p.ids.end(), batch.ids.data<int32_t>() + r * t);  // row r of [B, T]
    std::copy(p.segment_ids.begin(), p.segment_ids.end(), batch.segment_ids.data<int32_t>() + r * t);
    if (options_.mask_dtype == graph::DType::f32) {
      std::copy(p.attention_mask.begin(), p.attention_mask.end(), batch.attention_mask.data<float>() + r * t);
    } else {
      std::copy(p.attention_mask.begin(), p.attention_mask.end(), batch.attention_mask.data<int32_t>() + r * t);
    }
    if (has_token_labels_) {
      std::copy(p.token_labels.begin(), p.token_labels.end(), batch.token_labels.data<int32_t>() + r * t);
    }
    batch.lengths.data<int32_t>()[r] = p.length;
    batch.labels.data<int32_t>()[r] = p.label;
  }
  return batch;
}

LoaderPosition Batcher::following(LoaderPosition pos) const {
  if (pos.index + 1 < batches_per_epoch_) return {pos.epoch, pos.index + 1};
  return {pos.epoch + 1, 0};
}

Batch Batcher::next() {
  Batch b = batch_at(position_);
  position_ = following(position_);
  return b;
}

void Batcher::seek(LoaderPosition pos) {
  if (pos.epoch < 0 || pos.index < 0 || pos.index >= batches_per_epoch_) {
    throw ValueError("expected a position with epoch >= 0 and index in [0, " + std::to_string(batches_per_epoch_) +
                     "), got epoch " + std::to_string(pos.epoch) + ", index " + std::to_string(pos.index));
  }
  position_ = pos;
}

std::string Batcher::state_json() const {
  nlohmann::json j = {{"epoch", position_.epoch},
                      {"index", position_.index},
                      {"seed", options_.seed},
                      {"batch_size", options_.batch_size},
                      {"num_examples", examples_->size()},
                      {"shuffle", options_.shuffle},
                      {"drop_last", options_.drop_last}};
  return j.dump();
}

void Batcher::restore(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw FormatError("loader state: expected a JSON object, got '" + std::string(text) + "'");
  }
  auto expect = [&](const char* key, const nlohmann::json& want) {
    if (!j.contains(key)) throw FormatError(std::string("loader state: expected a field '") + key + "'");
    if (j.at(key) != want) {
      throw FormatError(std::string("loader state: saved with ") + key + " = " + j.at(key).dump() + ", expected " +
                        want.dump() + " as configured");
    }
  };
  expect("seed", options_.seed);
  expect("batch_size", options_.batch_size);
  expect("num_examples", examples_->size());
  expect("shuffle", options_.shuffle);
  expect("drop_last", options_.drop_last);
  auto integer = [&](const char* key) { return j.contains(key) && j.at(key).is_number_integer(); };
  if (!integer("epoch") || !integer("index")) {
    throw FormatError("loader state: expected integer fields 'epoch' and 'index'");
  }
  seek({j["epoch"].get<int64_t>(), j["index"].get<int64_t>()});
}

struct Prefetcher::Slot {
  tbb::task_group group;
  std::optional<Batch> batch;
};

Prefetcher::Prefetcher(Batcher& batcher, int depth)
    : batcher_(batcher), depth_(depth), launch_position_(batcher.position()) {
  if (depth_ < 1) throw ValueError("expected a prefetch depth >= 1, got " + std::to_string(depth_));
  for (int i = 0; i < depth_; ++i) launch();
}

Prefetcher::~Prefetcher() {
  for (auto& slot : slots_) {
    try {
      slot->group.wait();
    } catch (...) {  // an error nobody asked for any more
    }
  }
}

void Prefetcher::launch() {
  auto slot = std::make_unique<Slot>();
  Slot* s = slot.get();
  LoaderPosition pos = launch_position_;
  const Batcher& batcher = batcher_;
  s->group.run([s, pos, &batcher] { s->batch = batcher.batch_at(pos); });
  slots_.push_back(std::move(slot));
  launch_position_ = batcher_.following(launch_position_);
}

Batch Prefetcher::next() {
  std::unique_ptr<Slot> slot = std::move(slots_.front());
  slots_.pop_front();
  slot->group.wait();  // rethrows an error of batch_at
  Batch batch = std::move(*slot->batch);
  batcher_.seek(batcher_.following(batch.position));
  launch();
  return batch;
}

}  // namespace flowgrad::text
