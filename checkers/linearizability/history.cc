#include "checkers/linearizability/history.h"

#include <fmt/format.h>

namespace faultline::lin {

std::string format_value(const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return "nil";
  if (const auto* n = std::get_if<std::int64_t>(&value)) return std::to_string(*n);
  return "\"" + std::get<std::string>(value) + "\"";
}

std::string_view to_string(OpKind kind) {
  switch (kind) {
    case OpKind::read: return "read";
    case OpKind::write: return "write";
    case OpKind::cas: return "cas";
    case OpKind::append: return "append";
  }
  return "";
}

std::optional<OpKind> parse_op_kind(std::string_view name) {
  if (name == "read" || name == "get") return OpKind::read;
  if (name == "write" || name == "put") return OpKind::write;
  if (name == "cas") return OpKind::cas;
  if (name == "append") return OpKind::append;
  return std::nullopt;
}

Result<void> validate_history(const History& history) {
  for (const Operation& op : history.operations) {
    if (op.return_ns && *op.return_ns < op.invoke_ns)
      return fail(
          "operation", op.source_line,
          fmt::format("returns at {} before it is invoked at {}", *op.return_ns, op.invoke_ns));
  }
  return {};
}

std::string describe_operation(const Operation& op) {
  std::string text = fmt::format("client {} [{}, {}] ", op.client, op.invoke_ns,
                                 op.return_ns ? std::to_string(*op.return_ns) : std::string("?"));
  if (!op.key.empty()) text += fmt::format("key \"{}\" ", op.key);
  switch (op.kind) {
    case OpKind::read:
      text += op.completed() ? "read -> " + format_value(op.result) : std::string("read");
      break;
    case OpKind::write: text += "write " + format_value(op.argument); break;
    case OpKind::cas:
      text += "cas " + format_value(op.argument) + " -> " + format_value(op.argument2);
      break;
    case OpKind::append: text += "append " + format_value(op.argument); break;
  }
  if (!op.completed()) text += " (outcome unknown)";
  if (op.source_line > 0) text += fmt::format(" (line {})", op.source_line);
  return text;
}

}  // namespace faultline::lin
