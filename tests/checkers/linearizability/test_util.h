// Small builders for hand-written histories in tests.
#pragma once

#include <optional>

#include "checkers/linearizability/checker.h"
#include "checkers/linearizability/history.h"

namespace faultline::lin::testing {

inline Operation op(std::int64_t client, std::int64_t invoke, std::optional<std::int64_t> ret,
                    OpKind kind, Value argument = {}, Value argument2 = {}, Value result = {},
                    std::string key = "") {
  Operation o;
  o.client = client;
  o.invoke_ns = invoke;
  o.return_ns = ret;
  o.kind = kind;
  o.argument = std::move(argument);
  o.argument2 = std::move(argument2);
  o.result = std::move(result);
  o.key = std::move(key);
  return o;
}
inline Operation write(std::int64_t c, std::int64_t i, std::optional<std::int64_t> r, Value v,
                       std::string key = "") {
  return op(c, i, r, OpKind::write, std::move(v), {}, {}, std::move(key));
}
inline Operation read(std::int64_t c, std::int64_t i, std::optional<std::int64_t> r, Value v,
                      std::string key = "") {
  return op(c, i, r, OpKind::read, {}, {}, std::move(v), std::move(key));
}
inline Operation cas(std::int64_t c, std::int64_t i, std::optional<std::int64_t> r, Value from,
                     Value to) {
  return op(c, i, r, OpKind::cas, std::move(from), std::move(to));
}
inline Operation append(std::int64_t c, std::int64_t i, std::optional<std::int64_t> r, Value v,
                        std::string key = "") {
  return op(c, i, r, OpKind::append, std::move(v), {}, {}, std::move(key));
}

// Verdict tests never use a deadline: only a state budget large enough.
inline CheckOptions test_options() {
  CheckOptions options;
  options.max_states = 5'000'000;
  return options;
}

inline Verdict verdict_of(const History& h, ModelKind model) {
  auto report = check_history(h, model, test_options());
  return report ? report->verdict : Verdict::unknown;
}

}  // namespace faultline::lin::testing
