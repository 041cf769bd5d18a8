#pragma once
// One training sequence before batching: token ids with optional segment ids
// and per-token labels (MLM), plus a sequence label (class id, or the NSP
// label). Examples are stored unpadded; pad_sequence (and the Batcher) pad
// them to a length with [PAD], segment 0, attention mask 0 and label
// `ignore_label` at the padded positions.
//
//   ids          [T]  e.g. [CLS] a1 a2 [SEP] b1 [SEP]
//   segment_ids  [T]  0 0 0 0 1 1   (empty: all 0)
//   token_labels [T]  -100 -100 a2 -100 -100 -100   (empty: all ignore_label)

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace flowgrad::text {

struct SequenceExample {
  std::vector<int32_t> ids;
  std::vector<int32_t> segment_ids;
  std::vector<int32_t> token_labels;
  int32_t label = 0;
};

// An example padded to a fixed length.
struct PaddedSequence {
  std::vector<int32_t> ids;             // [max_len], pad_id after `length`
  std::vector<int32_t> segment_ids;     // [max_len], 0 after `length`
  std::vector<int32_t> attention_mask;  // [max_len], 1 then 0
  std::vector<int32_t> token_labels;    // [max_len], ignore_label after `length`
  int32_t length = 0;
  int32_t label = 0;
};

// ValueError if the example is longer than max_len or its optional fields do
// not have one entry per token.
PaddedSequence pad_sequence(const SequenceExample& example, int32_t max_len, int32_t pad_id,
                            int32_t ignore_label = -100);

// ValueError "<what>: expected ..." for mismatched field lengths or an empty
// example (`what` names it, e.g. "example 12").
void check_example(const SequenceExample& example, const std::string& what);

}  // namespace flowgrad::text
