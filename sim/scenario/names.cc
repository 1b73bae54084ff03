// Checks of protocol-declared names, "did you mean", and value quoting (names.h).
#include "sim/scenario/names.h"

#include "sim/core/text.h"

#include <algorithm>
#include <vector>

namespace faultline::scenario {

namespace {

constexpr std::size_t kSuggestMax = 64;  // longer words get no suggestion (and no quadratic work)

// Optimal string alignment distance: edits of one character, and swaps of two neighbours.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string join(std::span<const std::string> words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : ", ") + word;
  return text;
}

// The node of `tree` whose path is `path`, with the key it sits under ("" for list items and
// the root).
const ConfigTree* find_node(const ConfigTree& tree, std::string_view path, std::string_view key,
                            std::string_view& found_key) {
  if (tree.path == path) {
    found_key = key;
    return &tree;
  }
  for (const ConfigTree& item : tree.items)
    if (const ConfigTree* found = find_node(item, path, "", found_key)) return found;
  for (const auto& [entry_key, value] : tree.entries)
    if (const ConfigTree* found = find_node(value, path, entry_key, found_key)) return found;
  return nullptr;
}

void replace_all(std::string& text, std::string_view value, const std::string& replacement) {
  for (std::size_t at = text.find(value); at != std::string::npos;
       at = text.find(value, at + replacement.size())) {
    text.replace(at, value.size(), replacement);
  }
}

// A count bound 0 meets (`< 1`, `<= 5`, `>= 0`) holds with no samples; nothing else does.
bool met_without_samples(const Expectation& e) {
  if (e.statistic != "count") return false;
  using C = Expectation::Comparison;
  switch (e.comparison) {
    case C::less: return e.bound > 0;
    case C::less_equal: return true;
    case C::greater: return false;
    case C::greater_equal: return e.bound == 0;
  }
  return false;
}

}  // namespace

std::string cut_value(std::string_view value) { return excerpt(value, kQuoteMax); }

std::string quote(std::string_view value) { return "'" + cut_value(value) + "'"; }

std::optional<std::string> nearest_name(std::string_view word,
                                        std::span<const std::string> candidates) {
  if (word.empty() || word.size() > kSuggestMax) return std::nullopt;
  const std::size_t allowed = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    if (candidate.size() > word.size() + allowed || word.size() > candidate.size() + allowed)
      continue;
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string unknown_name(std::string_view what, std::string_view word,
                         std::span<const std::string> known, std::string_view list_intro) {
  std::string text = "unknown " + std::string(what) + " " + quote(word);
  if (const auto near = nearest_name(word, known)) text += "; did you mean '" + *near + "'?";
  return text + " (" + std::string(list_intro) + ": " + join(known) + ")";
}

Result<void> check_check_names(const Scenario& scenario, std::span<const std::string> known) {
  for (std::size_t i = 0; i < scenario.checks.size(); ++i) {
    if (std::ranges::find(known, scenario.checks[i]) != known.end()) continue;
    const int line = i < scenario.check_lines.size() ? scenario.check_lines[i] : 0;
    return fail("checks[" + std::to_string(i) + "]", line,
                unknown_name("check", scenario.checks[i], known));
  }
  return {};
}

Result<void> check_metric_names(const Scenario& scenario, std::span<const std::string> known) {
  for (const Expectation& e : scenario.expectations) {
    if (std::ranges::find(known, e.metric) != known.end()) continue;
    return fail("expect." + e.metric, e.metric_line != 0 ? e.metric_line : e.line,
                unknown_name("metric", e.metric, known, scenario.protocol + " reports"));
  }
  return {};
}

Result<void> check_metric_samples(const Scenario& scenario, const WhyNoSamples& why_no_samples) {
  for (const Expectation& e : scenario.expectations) {
    if (met_without_samples(e)) continue;
    const auto why = why_no_samples(e.metric);
    if (!why) continue;
    return fail(e.path, e.line,
                e.metric + " can have no samples in this scenario (" + *why + "), so this " +
                    e.statistic + " bound fails every seed");
  }
  return {};
}

Error shorten_values(Error error, const ConfigTree& tree) {
  if (error.what.size() <= kQuoteMax && error.where.size() <= kQuoteMax) return error;
  std::string_view key;
  const ConfigTree* node = find_node(tree, error.where, "", key);
  if (node == nullptr) return error;
  std::vector<std::string_view> values{node->scalar, key};
  for (const auto& entry : node->entries) values.push_back(entry.first);
  for (std::string_view value : values) {
    if (value.size() <= kQuoteMax) continue;
    const std::string cut = cut_value(value);
    replace_all(error.what, value, cut);
    replace_all(error.where, value, cut);
  }
  return error;
}

}  // namespace faultline::scenario
