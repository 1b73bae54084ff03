// Assertions that stay on in release builds.
//
// Protocol code asserts what it believes (TigerBeetle style): a failed assertion is a bug in
// our code, never a reaction to bad input. Bad bytes, bad YAML and socket errors are values
// (see result.h), not assertions.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace faultline::detail {
[[noreturn]] inline void assertion_failed(const char* expression, const char* file, int line,
                                          const char* message) {
  const char* const format = "faultline: assertion failed: %s (%s) at %s:%d\n";
  std::fprintf(stderr, format, expression, message, file, line);  // tidy: allow report, then abort
  std::fflush(stderr);
  std::abort();
}
}  // namespace faultline::detail

#define FL_ASSERT(condition, message)                                                   \
  do {                                                                                  \
    if (!(condition)) [[unlikely]]                                                      \
      ::faultline::detail::assertion_failed(#condition, __FILE__, __LINE__, (message)); \
  } while (false)

#define FL_UNREACHABLE(message) \
  ::faultline::detail::assertion_failed("unreachable", __FILE__, __LINE__, (message))
