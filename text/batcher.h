#pragma once
// Batches of SequenceExamples as graph tensors, in a deterministic order, with
// a background prefetcher and an exact resume position.
//
// Order. Epoch e visits the examples in the permutation given by a
// Fisher-Yates shuffle drawn from stream (seed, e) (or in file order without
// shuffle); batch i of the epoch holds permutation entries [i*B, (i+1)*B),
// the last batch being smaller unless drop_last. Batch (e, i) is a pure
// function of the examples, the options, e and i: it does not depend on what
// was fetched before or on timing, which makes prefetching and resuming exact.
//
// Tensors of a batch of B examples padded to T (the longest example of the
// batch, or max_len if set):
//   ids            i32 [B, T]  token ids, pad_id after each example's length
//   segment_ids    i32 [B, T]  0 where absent and at padding
//   attention_mask f32 or i32 [B, T]  1 for tokens, 0 for padding
//   lengths        i32 [B]     tokens per example
//   labels         i32 [B]     the sequence labels (class, NSP)
//   token_labels   i32 [B, T]  per-token labels (MLM), ignore_label at padding
//                              and where absent; undefined if no example has any
//
// Position. {epoch, index} of the next batch; next() returns it and moves on
// (index wraps to 0 of the next epoch). state_json()/restore() save and load
// it with the seed, batch size, example count and shuffle flag, and restoring
// into a batcher configured differently is a FormatError.

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graph/tensor.h"
#include "text/sequence_example.h"

namespace flowgrad::text {

struct BatcherOptions {
  int64_t batch_size = 32;
  int32_t max_len = 0;  // 0: pad to the longest example of each batch
  bool shuffle = true;
  uint64_t seed = 0;
  bool drop_last = false;
  graph::DType mask_dtype = graph::DType::f32;  // f32 or i32
  int32_t pad_id = 0;
  int32_t ignore_label = -100;
};

struct LoaderPosition {
  int64_t epoch = 0;
  int64_t index = 0;  // batch within the epoch
  bool operator==(const LoaderPosition&) const = default;
};

struct Batch {
  graph::Tensor ids, segment_ids, attention_mask, lengths, labels, token_labels;
  LoaderPosition position;
  std::vector<int64_t> example_indices;  // [B], into the batcher's examples
};

class Batcher {
 public:
  // ValueError for an empty dataset, a bad option or an example longer than max_len.
  Batcher(std::shared_ptr<const std::vector<SequenceExample>> examples, BatcherOptions options);

  int64_t batches_per_epoch() const { return batches_per_epoch_; }
  const BatcherOptions& options() const { return options_; }

  // The batch at a position (thread-safe; does not move the position).
  Batch batch_at(LoaderPosition pos) const;
  // The batch at position(), then advances.
  Batch next();

  LoaderPosition position() const { return position_; }
  // ValueError if pos.index is outside [0, batches_per_epoch) or pos.epoch < 0.
  void seek(LoaderPosition pos);
  // The position after `pos`.
  LoaderPosition following(LoaderPosition pos) const;

  std::string state_json() const;
  void restore(std::string_view json);

  // Example indices of an epoch in visiting order.
  std::shared_ptr<const std::vector<int64_t>> epoch_order(int64_t epoch) const;

 private:
  std::shared_ptr<const std::vector<SequenceExample>> examples_;
  BatcherOptions options_;
  int64_t batches_per_epoch_ = 0;
  bool has_token_labels_ = false;
  LoaderPosition position_;
  // The orders of the two most recent epochs (a prefetcher may straddle two).
  mutable std::mutex order_mutex_;
  mutable std::deque<std::pair<int64_t, std::shared_ptr<const std::vector<int64_t>>>> orders_;
};

// Prepares the next `depth` batches on oneTBB worker threads while the caller
// trains. It yields exactly the batches that batcher.next() would, in the same
// order, and keeps the batcher's position at the next batch to be returned by
// the prefetcher, so batcher.state_json() remains the resume point.
// The batcher must outlive the prefetcher and not be used directly meanwhile.
class Prefetcher {
 public:
  explicit Prefetcher(Batcher& batcher, int depth = 2);
  ~Prefetcher();
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  Batch next();

 private:
  struct Slot;
  void launch();

  Batcher& batcher_;
  int depth_;
  LoaderPosition launch_position_;  // of the next batch to launch
  std::deque<std::unique_ptr<Slot>> slots_;
};

}  // namespace flowgrad::text
