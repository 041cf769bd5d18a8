#include "ops/allreduce.h"

#include <cstring>

#include "runtime/comm.h"

// The collective kernels reach the process's communicator through
// runtime::world(): like MPI_COMM_WORLD it is process state, not graph state
// (the one reference from ops/ into runtime/, an interface header only).

namespace flowgrad::ops {
namespace {

// Packs the bucket into one buffer (allocated once, at compile time), reduces
// it with one collective, unpacks into the outputs.
class AllreduceKernel final : public Kernel {
 public:
  AllreduceKernel(std::vector<size_t> sizes, size_t after) : sizes_(std::move(sizes)), after_(after) {
    size_t total = 0;
    for (size_t n : sizes_) total += n;
    buffer_.resize(total);
  }
  void run(const KernelArgs& k) override {
    size_t at = 0;
    for (size_t i = 0; i < sizes_.size(); at += sizes_[i++]) {
      if (sizes_[i]) std::memcpy(buffer_.data() + at, k.inputs[after_ + i], sizes_[i] * sizeof(float));
    }
    runtime::world().allreduce_mean(buffer_);
    at = 0;
    for (size_t i = 0; i < sizes_.size(); at += sizes_[i++]) {
      if (sizes_[i]) std::memcpy(k.outputs[i], buffer_.data() + at, sizes_[i] * sizeof(float));
    }
  }
  // A collective mostly waits on the network: it holds no thread token.
  double cost() const override { return 0; }

 private:
  std::vector<size_t> sizes_;
  size_t after_;
  std::vector<float> buffer_;
};

std::vector<TensorType> infer_allreduce(const InferContext& ctx) {
  const int64_t after = ctx.attrs_as<AllreduceAttrs>().after;
  if (after < 0 || after >= static_cast<int64_t>(ctx.inputs.size())) {
    ctx.fail("expected 0 <= after < " + std::to_string(ctx.inputs.size()) + " inputs, got after = " +
             std::to_string(after));
  }
  std::vector<TensorType> out(ctx.inputs.begin() + after, ctx.inputs.end());
  for (const TensorType& t : out) {
    // f64 only on the reference interpreter (gradient checks); the compiled
    // runtime, and so the kernel above, is f32.
    if (!is_float(t.dtype)) ctx.fail("expected float tensors to reduce, got " + t.str());
  }
  return out;
}

class AllgatherRowsKernel final : public Kernel {
 public:
  AllgatherRowsKernel(int workers, size_t after, size_t index_bytes, size_t row_floats, std::string who)
      : workers_(workers), after_(after), index_bytes_(index_bytes), row_floats_(row_floats), who_(std::move(who)) {}
  void run(const KernelArgs& k) override {
    runtime::Communicator& c = runtime::world();
    if (c.size() != workers_) {
      throw ValueError(who_ + ": the graph was built for " + std::to_string(workers_) + " workers, the job has " +
                       std::to_string(c.size()));
    }
    std::vector<std::byte> idx = c.allgather_bytes({k.inputs[after_], index_bytes_});
    std::vector<float> rows = c.allgather<float>({k.in<float>(after_ + 1), row_floats_});
    if (idx.size() != index_bytes_ * static_cast<size_t>(c.size()) || rows.size() != row_floats_ * c.size()) {
      throw ValueError(who_ + ": workers sent sparse gradients of different sizes (" +
                       std::to_string(idx.size()) + " index bytes for " + std::to_string(c.size()) +
                       " workers, expected " + std::to_string(index_bytes_) + " each)");
    }
    if (!idx.empty()) std::memcpy(k.outputs[0], idx.data(), idx.size());
    const float inv = 1.0f / static_cast<float>(c.size());
    float* out = k.out<float>(1);
    for (size_t i = 0; i < rows.size(); ++i) out[i] = rows[i] * inv;
  }
  double cost() const override { return 0; }

