// Names a scenario uses that only the protocol knows (its checks, its metrics), checked against
// what the protocol's binding declares, with "did you mean" for a near miss; and how messages
// quote what the user wrote, cut to a readable length.
//
// Used at load time by every command that reads a scenario (lint, run, replay, check), so a
// misspelt `expect: { failovr: ... }` is an error with its line before anything runs, not a
// failure of every seed.
// Invariants: every error carries the key path and line of the name it is about; a quoted value
// is at most kQuoteMax bytes of the original plus its length.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sim/core/config_tree.h"
#include "sim/core/result.h"
#include "sim/scenario/scenario.h"

namespace faultline::scenario {

inline constexpr std::size_t kQuoteMax = 80;

// excerpt(value, kQuoteMax) (sim/core/text.h): at most kQuoteMax bytes, then "... (N bytes)".
std::string cut_value(std::string_view value);
// cut_value in single quotes: 'failovr'.
std::string quote(std::string_view value);

// The candidate nearest to `word` by edit distance (insertions, deletions, substitutions and
// swaps of neighbours), if it is within 1 edit for words of up to 4 characters, 2 up to 8, and 3
// beyond; the first such candidate on a tie. Nothing for words longer than 64 characters.
std::optional<std::string> nearest_name(std::string_view word,
                                        std::span<const std::string> candidates);

// "unknown check 'x'; did you mean 'y'? (expected one of: a, b)": `what` names the kind of name,
// `list_intro` introduces the list of known names.
std::string unknown_name(std::string_view what, std::string_view word,
                         std::span<const std::string> known,
                         std::string_view list_intro = "expected one of");

// Every `checks:` entry names one of `known` (the protocol's properties and history checks).
Result<void> check_check_names(const Scenario& scenario, std::span<const std::string> known);
// Every `expect:` metric names one of `known` (the protocol's metrics and the simulator's own).
Result<void> check_metric_names(const Scenario& scenario, std::span<const std::string> known);

// Why a metric can have no sample in a scenario (nullopt: it may have some); from the binding.
using WhyNoSamples = std::function<std::optional<std::string>(std::string_view metric)>;
// No expectation needs a sample of a metric that cannot have one: every statistic but `count`
// needs a sample, and so does a count bound that 0 does not meet (`count: ">= 1"`).
Result<void> check_metric_samples(const Scenario& scenario, const WhyNoSamples& why_no_samples);

// Cuts every value longer than kQuoteMax in `error` (its where and what) that is the scalar, the
// key, or a key of the entries of the node of `tree` at `error.where`: the values decoders
// quote in full ("got '<2 MB>'").
Error shorten_values(Error error, const ConfigTree& tree);

}  // namespace faultline::scenario
