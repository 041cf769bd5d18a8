#pragma once
// The op registry. An op is registered once, from its own .cpp, with
// everything every layer needs to know about it:
//
//   FLOWGRAD_REGISTER_OP({
//       .name = "matmul", .num_inputs = 2, .fusion = FusionClass::out_fusable,
//       .make_attrs = attrs_factory<MatmulAttrs>(),
//       .infer = infer_matmul, .lower = lower_matmul, .reference = reference_matmul,
//       .grad = grad_matmul,
//   });
//
// No layer switches on op names: they look ops up here.

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor.h"
#include "ops/kernel.h"

namespace flowgrad::ops {

using graph::DType;
using graph::Shape;
using graph::Tensor;
using graph::TensorType;

// How an op may be fused (TVM's classes).
enum class FusionClass { elementwise, broadcast, injective, reduce, out_fusable, opaque };
const char* fusion_class_name(FusionClass c);  // "elementwise", ...

// Ops whose output the runtime binds to storage instead of computing it.
enum class Source { none, input, variable, constant };
// What an op's `infer` gets: the node being added and its input types.
struct InferContext {
  const std::string& op;  // op name
  const std::string& node_name;  // scope path of the node
  const graph::AttrsBase& attrs;  // the node's attrs (see attrs_as)
  std::span<const TensorType> inputs;  // input types, in order
  const SourceLoc& loc;  // the DSL call site
  // The attrs as the op's own struct T.
  template <class T> const T& attrs_as() const {
    return dynamic_cast<const graph::Attrs<T>&>(attrs).value;
  }
  const TensorType& in(size_t i) const { return inputs[i]; }  // type of input i
  // Throws ShapeError: "<node path> (<op>) with inputs f32[2, 3], f32[4, 5]: <what> (at file:line)".
  [[noreturn]] void fail(const std::string& what) const;
  // Float math accepts f32 and f64 (f64: reference interpreter only). Fails
  // unless input i has a float dtype; returns that dtype.
  DType expect_float(size_t i) const;
  // Fails unless every listed input has input first's float dtype.
  DType expect_same_float(std::initializer_list<size_t> which) const;
};
// What an op's `lower` gets: the node, its (specialized) types and the oneDNN engine.
struct LowerContext {
  const graph::Node& node;  // the node (attrs, name)
  std::span<const TensorType> inputs;  // input types
  std::span<const TensorType> outputs;  // output types
  const dnnl::engine& engine;  // the CPU engine primitives are created on

  template <class T> const T& attrs() const { return node.attrs_as<T>(); }  // the attrs as the op's own struct T
};

class Emitter;
struct GradContext;

// A symbolic tensor: a value of a graph under construction.
class Expr {
 public:
  Expr() = default;
  Expr(Emitter* em, graph::ValueId id) : em_(em), id_(id) {}  // value `id` of the emitter's graph

  graph::ValueId id() const { return id_; }  // the value's id in its graph
  Emitter& emitter() const;  // the builder that made it
  // By value: adding nodes may move the graph's value table.
  TensorType type() const;
  Shape shape() const { return type().shape; }  // the static shape
  DType dtype() const { return type().dtype; }  // the element type
  int64_t rank() const { return type().rank(); }  // number of dimensions
  int64_t dim(int64_t axis) const;  // negative axes count from the end
  const graph::Node& producer() const;  // the node that computes it
  bool valid() const { return em_ != nullptr; }  // false for a default-constructed Expr

