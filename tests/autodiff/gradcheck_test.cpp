// The registry-wide gradient check: for every op case (tests/ops/*) of a
// differentiable op, the gradient graph built by autodiff::grad matches
// central finite differences of the op's reference kernel — on the f32 path
// (compiled runtime, rel. 1e-3) and in double precision (reference
// interpreter, rel. err <= 1e-6). The checker is the public one
// (frontend/gradcheck.h, where the step sizes and the exact definition of
// rel. err are), the same that user code runs on its custom ops.
//
// Every check runs once per process (results are cached) and the tests below
// read the results: each case passes at each precision; every op is either
// declared not_differentiable or passes both; every differentiable op is
// checked in double on at least three input shapes, one of them broadcasting
// when the op broadcasts.

#include <map>
#include <optional>
#include <set>

#include "frontend/gradcheck.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using frontend::GradCheckResult;
using frontend::Precision;

constexpr uint64_t kSeed = 11;

struct CaseResult {
  const OpCase* c;
  std::optional<GradCheckResult> f32, f64;  // nullopt: not applicable at that precision
};

std::optional<GradCheckResult> check(const OpCase& c, Precision p) {
  frontend::GradCheckOptions options{.precision = p, .seed = kSeed};
  if (!frontend::gradcheckable(c.check(), options)) return std::nullopt;
  return frontend::gradcheck(c.check(), options);
}

const std::vector<CaseResult>& results() {
  static const std::vector<CaseResult> all = [] {
    std::vector<CaseResult> r;
    for (const OpCase& c : op_cases()) r.push_back({&c, check(c, Precision::f32), check(c, Precision::f64)});
    return r;
  }();
  return all;
}

// The label of the case as the f64 check runs it (f32 inputs turned into f64).
std::string f64_label(const OpCase& c) {
  OpCase d = c;
  d.inputs = frontend::to_f64(c.check()).inputs;
  return d.label();
}

// A case with an input of another shape than the output (broadcast_to's x,
// add's row vector, masked_fill's mask).
bool broadcasts(const OpCase& c) {
  graph::Shape out = frontend::output_types(c.check())[0].shape;
  for (const auto& t : c.inputs) {
    if (t.shape != out) return true;
  }
  return false;
}

TEST_CASE("every differentiable op's gradient matches finite differences on the f32 path") {
  double worst = 0;
  int checked = 0;
  for (const CaseResult& r : results()) {
    if (!r.f32) continue;
    INFO(r.c->label());
    CHECK_MESSAGE(r.f32->ok(), r.f32->error);
    worst = std::max(worst, r.f32->worst_rel);
    ++checked;
  }
  CHECK(checked > 0);
  MESSAGE("f32 gradient check: " << checked << " cases, worst rel. err " << worst);
}

TEST_CASE("every differentiable op's gradient matches finite differences in double precision") {
  double worst = 0;
  std::string worst_case;
  std::set<std::string> ops_checked;
  int cases = 0;
  for (const CaseResult& r : results()) {
    if (!r.f64) continue;
    INFO(f64_label(*r.c));
    CHECK_MESSAGE(r.f64->ok(), r.f64->error);
    if (r.f64->worst_rel >= worst) worst = r.f64->worst_rel, worst_case = f64_label(*r.c);
    ops_checked.insert(r.c->op);
    ++cases;
  }
  CHECK(!ops_checked.empty());
  MESSAGE("f64 gradient check: " << ops_checked.size() << " ops, " << cases << " cases, worst rel. err " << worst
                                 << " (" << worst_case << ")");
}

TEST_CASE("every op has a passing gradient check or is declared not differentiable") {
  std::set<std::string> passed32, passed64;
  for (const CaseResult& r : results()) {
    if (r.f32 && r.f32->ok()) passed32.insert(r.c->op);
    if (r.f64 && r.f64->ok()) passed64.insert(r.c->op);
  }
  for (const ops::OpDef* def : ops::all_ops()) {
    bool covered = def->not_differentiable || (passed32.contains(def->name) && passed64.contains(def->name));
    CHECK_MESSAGE(covered, "op '" << def->name
                                  << "' has neither a passing gradient check (f32 and f64) nor a not_differentiable mark");
  }
}

TEST_CASE("every differentiable op is checked in double on three shapes, one broadcasting if the op broadcasts") {
  std::map<std::string, std::set<std::string>> shapes;  // op -> its checked input types, e.g. "f32[2, 3] f32[3] "
  std::set<std::string> broadcast_checked;
  for (const CaseResult& r : results()) {
    if (!r.f64) continue;
    std::string key;
    for (const auto& t : r.c->inputs) key += t.str() + " ";
    shapes[r.c->op].insert(key);
    if (broadcasts(*r.c)) broadcast_checked.insert(r.c->op);
  }
  for (const ops::OpDef* def : ops::all_ops()) {
    if (def->not_differentiable) continue;
    CHECK_MESSAGE(shapes[def->name].size() >= 3,
                  "op '" << def->name << "' is checked in double on " << shapes[def->name].size() << " input shapes");
    if (def->fusion == ops::FusionClass::broadcast) {
      CHECK_MESSAGE(broadcast_checked.contains(def->name), "op '" << def->name << "' has no broadcasting case in double");
    }
  }
}

}  // namespace
}  // namespace flowgrad::testing
