#include "ops/fused_elementwise.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "ops/elementwise_math.h"
#include "ops/parallel.h"
#include "ops/unary.h"

namespace flowgrad::ops {
namespace {

using Kind = ElementwiseOperand::Kind;

constexpr int64_t kChunk = 256;  // elements per register; fixed, so results never depend on threads

// The kernel's form of an instruction: a function over one chunk.
enum class Code { add, sub, mul, div, relu, neg, exp, log, tanh, sigmoid, gelu, gelu_tanh };

struct OpInfo {
  std::string_view name;
  Code code;
  int arity;
};

constexpr OpInfo kOps[] = {
    {"add", Code::add, 2},   {"sub", Code::sub, 2},         {"mul", Code::mul, 2},   {"div", Code::div, 2},
    {"relu", Code::relu, 1}, {"neg", Code::neg, 1},         {"exp", Code::exp, 1},   {"log", Code::log, 1},
    {"tanh", Code::tanh, 1}, {"sigmoid", Code::sigmoid, 1}, {"gelu", Code::gelu, 1}, {"gelu_tanh", Code::gelu_tanh, 1},
};

const OpInfo* find(std::string_view op) {
  for (const OpInfo& o : kOps) {
    if (o.name == op) return &o;
  }
  return nullptr;
}

std::optional<ElementwiseOperand> parse_operand(std::string_view s) {
  auto number = [](std::string_view digits, int64_t& out) {
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() && out >= 0;
  };
  ElementwiseOperand o;
  if (!s.empty() && (s[0] == 'x' || s[0] == 't')) {
    o.kind = s[0] == 'x' ? Kind::input : Kind::temp;
    if (!number(s.substr(1), o.index)) return std::nullopt;
    return o;
  }
  o.kind = Kind::literal;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), o.value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return o;
}

// Checks a program against `num_inputs`; "" if it is valid.
std::string check(const ElementwiseProgram& p, size_t num_inputs) {
  if (p.code.empty()) return "an empty program";
  if (p.code.size() > kMaxInstructions) {
    return std::to_string(p.code.size()) + " instructions (at most " + std::to_string(kMaxInstructions) + ")";
  }
  for (size_t i = 0; i < p.code.size(); ++i) {
    const ElementwiseInstruction& ins = p.code[i];
    const OpInfo* info = find(ins.op);
    std::string where = "instruction " + std::to_string(i) + " (" + ins.op + ")";
    if (!info) return where + ": an unknown op";
    if (static_cast<int>(ins.args.size()) != info->arity) {
      return where + ": " + std::to_string(ins.args.size()) + " operands, expected " + std::to_string(info->arity);
    }
    for (const ElementwiseOperand& a : ins.args) {
      if (a.kind == Kind::input && a.index >= static_cast<int64_t>(num_inputs)) return where + ": no input x" + std::to_string(a.index);
      if (a.kind == Kind::temp && a.index >= static_cast<int64_t>(i)) return where + ": t" + std::to_string(a.index) + " is not computed yet";
    }
  }
  return "";
}

ElementwiseProgram program_of(const graph::Node& n) {
  std::string error;
  auto p = ElementwiseProgram::parse(n.attrs_as<FusedElementwiseAttrs>().program, error);
  FLOWGRAD_CHECK(p.has_value(), "fused_elementwise: a program that passed inference does not parse");
  return *p;
}

std::vector<TensorType> infer(const InferContext& ctx) {
  if (ctx.inputs.empty()) ctx.fail("expected at least one input");
  const TensorType& x = ctx.in(0);
  for (const TensorType& t : ctx.inputs) {
    if (t != x || t.dtype != DType::f32) ctx.fail("expected f32 inputs of one type, got " + t.str() + " beside " + x.str());
  }
  std::string error;
  auto p = ElementwiseProgram::parse(ctx.attrs_as<FusedElementwiseAttrs>().program, error);
  if (p) error = check(*p, ctx.inputs.size());
  if (!error.empty()) ctx.fail("invalid program '" + ctx.attrs_as<FusedElementwiseAttrs>().program + "': " + error);
  return {x};
}

// y[i] = f(a[i]) over one chunk, vectorized (omp simd; see CMakeLists.txt for
// -fno-trapping-math, which lets GCC vectorize the polynomial selects).
template <class F>
void map1(const float* a, float* y, int64_t n, F f) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = f(a[i]);
}

template <class F>
void map2(const float* a, const float* b, float* y, int64_t n, F f) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
}

// One instruction over n <= kChunk elements: y = f(a[, b]); a literal operand
// arrives as a splat chunk.
void run_chunk(Code c, const float* a, const float* b, float* y, int64_t n) {
  switch (c) {
    case Code::add: return map2(a, b, y, n, [](float u, float v) { return u + v; });
    case Code::sub: return map2(a, b, y, n, [](float u, float v) { return u - v; });
    case Code::mul: return map2(a, b, y, n, [](float u, float v) { return u * v; });
    case Code::div: return map2(a, b, y, n, [](float u, float v) { return u / v; });
    case Code::relu: return map1(a, y, n, [](float u) { return u > 0.0f ? u : 0.0f; });
    case Code::neg: return map1(a, y, n, [](float u) { return -u; });
    case Code::exp: return map1(a, y, n, [](float u) { return math::exp(u); });
    case Code::log: return map1(a, y, n, [](float u) { return std::log(u); });
    case Code::tanh: return map1(a, y, n, [](float u) { return math::tanh(u); });
    case Code::sigmoid: return map1(a, y, n, [](float u) { return math::sigmoid(u); });
    case Code::gelu: return map1(a, y, n, [](float u) { return math::gelu(u); });
    case Code::gelu_tanh: return map1(a, y, n, [](float u) { return math::gelu_tanh(u); });
  }
}

