// The test binary's entry point: doctest, unless started as a child process
// of a test (see child_process.h).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "child_process.h"

int main(int argc, char** argv) {
  bool child = false;
  int status = flowgrad::testing::run_child_role(child);
  if (child) return status;
  doctest::Context context(argc, argv);
  return context.run();
}
