// The registry-wide gradient check: for every op case (tests/ops/*) of a
// differentiable op, the gradient graph built by autodiff::grad and run by
// the runtime matches central finite differences of the op's reference
// kernel. The check itself is the public one (frontend/gradcheck.h), the
// same that user code runs on its custom ops.

#include <set>

#include "frontend/gradcheck.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

TEST_CASE("every differentiable op's gradient matches finite differences") {
  for (const OpCase& c : op_cases()) {
    if (!frontend::gradcheckable(c.check())) continue;
    SUBCASE(c.label().c_str()) {
      INFO(c.label());
      std::string why = frontend::gradcheck(c.check());
      CHECK_MESSAGE(why.empty(), why);
    }
  }
}

TEST_CASE("every op has a passing gradient check or is declared not differentiable") {
  std::set<std::string> checked;
  for (const OpCase& c : op_cases()) {
    if (checked.contains(c.op) || !frontend::gradcheckable(c.check())) continue;
    if (frontend::gradcheck(c.check()).empty()) checked.insert(c.op);
  }
  for (const ops::OpDef* def : ops::all_ops()) {
    bool covered = def->not_differentiable || checked.contains(def->name);
    CHECK_MESSAGE(covered,
                  "op '" << def->name << "' has neither a passing gradient check nor a not_differentiable mark");
  }
}

TEST_CASE("the public gradient check reports a mismatch and rejects what it cannot check") {
  frontend::OpCheck tanh_case{.op = "tanh", .inputs = {f32({3, 4})}};
  CHECK(frontend::gradcheck(tanh_case).empty());
  // f32 finite differences cannot agree to 1e-12: the report names the input.
  std::string why = frontend::gradcheck(tanh_case, {.rtol = 1e-12});
  CHECK(why.find("d/d input 0") != std::string::npos);
  CHECK(frontend::check_forward(tanh_case).empty());
  frontend::OpCheck no_rule{.op = "stop_gradient", .inputs = {f32({2})}};
  CHECK_FALSE(frontend::gradcheckable(no_rule));
  CHECK_THROWS_AS(frontend::gradcheck(no_rule), ValueError);
}

}  // namespace
}  // namespace flowgrad::testing
