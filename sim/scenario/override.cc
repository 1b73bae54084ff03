// apply_override: `--set key.path=value` edits of a ConfigTree before the binding decodes it.
//
// The value is read as a one-line YAML document, so `--set timeout=[150ms,300ms]` gives a list
// and `--set bug=commit_on_majority` a scalar. Overridden nodes carry line 0: they come from
// the command line, not from the file.
#include <cstddef>
#include <string>
#include <string_view>

#include "sim/scenario/names.h"
#include "sim/scenario/parse.h"
#include "sim/scenario/parse_detail.h"

namespace faultline::scenario {

namespace {

using Kind = ConfigTree::Kind;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

void clear_lines(ConfigTree& tree) {
  tree.line = 0;
  for (ConfigTree& item : tree.items) clear_lines(item);
  for (auto& [key, value] : tree.entries) clear_lines(value);
}

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

class OverridePath {
 public:
  OverridePath(std::string_view assignment, ConfigTree& root)
      : assignment_(assignment), node_(&root) {}

  // Walks one segment "key" or "key[2][0]", creating map keys (never list items) on the way.
  Result<void> step(std::string_view segment) {
    if (segment.empty()) return bad("empty key name in the path");
    std::size_t end = 0;
    while (end < segment.size() && is_key_char(segment[end])) ++end;
    if (end == 0) return bad("expected a key name before " + quote(segment.substr(end)));
    if (auto ok = enter_key(segment.substr(0, end)); !ok) return ok;
    segment.remove_prefix(end);
    while (!segment.empty()) {
      const std::size_t close = segment.find(']');
      if (segment.front() != '[' || close == std::string_view::npos)
        return bad("expected [index] after a key");
      if (auto ok = enter_index(segment.substr(1, close - 1)); !ok) return ok;
      segment.remove_prefix(close + 1);
    }
    return {};
  }

  ConfigTree& node() { return *node_; }

  std::unexpected<Error> bad(std::string what) const {
    return fail("--set " + quote(assignment_), 0, std::move(what));
  }

 private:
  Result<void> enter_key(std::string_view key) {
    if (node_->kind == Kind::null) node_->kind = Kind::map;
    if (node_->kind != Kind::map)
      return bad(describe(*node_) + " is a " + kind_name(*node_) + ", not a map");
    for (auto& [k, v] : node_->entries) {
      if (k != key) continue;
      node_ = &v;
      return {};
    }
    ConfigTree created;
    created.path = join_path(node_->path, key);
    node_->entries.emplace_back(std::string(key), std::move(created));
    node_ = &node_->entries.back().second;
    return {};
  }

  Result<void> enter_index(std::string_view digits) {
    std::size_t index = 0;
    if (digits.empty() || digits.size() > 9) return bad("expected a list index like [0]");
    for (char c : digits) {
      if (c < '0' || c > '9') return bad("expected a list index like [0]");
      index = index * 10 + static_cast<std::size_t>(c - '0');
    }
    if (node_->kind != Kind::list)
      return bad(describe(*node_) + " is a " + kind_name(*node_) + ", not a list");
    if (index >= node_->items.size())
      return bad(describe(*node_) + " has " + std::to_string(node_->items.size()) + " items, no [" +
                 std::string(digits) + "]");
    node_ = &node_->items[index];
    return {};
  }

  static std::string describe(const ConfigTree& node) {
    return node.path.empty() ? "the document" : quote(node.path);
  }
  static std::string kind_name(const ConfigTree& node) {
    switch (node.kind) {
      case Kind::null: return "null";
      case Kind::scalar: return "scalar";
      case Kind::list: return "list";
      case Kind::map: return "map";
    }
    return "?";
  }

  std::string_view assignment_;
  ConfigTree* node_;
};

}  // namespace

Result<void> apply_override(ConfigTree& tree, std::string_view assignment) {
  OverridePath walk(assignment, tree);
  const std::size_t equals = assignment.find('=');
  if (equals == std::string_view::npos)
    return walk.bad("expected key=value, like bug=commit_on_majority");
  const std::string_view key = trim(assignment.substr(0, equals));
  const std::string_view value_text = trim(assignment.substr(equals + 1));
  if (key.empty()) return walk.bad("missing the key before '='");
  if (value_text.empty()) return walk.bad("missing the value after '='");

  auto value = parse_yaml(value_text, "");
  if (!value) return walk.bad("bad value: " + value.error().what);

  // Validate the whole key before touching the tree, so a failed override changes nothing.
  ConfigTree scratch = tree;
  OverridePath dry_run(assignment, scratch);
  for (std::string_view rest = key;;) {
    const std::size_t dot = rest.find('.');
    if (auto ok = dry_run.step(rest.substr(0, dot)); !ok) return ok;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  ConfigTree& target = dry_run.node();
  const std::string path = target.path;
  target = std::move(*value);
  clear_lines(target);
  repath(target, path);
  tree = std::move(scratch);
  return {};
}

}  // namespace faultline::scenario
