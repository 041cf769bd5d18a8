#pragma once
// Tests that need a second process (to kill it with SIGKILL mid-work) start
// the test binary again in a registered child role instead of forking: a
// fork of a process whose oneTBB / OpenMP threads already run cannot use
// them safely. main() runs the role named by FLOWGRAD_TEST_CHILD and exits.
//
//   const testing::ChildRole kTrain("train", [](const std::string& arg) { ...; return 0; });
//   pid_t pid = testing::spawn_child("train", "bert /tmp/dir");

#include <sys/types.h>

#include <functional>
#include <string>

namespace flowgrad::testing {

using ChildMain = std::function<int(const std::string& arg)>;

struct ChildRole {
  ChildRole(const std::string& role, ChildMain run);
};

// Starts this test binary as `role` with `arg`; returns its pid (REQUIREs success).
pid_t spawn_child(const std::string& role, const std::string& arg);

// If FLOWGRAD_TEST_CHILD names a role, runs it and returns its exit status.
int run_child_role(bool& was_child);

}  // namespace flowgrad::testing
