#include "tests/support/golden.h"

#include <charconv>
#include <limits>

#include "sim/core/assert.h"

namespace faultline::golden {

namespace {

// Whether `after` is the describe() text of the list `before` with items added at its end.
bool grew_at_end(const std::string& before, const std::string& after) {
  if (before.size() < 2 || before.front() != '[' || before.back() != ']') return false;
  if (after.size() <= before.size() || after.back() != ']') return false;
  if (before == "[]") return true;
  const std::size_t open = before.size() - 1;  // `before` without its closing bracket
  return after.compare(0, open, before, 0, open) == 0 && after.compare(open, 2, ", ") == 0;
}

}  // namespace

Result<std::string> join_fields(const std::vector<FieldText>& fields,
                                const std::vector<std::string>& selected) {
  std::string text;
  const auto add = [&](const FieldText& field) {
    text += (text.empty() ? "" : ", ") + field.name + "=" + field.text;
  };
  if (selected.empty()) {
    for (const FieldText& field : fields) add(field);
    return text;
  }
  for (const std::string& name : selected) {
    const FieldText* found = nullptr;
    for (const FieldText& field : fields)
      if (field.name == name) found = &field;
    if (found == nullptr) {
      std::string names;
      for (const FieldText& field : fields) names += (names.empty() ? "" : ", ") + field.name;
      return fail("no field '" + name + "' (fields: " + names + ")");
    }
    add(*found);
  }
  return text;
}

std::string persist_change(const std::optional<std::vector<FieldText>>& before,
                           const std::vector<FieldText>& after) {
  if (!before) return *join_fields(after, {});
  FL_ASSERT(before->size() == after.size(), "one field list for every value of a type");
  std::string text;
  for (std::size_t i = 0; i < after.size(); ++i) {
    const std::string& old_text = (*before)[i].text;
    const std::string& new_text = after[i].text;
    if (old_text == new_text) continue;
    text += text.empty() ? "" : ", ";
    if (grew_at_end(old_text, new_text))
      text += after[i].name + "+=[" + new_text.substr(old_text == "[]" ? 1 : old_text.size() + 1);
    else
      text += after[i].name + "=" + new_text;
  }
  return text.empty() ? "(no change)" : text;
}

Result<std::uint32_t> parse_node(std::string_view word, std::uint32_t node_count) {
  std::uint32_t index = 0;
  const char* end = word.data() + word.size();
  if (word.size() < 2 || word[0] != 'n' || std::from_chars(word.data() + 1, end, index).ptr != end)
    return fail("expected a node like n0, got '" + std::string(word) + "'");
  if (index >= node_count)
    return fail(std::string(word) + " is outside the cluster of " + std::to_string(node_count));
  return index;
}

Result<std::size_t> parse_count(std::string_view word, std::size_t fallback) {
  if (word.empty()) return fallback;
  if (word == "all") return std::numeric_limits<std::size_t>::max();
  std::size_t count = 0;
  const char* end = word.data() + word.size();
  if (std::from_chars(word.data(), end, count).ptr != end || count == 0)
    return fail("expected a count like 2 or all, got '" + std::string(word) + "'");
  return count;
}

}  // namespace faultline::golden
