#pragma once
// Errors. A user's mistake (bad shape, bad attribute, bad file, unknown name)
// is a flowgrad::Error subclass with a message that says what was expected and
// what was found; an internal invariant is FLOWGRAD_CHECK, which aborts.

#include <source_location>
#include <stdexcept>
#include <string>

namespace flowgrad {

// Where in the user's DSL code a node was created.
struct SourceLoc {
  std::string file;  // as std::source_location gives it
  int line = 0;  // 1-based; 0 if unknown
  // From a std::source_location.
  static SourceLoc from(const std::source_location& loc) {
    return {loc.file_name(), static_cast<int>(loc.line())};
  }
  bool known() const { return !file.empty(); }  // false when no location was recorded
  std::string str() const { return file + ":" + std::to_string(line); }  // "file:line"
};
// The base of every error a user can cause; what() says what was expected and found.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A shape or dtype that an op cannot accept.
class ShapeError : public Error {
 public:
  using Error::Error;
};

// A bad argument value: attribute out of range, unknown feed, unknown op.
class ValueError : public Error {
 public:
  using Error::Error;
};

// A file that cannot be read or is malformed.
class FormatError : public Error {
 public:
  using Error::Error;
};

[[noreturn]] void check_failed(const char* expr, const char* file, int line, const std::string& msg);  // prints and aborts (FLOWGRAD_CHECK)

}  // namespace flowgrad
// An internal invariant: aborts with the condition, file, line and message if `cond` is false.
#define FLOWGRAD_CHECK(cond, ...)                                                            \
  do {                                                                                     \
    if (!(cond)) ::flowgrad::check_failed(#cond, __FILE__, __LINE__, std::string{__VA_ARGS__}); \
  } while (0)
