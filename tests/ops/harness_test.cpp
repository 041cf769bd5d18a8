// The registry-wide op harness: every registered op must have forward cases
// (tests/ops/<op>_test.cpp), and every case must match the op's plain
// reference kernel when run through the real runtime (oneDNN and own kernels).

#include <set>

#include "ops/expr.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

struct CaseRun {
  std::vector<Tensor> got, want;
};

CaseRun run_case(const OpCase& c, uint64_t seed, int threads) {
  graph::Graph g;
  ops::Emitter em(g);
  const ops::OpDef& def = ops::get_op(c.op);
  std::vector<ops::Expr> ins;
  std::vector<Tensor> values;
  runtime::Feeds feeds;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    std::string name = "in" + std::to_string(i);
    ins.push_back(ops::input(em, name, c.inputs[i]));
    values.push_back(random_tensor(c.inputs[i], seed + i, c.lo, c.hi));
    feeds.emplace_back(name, values.back());
  }
  auto outs = em.emit(c.op, c.attrs, ins, ops::Loc::current(), "op");
  std::vector<graph::ValueId> fetches;
  CaseRun r;
  for (auto& o : outs) {
    fetches.push_back(o.id());
    r.want.emplace_back(o.type());
  }
  const graph::Node& node = outs[0].producer();
  if (def.source == ops::Source::input) {  // the op *is* the feed
    r.want[0] = random_tensor(outs[0].type(), seed, c.lo, c.hi);
    feeds.emplace_back(node.name, r.want[0]);
  } else {
    def.reference(node, values, r.want);
  }
  // In-place ops (optimizer updates) write into their inputs: feed copies.
  for (auto& [name, t] : feeds) t = t.clone();
  runtime::Session sess(g, {.threads = threads});
  r.got = sess.run(feeds, fetches);
  return r;
}

TEST_CASE("every registered op has forward test cases") {
  std::set<std::string> covered;
  for (const OpCase& c : op_cases()) covered.insert(c.op);
  for (const ops::OpDef* def : ops::all_ops()) {
    CHECK_MESSAGE(covered.contains(def->name), "op '" << def->name << "' has no forward test case");
  }
}

TEST_CASE("every op's kernel matches its reference kernel") {
  for (const OpCase& c : op_cases()) {
    SUBCASE(c.label().c_str()) {
      INFO(c.label());
      for (int threads : {1, 2}) {
        CaseRun r = run_case(c, 7, threads);
        REQUIRE(r.got.size() == r.want.size());
        size_t compared = r.got.size() - ops::get_op(c.op).hidden_outputs;  // hidden: kernel state
        for (size_t i = 0; i < compared; ++i) CHECK_CLOSE(r.got[i], r.want[i], 1e-5);
      }
    }
  }
}

}  // namespace
}  // namespace flowgrad::testing
