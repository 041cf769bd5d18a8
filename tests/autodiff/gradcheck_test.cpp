// The registry-wide gradient check: for every op case (tests/ops/*) of a
// differentiable op, the gradient graph built by autodiff::grad matches
// central finite differences of the op's reference kernel — on the f32 path
// (compiled runtime, rel. 1e-3) and in double precision (reference
// interpreter, rel. err <= 1e-6). The checker, its step sizes and the exact
// definition of rel. err are in gradcheck.h.
//
// Every check runs once per process (results are cached) and the tests below
// read the results: each case passes at each precision; every op is either
// declared not_differentiable or passes both; every differentiable op is
// checked in double on at least three input shapes, one of them broadcasting
// when the op broadcasts.

#include <map>
#include <optional>
#include <set>

#include "gradcheck.h"

namespace flowgrad::testing {
namespace {

constexpr uint64_t kSeed = 11;

struct CaseResult {
  const OpCase* c;
  std::optional<GradcheckResult> f32, f64;  // nullopt: not applicable at that precision
};

const std::vector<CaseResult>& results() {
  static const std::vector<CaseResult> all = [] {
    std::vector<CaseResult> r;
    for (const OpCase& c : op_cases()) {
      CaseResult cr{&c, std::nullopt, std::nullopt};
      if (gradcheckable(c, Precision::f32)) cr.f32 = gradcheck(c, Precision::f32, kSeed);
      if (gradcheckable(c, Precision::f64)) cr.f64 = gradcheck(c, Precision::f64, kSeed);
      r.push_back(std::move(cr));
    }
    return r;
  }();
  return all;
}

// A case with an input of another shape than the output (broadcast_to's x,
// add's row vector, masked_fill's mask).
bool broadcasts(const OpCase& c) {
  graph::Shape out = case_output_types(c)[0].shape;
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
    CHECK_MESSAGE(r.f32->error.empty(), r.f32->error);
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
    INFO(to_f64(*r.c).label());
    CHECK_MESSAGE(r.f64->error.empty(), r.f64->error);
    if (r.f64->worst_rel >= worst) worst = r.f64->worst_rel, worst_case = to_f64(*r.c).label();
    ops_checked.insert(r.c->op);
    ++cases;
  }
  CHECK(!ops_checked.empty());
  MESSAGE("f64 gradient check: " << ops_checked.size() << " ops, " << cases << " cases, worst rel. err " << worst << " (" << worst_case << ")");
}

TEST_CASE("every op has a passing gradient check or is declared not differentiable") {
  std::set<std::string> passed32, passed64;
  for (const CaseResult& r : results()) {
    if (r.f32 && r.f32->error.empty()) passed32.insert(r.c->op);
    if (r.f64 && r.f64->error.empty()) passed64.insert(r.c->op);
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