 private:
  int workers_;
  size_t after_, index_bytes_, row_floats_;
  std::string who_;
};

std::vector<TensorType> infer_allgather_rows(const InferContext& ctx) {
  const auto& a = ctx.attrs_as<AllgatherRowsAttrs>();
  if (a.after < 0 || static_cast<int64_t>(ctx.inputs.size()) != a.after + 2) {
    ctx.fail("expected " + std::to_string(a.after) + " ordering inputs, indices and rows, got " +
             std::to_string(ctx.inputs.size()) + " inputs");
  }
  if (a.workers < 1) ctx.fail("expected workers >= 1, got " + std::to_string(a.workers));
  const TensorType &idx = ctx.in(a.after), &rows = ctx.in(a.after + 1);
  if ((idx.dtype != DType::i32 && idx.dtype != DType::i64) || idx.rank() != 1) {
    ctx.fail("expected i32 or i64 indices [N], got " + idx.str());
  }
  if (rows.dtype != DType::f32 || rows.rank() < 1 || rows.shape[0] != idx.shape[0]) {
    ctx.fail("expected f32 rows [" + std::to_string(idx.shape[0]) + ", ...], got " + rows.str());
  }
  TensorType gi = idx, gr = rows;
  gi.shape[0] *= a.workers;
  gr.shape[0] *= a.workers;
  return {gi, gr};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "allreduce",
    .num_inputs = kVariadic,
    .num_outputs = kVariadic,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<AllreduceAttrs>(),
    .infer = infer_allreduce,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      std::vector<size_t> sizes;
      for (const TensorType& t : ctx.outputs) sizes.push_back(static_cast<size_t>(t.numel()));
      return std::make_unique<AllreduceKernel>(std::move(sizes), static_cast<size_t>(ctx.attrs<AllreduceAttrs>().after));
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      const size_t after = static_cast<size_t>(n.attrs_as<AllreduceAttrs>().after);
      for (size_t i = 0; i < out.size(); ++i) {
        if (out[i].nbytes()) std::memcpy(out[i].raw(), in[after + i].raw(), out[i].nbytes());
      }
    },
    .grad = [](GradContext& c) -> std::vector<std::optional<Expr>> {
      const size_t after = static_cast<size_t>(c.attrs<AllreduceAttrs>().after);
      std::vector<Expr> douts;
      for (size_t i = 0; i < c.outputs.size(); ++i) douts.push_back(c.dout(i));
      std::vector<Expr> dx = allreduce(douts, std::nullopt, c.loc);
      std::vector<std::optional<Expr>> out(after, std::nullopt);
      out.insert(out.end(), dx.begin(), dx.end());
      return out;
    },
    .random = true,  // not a pure function of its inputs: never folded or merged
    .schedule_early = true,
});

FLOWGRAD_REGISTER_OP({
    .name = "allgather_rows",
    .num_inputs = kVariadic,
    .num_outputs = 2,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<AllgatherRowsAttrs>(),
    .infer = infer_allgather_rows,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      const auto& a = ctx.attrs<AllgatherRowsAttrs>();
      const size_t after = static_cast<size_t>(a.after);
      return std::make_unique<AllgatherRowsKernel>(static_cast<int>(a.workers), after, ctx.inputs[after].nbytes(),
                                                   static_cast<size_t>(ctx.inputs[after + 1].numel()),
                                                   node_label(ctx.node));
    },
    // One process: the rows of every "worker" are this one's, each divided by W.
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      const auto& a = n.attrs_as<AllgatherRowsAttrs>();
      const Tensor &idx = in[static_cast<size_t>(a.after)], &rows = in[static_cast<size_t>(a.after) + 1];
      const float inv = 1.0f / static_cast<float>(a.workers);
      for (int64_t w = 0; w < a.workers; ++w) {
        if (idx.nbytes()) std::memcpy(out[0].raw() + w * idx.nbytes(), idx.raw(), idx.nbytes());
        const float* src = rows.data<float>();
        float* dst = out[1].data<float>() + w * rows.numel();
        for (int64_t i = 0; i < rows.numel(); ++i) dst[i] = src[i] * inv;
      }
    },
    .not_differentiable = true,  // a gradient exchange, applied after autodiff
    .random = true,
    .schedule_early = true,
});

std::vector<Expr> allreduce(const std::vector<Expr>& xs, std::optional<Expr> after, const Loc& loc) {
  FLOWGRAD_CHECK(!xs.empty(), "allreduce of nothing");
  std::vector<Expr> ins;
  if (after) ins.push_back(*after);
  ins.insert(ins.end(), xs.begin(), xs.end());
  return xs[0].emitter().emit("allreduce", std::make_shared<graph::Attrs<AllreduceAttrs>>(AllreduceAttrs{.after = after ? 1 : 0}),
                              ins, loc);
}

std::vector<Expr> allgather_rows(Expr indices, Expr rows, int64_t workers, std::optional<Expr> after, const Loc& loc) {
  std::vector<Expr> ins;
  if (after) ins.push_back(*after);
  ins.push_back(indices);
  ins.push_back(rows);
  return indices.emitter().emit(
      "allgather_rows",
      std::make_shared<graph::Attrs<AllgatherRowsAttrs>>(AllgatherRowsAttrs{.workers = workers, .after = after ? 1 : 0}),
      ins, loc);
}

}  // namespace flowgrad::ops