class FusedElementwiseKernel final : public Kernel {
 public:
  FusedElementwiseKernel(const ElementwiseProgram& p, int64_t numel) : numel_(numel) {
    for (const ElementwiseInstruction& ins : p.code) {
      Step s{find(ins.op)->code, {}};
      for (const ElementwiseOperand& a : ins.args) {
        s.args.push_back(a);
        if (a.kind == Kind::literal) {
          s.args.back().index = static_cast<int64_t>(literals_.size());
          literals_.push_back(a.value);
        }
      }
      steps_.push_back(std::move(s));
    }
  }

  void run(const KernelArgs& k) override {
    parallel_blocks(numel_, k.threads, std::max<int64_t>(kChunk, kBlock), [&](int64_t lo, int64_t hi) {
      for (int64_t c = lo; c < hi; c += kChunk) run_one(k, c, std::min(kChunk, hi - c));
    });
  }
  double cost() const override { return static_cast<double>(steps_.size() * numel_); }

 private:
  struct Step {
    Code code;
    std::vector<ElementwiseOperand> args;
  };

  // Chunk [begin, begin + n): registers on the stack, the last step writes y.
  void run_one(const KernelArgs& k, int64_t begin, int64_t n) const {
    alignas(64) float regs[kMaxInstructions][kChunk];
    alignas(64) float splat[2][kChunk];
    for (size_t s = 0; s < steps_.size(); ++s) {
      const float* in[2] = {nullptr, nullptr};
      for (size_t j = 0; j < steps_[s].args.size(); ++j) {
        const ElementwiseOperand& a = steps_[s].args[j];
        if (a.kind == Kind::input) {
          in[j] = k.in<float>(static_cast<size_t>(a.index)) + begin;
        } else if (a.kind == Kind::temp) {
          in[j] = regs[a.index];
        } else {
          std::fill(splat[j], splat[j] + n, literals_[static_cast<size_t>(a.index)]);
          in[j] = splat[j];
        }
      }
      float* y = s + 1 == steps_.size() ? k.out<float>(0) + begin : regs[s];
      run_chunk(steps_[s].code, in[0], in[1], y, n);
    }
  }

  int64_t numel_;
  std::vector<Step> steps_;
  std::vector<float> literals_;
};

// Runs op `name`'s reference kernel on `in` (literals become scalar tensors).
Tensor run_reference(std::string_view name, const std::vector<Tensor>& in, const TensorType& type, const graph::Node& like) {
  graph::Node n = like;
  n.op = name == "gelu_tanh" ? "gelu" : std::string(name);
  n.attrs = std::make_shared<graph::Attrs<graph::NoAttrs>>();
  if (n.op == "gelu") n.attrs = std::make_shared<graph::Attrs<GeluAttrs>>(GeluAttrs{name == "gelu_tanh" ? "tanh" : "none"});
  std::vector<Tensor> out{Tensor(type)};
  get_op(n.op).reference(n, in, out);
  return out[0];
}

void reference(const graph::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  ElementwiseProgram p = program_of(node);
  const TensorType& type = out[0].type();
  std::vector<Tensor> temps;
  for (const ElementwiseInstruction& ins : p.code) {
    std::vector<Tensor> args;
    for (const ElementwiseOperand& a : ins.args) {
      if (a.kind == Kind::input) args.push_back(in[static_cast<size_t>(a.index)]);
      if (a.kind == Kind::temp) args.push_back(temps[static_cast<size_t>(a.index)]);
      if (a.kind == Kind::literal) args.push_back(Tensor::from<float>({}, {a.value}));
    }
    temps.push_back(run_reference(ins.op, args, type, node));
  }
  std::copy_n(temps.back().data<float>(), temps.back().numel(), out[0].data<float>());
}

}  // namespace

std::optional<ElementwiseProgram> ElementwiseProgram::parse(std::string_view text, std::string& error) {
  ElementwiseProgram p;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line, ';')) {
    std::istringstream words(line);
    ElementwiseInstruction ins;
    if (!(words >> ins.op)) {
      error = "an empty instruction";
      return std::nullopt;
    }
    for (std::string w; words >> w;) {
      auto o = parse_operand(w);
      if (!o) {
        error = "bad operand '" + w + "'";
        return std::nullopt;
      }
      ins.args.push_back(*o);
    }
    p.code.push_back(std::move(ins));
  }
  return p;
}

std::string ElementwiseProgram::str() const {
  std::string s;
  for (const ElementwiseInstruction& ins : code) {
    s += (s.empty() ? "" : "; ") + ins.op;
    for (const ElementwiseOperand& a : ins.args) {
      if (a.kind == Kind::literal) {
        char buf[32];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, a.value);  // shortest form that reads back exactly
        s += " " + std::string(buf, end);
      } else {
        s += (a.kind == Kind::input ? " x" : " t") + std::to_string(a.index);
      }
    }
  }
  return s;
}

int elementwise_arity(std::string_view op) {
  const OpInfo* info = find(op);
  return info ? info->arity : 0;
}

FLOWGRAD_REGISTER_OP({
    .name = "fused_elementwise",
    .num_inputs = kVariadic,
    .fusion = FusionClass::elementwise,
    .make_attrs = attrs_factory<FusedElementwiseAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<FusedElementwiseKernel>(program_of(ctx.node), ctx.outputs[0].numel());
    },
    .reference = reference,
    // Made by fusion, which runs after autodiff: nothing differentiates through it.
    .not_differentiable = true,
});

Expr fused_elementwise(std::vector<Expr> inputs, FusedElementwiseAttrs attrs, const Loc& loc) {
  return inputs.at(0).emitter().emit1("fused_elementwise", std::move(attrs), inputs, loc);
}

}  // namespace flowgrad::ops
