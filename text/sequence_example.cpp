#include "text/sequence_example.h"

#include "graph/error.h"

namespace flowgrad::text {

void check_example(const SequenceExample& e, const std::string& what) {
  std::string where = what + ": ";
  if (e.ids.empty()) throw ValueError(where + "expected at least one token, got none");
  auto check_field = [&](const std::vector<int32_t>& field, const char* name) {
    if (!field.empty() && field.size() != e.ids.size()) {
      throw ValueError(where + "expected " + name + " of length " + std::to_string(e.ids.size()) +
                       " (one per token) or none, got " + std::to_string(field.size()));
    }
  };
  check_field(e.segment_ids, "segment_ids");
  check_field(e.token_labels, "token_labels");
}

PaddedSequence pad_sequence(const SequenceExample& e, int32_t max_len, int32_t pad_id, int32_t ignore_label) {
  check_example(e, "example");
  if (e.ids.size() > static_cast<size_t>(max_len)) {
    throw ValueError("expected at most max_len = " + std::to_string(max_len) + " tokens, got " +
                     std::to_string(e.ids.size()));
  }
  PaddedSequence p;
  auto n = static_cast<int32_t>(e.ids.size());
  p.length = n;
  p.label = e.label;
  p.ids.assign(static_cast<size_t>(max_len), pad_id);
  p.segment_ids.assign(static_cast<size_t>(max_len), 0);
  p.attention_mask.assign(static_cast<size_t>(max_len), 0);
  p.token_labels.assign(static_cast<size_t>(max_len), ignore_label);
  for (int32_t t = 0; t < n; ++t) {
    p.ids[t] = e.ids[t];
    p.attention_mask[t] = 1;
    if (!e.segment_ids.empty()) p.segment_ids[t] = e.segment_ids[t];
    if (!e.token_labels.empty()) p.token_labels[t] = e.token_labels[t];
  }
  return p;
}

}  // namespace flowgrad::text