 private:
  Emitter* em_ = nullptr;
  graph::ValueId id_ = graph::kNone;
};


using InferFn = std::function<std::vector<TensorType>(const InferContext&)>;  // output types from input types and attrs; ctx.fail() on a mistake
using LowerFn = std::function<std::unique_ptr<Kernel>(const LowerContext&)>;  // builds the node's Kernel at compile time
// Plain loops, the test oracle. Outputs arrive allocated with inferred types.
using ReferenceFn = std::function<void(const graph::Node&, std::span<const Tensor> inputs, std::span<Tensor> outputs)>;
// Returns one gradient per input (nullopt: no gradient flows there).
using GradFn = std::function<std::vector<std::optional<Expr>>(GradContext&)>;
// Fills a variable's storage at first use, on up to `threads` threads; the
// values never depend on the thread count.
using InitFn = std::function<void(const graph::Node&, Tensor&, int threads)>;
// How a kernel's run-time error names its node: "<name> (<op>)".
inline std::string node_label(const graph::Node& n) { return n.name + " (" + n.op + ")"; }

// Everything about one op (see the file comment); registered with FLOWGRAD_REGISTER_OP.
struct OpDef {
  std::string name;  // unique, lower_snake: the same in the DSL, graph files and errors
  int num_inputs = 0;  // kVariadic: any number >= 1
  int num_outputs = 1;  // kVariadic: as many as `infer` returns (split, lstm_backward)
  FusionClass fusion = FusionClass::opaque;  // how passes may fuse it
  Source source = Source::none;  // none: a computed op
  std::function<std::unique_ptr<graph::AttrsBase>()> make_attrs;  // default attrs (attrs_factory<T>())
  InferFn infer;  // shape and dtype inference
  LowerFn lower;  // the kernel
  ReferenceFn reference;  // the plain reference kernel
  GradFn grad;  // the gradient rule (or not_differentiable = true)
  bool not_differentiable = false;  // an explicit declaration, never an omission
  InitFn initialize;                // Source::variable only
  // Outputs that update an input in place, as {output, input}: the runtime
  // gives the output the input's storage and runs the node after every other
  // reader of that input (optimizer updates, step counters).
  std::vector<std::pair<int, int>> inplace;
  // The last `hidden_outputs` outputs carry kernel state for a backward op
  // (lstm's oneDNN workspace): not part of the op's meaning, so the op harness
  // does not compare them with the reference kernel (which writes zeros).
  int hidden_outputs = 0;
  // Draws random numbers: never merged (CSE) or folded (constant folding).
  bool random = false;
  // Output 0 may share input 0's buffer when input 0 dies here (this node is
  // its last reader) and has output 0's dtype and size: the memory planner
  // then runs the node in place. Set only where the kernel reads each element
  // before writing that same element (oneDNN eltwise and binary allow
  // dst == src; reshape then copies nothing).
  bool inplace_ok = false;
  // Scheduled as soon as its inputs are ready, before other ready nodes
  // (collectives: a gradient bucket's allreduce should start while backward
  // still runs; left to node-id order it would come after all of backward,
  // and the memory planner's reuse edges would then hold it there).
  bool schedule_early = false;
};

inline constexpr int kVariadic = -1;  // num_inputs / num_outputs: any number
// make_attrs for an op whose attrs struct is T.
template <class T>
std::function<std::unique_ptr<graph::AttrsBase>()> attrs_factory() {
  return [] { return std::make_unique<graph::Attrs<T>>(); };
}

// Registers `def`; aborts on a duplicate name or a missing infer/reference.
const OpDef& register_op(OpDef def);
// Throws ValueError naming the op if it is not registered.
const OpDef& get_op(std::string_view name);
const OpDef* find_op(std::string_view name);  // nullptr if `name` is not registered
std::vector<const OpDef*> all_ops();  // sorted by name

// Re-runs each node's inference and checks it against the recorded types
// (after graph::verify_structure). Throws flowgrad::Error naming the node.
void verify(const graph::Graph& g);

// Output types of `node` given (possibly new) input types.
std::vector<TensorType> infer_node(const graph::Node& node, std::span<const TensorType> inputs);

}  // namespace flowgrad::ops
// Registers an op from a static initializer: FLOWGRAD_REGISTER_OP({.name = ..., ...}) (see the file comment).
#define FLOWGRAD_REGISTER_OP(...)                                                 \
  [[maybe_unused]] static const ::flowgrad::ops::OpDef& FLOWGRAD_CONCAT(          \
      flowgrad_registered_op_, __LINE__) = ::flowgrad::ops::register_op(::flowgrad::ops::OpDef __VA_ARGS__)
#define FLOWGRAD_CONCAT_INNER(a, b) a##b
#define FLOWGRAD_CONCAT(a, b) FLOWGRAD_CONCAT_INNER(a, b)
