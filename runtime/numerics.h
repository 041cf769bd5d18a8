#pragma once
/// @file
/// Numerics check mode: find the first node that produces a NaN or an Inf.
///
/// With `SessionOptions::check_numerics` (default: the environment variable
/// FLOWGRAD_CHECK_NUMERICS=1), every run executes its plan serially in
/// schedule order and scans each node's f32 outputs right after the node
/// ran. The first node whose output holds a NaN or an Inf stops the run with
/// a NumericsError that names the node, its op, each input's range
/// (min/max, and NaN/Inf counts) as it was before the node ran, and the DSL
/// file:line that created the node:
///
///     numerics check: node 'model/log' (log) produced 3 NaN, 0 Inf in output 0 f32[4, 8];
///     inputs: #0 f32[4, 8] in [-1.5, 2.25]; created at model.cpp:42
///
/// Slow on purpose (no parallelism, two scans per node): a debugging tool.

#include <cstddef>
#include <cstdint>
#include <string>

#include "graph/error.h"
#include "graph/tensor_type.h"

namespace flowgrad::runtime {

/// Thrown by a checked run at the first node whose output is not finite.
class NumericsError : public Error {
 public:
  using Error::Error;
};

/// Min/max over the finite elements of a buffer, and its NaN/Inf counts.
struct ValueRange {
  double min = 0;          ///< smallest finite element (0 if there is none)
  double max = 0;          ///< largest finite element (0 if there is none)
  int64_t nan = 0;         ///< number of NaN elements
  int64_t inf = 0;         ///< number of +Inf or -Inf elements
  int64_t finite = 0;      ///< number of finite elements
  bool ok() const { return nan == 0 && inf == 0; }  ///< no NaN and no Inf
  /// "in [min, max]" plus ", <n> NaN, <m> Inf" when there are any.
  std::string str() const;
};

/// The range of a buffer of type `t` (f32, i32, i64 or bool).
ValueRange value_range(const graph::TensorType& t, const std::byte* data);

/// True if FLOWGRAD_CHECK_NUMERICS is set to something other than "0" or "".
bool check_numerics_from_env();

}  // namespace flowgrad::runtime
