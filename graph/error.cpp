#include "graph/error.h"

#include <cstdio>
#include <cstdlib>

namespace flowgrad {

void check_failed(const char* expr, const char* file, int line, const std::string& msg) {
  std::fprintf(stderr, "flowgrad: internal check failed: %s at %s:%d%s%s\n", expr, file, line,
               msg.empty() ? "" : ": ", msg.c_str());
  std::abort();
}

}  // namespace flowgrad
