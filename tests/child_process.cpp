#include "child_process.h"

#include <doctest/doctest.h>
#include <spawn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

extern char** environ;

namespace flowgrad::testing {
namespace {

constexpr const char* kRoleVar = "FLOWGRAD_TEST_CHILD";
constexpr const char* kArgVar = "FLOWGRAD_TEST_CHILD_ARG";

std::map<std::string, ChildMain>& roles() {
  static std::map<std::string, ChildMain> r;
  return r;
}

}  // namespace

ChildRole::ChildRole(const std::string& role, ChildMain run) { roles()[role] = std::move(run); }

pid_t spawn_child(const std::string& role, const std::string& arg) {
  std::vector<std::string> env_strings{std::string(kRoleVar) + "=" + role, std::string(kArgVar) + "=" + arg};
  std::vector<char*> env;
  for (auto& s : env_strings) env.push_back(s.data());
  for (char** e = environ; *e; ++e) env.push_back(*e);
  env.push_back(nullptr);
  std::string self = "/proc/self/exe";
  char* argv[] = {self.data(), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, env.data());
  REQUIRE_MESSAGE(rc == 0, "posix_spawn failed: " << rc);
  return pid;
}

int run_child_role(bool& was_child) {
  const char* role = std::getenv(kRoleVar);
  was_child = role != nullptr;
  if (!role) return 0;
  auto it = roles().find(role);
  if (it == roles().end()) {
    std::fprintf(stderr, "unknown child role '%s'\n", role);
    return 2;
  }
  const char* arg = std::getenv(kArgVar);
  try {
    return it->second(arg ? arg : "");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child role '%s' failed: %s\n", role, e.what());
    return 1;
  }
}

}  // namespace flowgrad::testing
