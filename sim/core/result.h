// Result<T>: the value or the reason it could not be produced.
//
// Every parser and decoder in faultline returns a Result; an Error names what went wrong and
// where (a key path and a line for YAML, a byte offset for frames), so a user can fix the input.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace faultline {

struct Error {
  std::string where;  // "faults[2].at", "frame byte 17", "" when nothing more precise is known
  int line = 0;       // 1-based source line, 0 when not from a text file
  std::string what;   // "expected a duration like 150ms"

  // "faults[2].at (line 12): expected a duration like 150ms"
  std::string to_string() const {
    std::string text = where;
    if (line > 0)
      text +=
          (text.empty() ? "line " : " (line ") + std::to_string(line) + (text.empty() ? "" : ")");
    if (!text.empty()) text += ": ";
    return text + what;
  }
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string where, int line, std::string what) {
  return std::unexpected<Error>(Error{std::move(where), line, std::move(what)});
}
inline std::unexpected<Error> fail(std::string what) {
  return std::unexpected<Error>(Error{"", 0, std::move(what)});
}

}  // namespace faultline
