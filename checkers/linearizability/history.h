// The history a linearizability check judges: client operations with real-time intervals.
//
// An Operation is one client call: who made it, when it was invoked, when it completed (or
// never, when the client crashed or timed out), what it asked for and what it got back.
// Invariants a valid History keeps (validate_history checks them, readers guarantee them):
//   * return_ns, when present, is >= invoke_ns;
//   * an operation without return_ns "may or may not have taken effect": the checker gives it
//     a return time of +infinity and lets it linearize anywhere after its invocation, or not at
//     all (placing it after every completed operation is the same as leaving it out);
//   * failed operations (a definite "did not happen") are not in a History: readers drop them.
// Times are integer nanoseconds from the simulator, or the line index for logs that have only
// line order (Jepsen). Two events at the same time are treated as concurrent (the weaker,
// never-false-alarm reading).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/result.h"

namespace faultline::lin {

// nil (std::monostate), an integer or a string: the values registers and lists hold.
using Value = std::variant<std::monostate, std::int64_t, std::string>;

std::string format_value(const Value& value);  // "nil", "4", "\"x 1 y\""

enum class OpKind : std::uint8_t {
  read,    // returns the current value (`get` in key-value logs)
  write,   // replaces the value (`put` in key-value logs)
  cas,     // compare-and-set: if value == from then value = to (an ok cas succeeded)
  append,  // concatenates argument to the key's string
};

std::string_view to_string(OpKind kind);
std::optional<OpKind> parse_op_kind(std::string_view name);  // also accepts get, put

struct Operation {
  std::int64_t client = 0;
  std::int64_t invoke_ns = 0;
  std::optional<std::int64_t> return_ns;  // nullopt: crashed/timed out, outcome unknown
  std::string key;                        // "" for a single register
  OpKind kind = OpKind::read;
  Value argument;       // write/append: the value written; cas: the expected value (from)
  Value argument2;      // cas: the new value (to)
  Value result;         // read: the value returned (unused when the operation did not complete)
  int source_line = 0;  // 1-based line in the file it was read from, 0 when generated

  bool completed() const { return return_ns.has_value(); }
  friend bool operator==(const Operation&, const Operation&) = default;
};

struct History {
  std::vector<Operation> operations;
  friend bool operator==(const History&, const History&) = default;
};

// Checks the invariants above; the error names the operation's source line.
Result<void> validate_history(const History& history);

// "client 3 [120, 250] write x 4 -> ok" style one-line description, for explanations.
std::string describe_operation(const Operation& op);

}  // namespace faultline::lin
