// The scenario reader's value readers: scalars, durations, identifiers, latency models, link
// settings and expectation bounds, each read from one ConfigTree node. Every error comes from
// the node it is about, so it carries that node's key path and line. Used by parse.cc only.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/scenario/names.h"
#include "sim/scenario/parse.h"
#include "sim/scenario/parse_detail.h"

namespace faultline::scenario::values {

using Kind = ConfigTree::Kind;
using Keys = std::span<const std::string_view>;

constexpr std::string_view kSelectorKeywords[] = {"all", "rest", "any"};
constexpr std::string_view kLinkSettingKeys[] = {"latency", "drop", "duplicate", "reorder",
                                                 "queue_capacity"};
constexpr std::string_view kFaultActions[] = {"crash",   "restart",   "pause",   "resume",
                                              "isolate", "partition", "one_way", "heal",
                                              "network", "clog",      "flap",    "input"};
constexpr std::string_view kStatistics[] = {"min", "p50", "p90", "p99", "max", "count"};
constexpr std::string_view kLatencyShapes[] = {"fixed", "uniform", "exponential", "pareto",
                                               "bimodal"};

inline std::string join(Keys words) {
  std::string text;
  for (std::string_view word : words) text += (text.empty() ? "" : ", ") + std::string(word);
  return text;
}
inline bool contains(Keys words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

inline std::string kind_name(const ConfigTree& node) {
  return std::string(detail::describe_kind(node.kind));
}

template <class T>
Result<T> decode(const ConfigTree& node) {
  T value{};
  if (auto ok = decode_config(node, value); !ok) return std::unexpected(ok.error());
  return value;
}

// A map whose keys are all in `accepted`; null ("key:" with nothing) counts as an empty map.
inline Result<void> expect_map(const ConfigTree& node, Keys accepted) {
  if (node.kind == Kind::null) return {};
  if (node.kind != Kind::map)
    return node.error("expected a map with keys " + join(accepted) + ", got a " + kind_name(node));
  for (const auto& [key, value] : node.entries)
    if (!contains(accepted, key))
      return value.error("unknown key " + quote(key) + " (expected one of: " + join(accepted) +
                         ")");
  return {};
}

inline Result<void> expect_map(const ConfigTree& node,
                               std::initializer_list<std::string_view> accepted) {
  return expect_map(node, Keys(accepted.begin(), accepted.size()));
}

inline std::unexpected<Error> missing(const ConfigTree& map, std::string_view key) {
  return fail(join_path(map.path, key), map.line,
              "required key '" + std::string(key) + "' is missing");
}

inline Result<const ConfigTree*> require(const ConfigTree& map, std::string_view key) {
  if (const ConfigTree* found = map.find(key)) return found;
  return missing(map, key);
}

// Decodes map[key] into `out` when the key is present; otherwise `out` keeps its default.
template <class T>
Result<void> decode_if_present(const ConfigTree& map, std::string_view key, T& out) {
  const ConfigTree* found = map.find(key);
  return found == nullptr ? Result<void>{} : decode_config(*found, out);
}

// Reads map[key] with `read`, or fails naming the missing key.
template <class Read>
auto read_required(const ConfigTree& map, std::string_view key, Read&& read)
    -> decltype(read(map)) {
  const ConfigTree* found = map.find(key);
  if (found == nullptr) return missing(map, key);
  return read(*found);
}

inline Result<std::string> read_text(const ConfigTree& node, std::string_view what) {
  if (node.kind != Kind::scalar)
    return node.error("expected " + std::string(what) + ", got a " + kind_name(node));
  if (node.scalar.empty())
    return node.error("expected " + std::string(what) + ", got an empty string");
  return node.scalar;
}

// A section as given, or a null node carrying the path it would have had.
inline ConfigTree section(const ConfigTree& parent, std::string_view key) {
  if (const ConfigTree* found = parent.find(key)) return *found;
  ConfigTree absent;
  absent.path = join_path(parent.path, key);
  absent.line = parent.line;
  return absent;
}

// The keys a scenario and a swarm profile open with.
struct DocumentHeader {
  std::string name;
  std::string protocol;
  std::string description;  // "" when absent or null
};

// name and protocol (required, text) and description (optional text) of the document `root`;
// `name_what` says what the name is ("a scenario name").
inline Result<DocumentHeader> read_document_header(const ConfigTree& root,
                                                   std::string_view name_what) {
  DocumentHeader header;
  auto name =
      read_required(root, "name", [&](const ConfigTree& n) { return read_text(n, name_what); });
  if (!name) return std::unexpected(name.error());
  header.name = *name;
  auto protocol = read_required(
      root, "protocol", [](const ConfigTree& n) { return read_text(n, "a protocol name"); });
  if (!protocol) return std::unexpected(protocol.error());
  header.protocol = *protocol;
  const ConfigTree* description = root.find("description");
  if (description == nullptr || description->kind == Kind::null) return header;
  if (description->kind != Kind::scalar)
    return description->error("expected text, got a " + kind_name(*description));
  header.description = description->scalar;
  return header;
}

inline Result<Duration> read_positive_duration(const ConfigTree& node) {
  auto d = decode<Duration>(node);
  if (d && d->nanoseconds <= 0) return node.error("must be greater than 0");
  return d;
}

inline bool is_identifier(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Network settings (shared by `network:`, `network.links[i]` and the `network:` fault).

inline Result<LatencyModel> read_pareto(const ConfigTree& node) {
  if (auto ok = expect_map(node, {"scale", "shape", "cap"}); !ok)
    return std::unexpected(ok.error());
  LatencyModel model{.shape = LatencyModel::Shape::pareto};
  auto scale =
      read_required(node, "scale", [](const ConfigTree& n) { return read_positive_duration(n); });
  if (!scale) return std::unexpected(scale.error());
  auto cap = read_required(node, "cap", [](const ConfigTree& n) { return decode<Duration>(n); });
  if (!cap) return std::unexpected(cap.error());
  if (*cap < *scale)
    return node.find("cap")->error("cap " + format_duration(*cap) + " is below scale " +
                                   format_duration(*scale));
  model.low = *scale;
  model.high = *cap;
  if (const ConfigTree* shape = node.find("shape")) {
    if (shape->kind != Kind::scalar)
      return shape->error("expected a ratio like 3/2 or 1.5, got a " + kind_name(*shape));
    auto ratio = parse_ratio(shape->scalar);
    if (!ratio) return shape->error(ratio.error().what);
    if (ratio->is_zero()) return shape->error("must be greater than 0");
    model.pareto_shape = *ratio;
  }
  return model;
}

// `bimodal: { fast: 10ms, slow: 1s, slow_chance: 1/100 }`: each message takes `slow` with that
// chance and `fast` otherwise (a server that stalls now and then: The Tail at Scale).
inline Result<LatencyModel> read_bimodal(const ConfigTree& node) {
  if (auto ok = expect_map(node, {"fast", "slow", "slow_chance"}); !ok)
    return std::unexpected(ok.error());
  LatencyModel model{.shape = LatencyModel::Shape::bimodal};
  auto fast = read_required(node, "fast", [](const ConfigTree& n) { return decode<Duration>(n); });
  if (!fast) return std::unexpected(fast.error());
  auto slow = read_required(node, "slow", [](const ConfigTree& n) { return decode<Duration>(n); });
  if (!slow) return std::unexpected(slow.error());
  if (*slow < *fast)
    return node.find("slow")->error("slow " + format_duration(*slow) + " is below fast " +
                                    format_duration(*fast));
  const ConfigTree* chance = node.find("slow_chance");
  if (chance == nullptr) return node.error("missing key 'slow_chance'");
  auto ratio = decode<Ratio>(*chance);
  if (!ratio) return std::unexpected(ratio.error());
  model.low = *fast;
  model.high = *slow;
  model.slow_chance = *ratio;
  return model;
}

inline Result<LatencyModel> read_latency(const ConfigTree& node) {
  if (auto ok = expect_map(node, kLatencyShapes); !ok) return std::unexpected(ok.error());
  if (node.entries.size() != 1)
    return node.error("expected exactly one latency model (" + join(kLatencyShapes) +
                      "), like { uniform: [1ms, 10ms] }");
  const auto& [shape, body] = node.entries.front();
  if (shape == "pareto") return read_pareto(body);
  if (shape == "bimodal") return read_bimodal(body);
  LatencyModel model;
  if (shape == "uniform") {
    auto range = decode<DurationRange>(body);
    if (!range) return std::unexpected(range.error());
    model.low = range->min;
    model.high = range->max;
    return model;
  }
  // fixed: the value; exponential: the mean. `high` mirrors `low` so equal models compare equal.
  auto value = shape == "fixed" ? decode<Duration>(body) : read_positive_duration(body);
  if (!value) return std::unexpected(value.error());
  model.shape = shape == "fixed" ? LatencyModel::Shape::fixed : LatencyModel::Shape::exponential;
  model.low = *value;
  model.high = *value;
  return model;
}

inline Result<std::uint32_t> read_queue_capacity(const ConfigTree& node) {
  auto capacity = decode<std::uint32_t>(node);
  if (capacity && *capacity == 0) return node.error("must be at least 1 message");
  return capacity;
}

// Reads whichever of the five link settings are present; the caller has checked the keys.
inline Result<LinkSettings> read_link_settings(const ConfigTree& node) {
  LinkSettings settings;
  if (const ConfigTree* n = node.find("latency")) {
    auto latency = read_latency(*n);
    if (!latency) return std::unexpected(latency.error());
    settings.latency = *latency;
  }
  const std::pair<std::string_view, std::optional<Ratio>*> ratios[] = {
      {"drop", &settings.drop}, {"duplicate", &settings.duplicate}, {"reorder", &settings.reorder}};
  for (const auto& [key, slot] : ratios) {
    const ConfigTree* n = node.find(key);
    if (n == nullptr) continue;
    auto ratio = decode<Ratio>(*n);
    if (!ratio) return std::unexpected(ratio.error());
    *slot = *ratio;
  }
  if (const ConfigTree* n = node.find("queue_capacity")) {
    auto capacity = read_queue_capacity(*n);
    if (!capacity) return std::unexpected(capacity.error());
    settings.queue_capacity = *capacity;
  }
  return settings;
}

inline bool has_any_setting(const LinkSettings& s) {
  return s.latency || s.drop || s.duplicate || s.reorder || s.queue_capacity;
}

// ---------------------------------------------------------------------------------------------
// Expectations: "< 600ms", ">= 3".

inline Result<Expectation> read_bound(const ConfigTree& node, std::string metric,
                                      std::string statistic) {
  Expectation e{.metric = std::move(metric),
                .statistic = std::move(statistic),
                .path = node.path,
                .line = node.line};
  const auto bad = [&] {
    return node.error(
        "expected a bound like \"< 600ms\" (operators <, <=, >, >=; count takes a plain integer), "
        "got " +
        quote(node.scalar));
  };
  if (node.kind != Kind::scalar)
    return node.error("expected a bound like \"< 600ms\", got a " + kind_name(node));
  std::string_view text = node.scalar;
  constexpr std::pair<std::string_view, Expectation::Comparison> kOperators[] = {
      {"<=", Expectation::Comparison::less_equal},
      {">=", Expectation::Comparison::greater_equal},
      {"<", Expectation::Comparison::less},
      {">", Expectation::Comparison::greater}};
  const auto op =
      std::find_if(std::begin(kOperators), std::end(kOperators),
                   [&](const auto& candidate) { return text.starts_with(candidate.first); });
  if (op == std::end(kOperators)) return bad();
  e.comparison = op->second;
  text.remove_prefix(op->first.size());
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (e.statistic == "count") {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), e.bound);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || e.bound < 0)
      return bad();
    return e;
  }
  auto duration = parse_duration(text);
  // parse_duration quotes the text after the operator in full: a long one gets `bad`'s cut quote.
  if (!duration) return text.size() > kQuoteMax ? bad() : node.error(duration.error().what);
  e.bound = duration->nanoseconds;
  return e;
}

}  // namespace faultline::scenario::values
