// The executor's trace (runtime/trace.h): what a recording holds, the Chrome
// trace file it writes, and that nothing is recorded when it is off.
#include "runtime/trace.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "mlp_fixture.h"

namespace flowgrad::testing {
namespace {

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("flowgrad_" + name + "_" + std::to_string(::getpid()) + ".json"))
      .string();
}

bool env_trace_on() {
  const char* p = std::getenv("FLOWGRAD_TRACE");
  return p && *p;
}

TEST_CASE("a trace file holds one complete event per executed node per run, with its op and shapes") {
  MlpStep mlp({.batch = 64});
  runtime::Session sess(mlp.b.graph(), frontend::with_passes({.threads = 2}));
  sess.run(mlp.feeds(), {mlp.loss.id(), mlp.train.step.id()});  // run 0: compiles, not recorded
  const std::string path = temp_file("trace");
  runtime::start_trace(path);
  CHECK(runtime::tracing());
  constexpr int kRuns = 3;
  for (int i = 0; i < kRuns; ++i) sess.run(mlp.feeds(), {mlp.loss.id(), mlp.train.step.id()});
  CHECK(runtime::stop_trace() == path);
  CHECK_FALSE(runtime::tracing());

  std::ifstream in(path);
  nlohmann::json trace = nlohmann::json::parse(in);
  std::filesystem::remove(path);
  const runtime::Plan& plan = *sess.last_plan();
  std::map<std::string, std::string> op_of;  // step name -> op
  std::map<std::string, int> team_of;        // step name -> threads it runs with
  for (const runtime::Step& s : plan.steps()) {
    op_of[s.name] = plan.graph().node(s.node).op;
    team_of[s.name] = s.threads;
  }
  REQUIRE(op_of.size() == plan.steps().size());  // names are unique

  std::map<std::pair<std::string, uint64_t>, int> seen;  // (node, run) -> events
  std::set<uint64_t> runs;
  for (const auto& e : trace.at("traceEvents")) {
    if (e.at("ph") == "M") continue;  // process and thread names
    REQUIRE(e.at("ph") == "X");
    const std::string name = e.at("name");
    REQUIRE(op_of.count(name) == 1);
    CHECK(e.at("args").at("op") == op_of[name]);
    CHECK(e.at("cat") == op_of[name]);
    CHECK(e.at("args").at("team") == team_of[name]);
    CHECK(e.at("pid") == 0);
    CHECK(e.at("tid").get<int>() >= 0);
    CHECK(e.at("dur").get<double>() >= 0);
    CHECK(e.at("ts").get<double>() >= 0);
    CHECK(e.at("args").at("outputs").size() >= 1);
    const uint64_t run = e.at("args").at("step");
    runs.insert(run);
    ++seen[{name, run}];
  }
  CHECK(runs == std::set<uint64_t>{1, 2, 3});  // the session's run counter; run 0 was not recorded
  CHECK(seen.size() == kRuns * plan.steps().size());
  for (const auto& [key, n] : seen) CHECK(n == 1);

  // the first layer's forward matmul names its shapes
  bool found = false;
  for (const auto& e : trace.at("traceEvents")) {
    if (e.at("ph") != "X") continue;
    const auto& args = e.at("args");
    found = found || (!args.at("inputs").empty() && args.at("inputs").at(0) == "f32[64, 2]" &&
                      args.at("outputs").at(0) == "f32[64, 32]");
  }
  CHECK(found);
}

TEST_CASE("a recording without a file keeps the events in memory, and stopping drops them") {
  MlpStep mlp({.batch = 16});
  runtime::Session sess(mlp.b.graph(), frontend::with_passes());
  runtime::start_trace();
  sess.run(mlp.feeds(), {mlp.loss.id()});
  std::vector<runtime::TraceEvent> events = runtime::trace_events();
  const runtime::Plan& plan = *sess.last_plan();
  CHECK(events.size() == plan.steps().size());
  for (const runtime::TraceEvent& e : events) {
    REQUIRE(e.label != nullptr);
    CHECK(e.label->op == plan.graph().node(e.label->node).op);
    CHECK(e.duration_us >= 0);
  }
  CHECK(runtime::stop_trace().empty());  // no file
  CHECK(runtime::trace_event_count() == 0);
}

TEST_CASE("when nothing records, running records nothing") {
  if (env_trace_on()) return;  // FLOWGRAD_TRACE set for the whole test run
  CHECK_FALSE(runtime::tracing());
  MlpStep mlp({.batch = 16});
  runtime::Session sess(mlp.b.graph());
  sess.run(mlp.feeds(), {mlp.loss.id()});
  CHECK(runtime::trace_event_count() == 0);
}

TEST_CASE("the Chrome trace writer escapes node names and shapes into valid JSON") {
  auto label = std::make_shared<runtime::StepLabel>(
      runtime::StepLabel{.node = 7, .name = "odd \"name\"\\with\nnewline", .op = "matmul", .inputs = {"f32[2, 3]"},
                         .outputs = {"f32[2, 4]"}});
  std::vector<runtime::TraceEvent> events = {{label, 5, 1, 10.0, 2.5}, {label, 6, 0, 20.0, 1.0}};
  const std::string path = temp_file("trace_escape");
  runtime::write_chrome_trace(path, events, 3);
  std::ifstream in(path);
  nlohmann::json trace = nlohmann::json::parse(in);
  std::filesystem::remove(path);
  int complete = 0, thread_names = 0;
  for (const auto& e : trace.at("traceEvents")) {
    if (e.at("ph") == "M") {
      thread_names += e.at("name") == "thread_name";
      continue;
    }
    ++complete;
    CHECK(e.at("name") == label->name);
    CHECK(e.at("pid") == 3);
    CHECK(e.at("args").at("inputs").at(0) == "f32[2, 3]");
  }
  CHECK(complete == 2);
  CHECK(thread_names == 2);  // threads 1 and 0
  CHECK(trace.at("traceEvents").at(3).at("ts") == 10.0);  // after the process and the two thread names
}

TEST_CASE("a trace that cannot be written is an error naming the file") {
  std::vector<runtime::TraceEvent> none;
  CHECK_THROWS_WITH_AS(runtime::write_chrome_trace("/nonexistent-dir/t.json", none, 0),
                       doctest::Contains("/nonexistent-dir/t.json"), Error);
}

}  // namespace
}  // namespace flowgrad::testing
