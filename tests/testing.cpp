// The op-case table behind FLOWGRAD_OP_CASES (tests/testing.h).

#include "testing.h"

#include "graph/attrs.h"

namespace flowgrad::testing {

std::string OpCase::label() const {
  std::string s = op + "(";
  for (size_t i = 0; i < inputs.size(); ++i) s += (i ? ", " : "") + inputs[i].str();
  std::string a = graph::attrs_str(*attrs);
  return s + (a.empty() ? "" : "; " + a) + ")";
}

std::vector<OpCase>& op_cases() {
  static std::vector<OpCase> cases;
  return cases;
}

OpCaseRegistrar::OpCaseRegistrar(std::vector<OpCase> cases) {
  for (auto& c : cases) op_cases().push_back(std::move(c));
}

}  // namespace flowgrad::testing
