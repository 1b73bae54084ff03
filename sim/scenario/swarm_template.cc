// Draw expressions in a profile's templates, `{ one_of: [...] }` and `{ range: [low, high] }`,
// and the Drawer that resolves them from a seed or for a probe.
//
// A range's type comes from its bounds: durations when either has a unit, ratios when either is
// written with '%', '/' or a decimal point, else whole numbers. Durations are drawn in whole
// milliseconds when both bounds are (else microseconds, else nanoseconds), ratios in steps of
// 1/10000, so a drawn value is short to read and exact to write back.
#include <charconv>
#include <string>
#include <string_view>

#include "sim/core/assert.h"
#include "sim/core/int128.h"
#include "sim/scenario/names.h"
#include "sim/scenario/parse_detail.h"
#include "sim/scenario/swarm.h"
#include "sim/scenario/swarm_detail.h"

namespace faultline::scenario {

namespace {

using Kind = ConfigTree::Kind;

constexpr std::int64_t kRatioSteps = 10'000;  // a drawn ratio is a whole number of 1/10000

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

bool looks_like_ratio(std::string_view text) {
  return text.find_first_of("%/.") != std::string_view::npos;
}

// The bound's value in the range's unit: nanoseconds, steps of 1/10000, or itself.
Result<std::int64_t> bound_value(const ConfigTree& bound, RangeBounds::Type type) {
  if (bound.kind != Kind::scalar)
    return bound.error("expected a number, duration or ratio as a range bound, got a " +
                       std::string(detail::describe_kind(bound.kind)));
  const std::string& text = bound.scalar;
  if (type == RangeBounds::Type::duration) {
    auto d = parse_duration(text);
    if (!d) return bound.error(d.error().what);
    return d->nanoseconds;
  }
  if (type == RangeBounds::Type::ratio) {
    auto r = parse_ratio(text);
    if (!r) return bound.error(r.error().what);
    const uint128 scaled = static_cast<uint128>(r->numerator) * kRatioSteps;
    if (scaled % r->denominator != 0 || scaled / r->denominator > (uint128{1} << 62))
      return bound.error("a ratio range is drawn in steps of 1/10000 (0.01%); " + quote(text) +
                         " is not a whole number of them");
    return static_cast<std::int64_t>(scaled / r->denominator);
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!all_digits(text) || ec != std::errc{} || end != text.data() + text.size())
    return bound.error(
        "expected a whole number >= 0, a duration like 150ms or a ratio like 5%, "
        "got " +
        quote(text));
  return value;
}

// "1.25%" (when the profile wrote percents) or "0.0125": exact, as parse_ratio reads it back.
std::string ratio_text(std::int64_t steps, bool percent) {
  const std::int64_t unit = percent ? kRatioSteps / 100 : kRatioSteps;
  std::string text = std::to_string(steps / unit);
  if (std::int64_t rest = steps % unit; rest != 0) {
    std::string decimals = std::to_string(rest);
    const std::size_t width = percent ? 2 : 4;
    decimals = std::string(width - decimals.size(), '0') + decimals;
    while (decimals.back() == '0') decimals.pop_back();
    text += "." + decimals;
  }
  return percent ? text + "%" : text;
}

}  // namespace

Result<RangeBounds> read_range(const ConfigTree& expr) {
  const ConfigTree& list = expr.entries.front().second;
  if (list.kind != Kind::list || list.items.size() != 2)
    return list.error("expected [low, high], like { range: [1ms, 10ms] } or { range: [1, 5] }");
  const std::string& low = list.items[0].scalar;
  const std::string& high = list.items[1].scalar;
  const auto has_unit = [](const std::string& t) { return !all_digits(t) && parse_duration(t); };
  RangeBounds range;
  range.percent = low.ends_with('%') || high.ends_with('%');
  if (has_unit(low) || has_unit(high))
    range.type = RangeBounds::Type::duration;
  else if (looks_like_ratio(low) || looks_like_ratio(high))
    range.type = RangeBounds::Type::ratio;
  auto low_value = bound_value(list.items[0], range.type);
  if (!low_value) return std::unexpected(low_value.error());
  auto high_value = bound_value(list.items[1], range.type);
  if (!high_value) return std::unexpected(high_value.error());
  if (*high_value < *low_value)
    return list.error("range low " + quote(low) + " is above high " + quote(high));
  range.low = *low_value;
  range.high = *high_value;
  range.step = 1;
  if (range.type == RangeBounds::Type::duration)
    for (const std::int64_t step : {std::int64_t{1'000'000}, std::int64_t{1'000}})
      if (range.low % step == 0 && range.high % step == 0) {
        range.step = step;
        break;
      }
  return range;
}

std::string range_value_text(const RangeBounds& range, std::int64_t value) {
  switch (range.type) {
    case RangeBounds::Type::duration: return format_duration(Duration{value});
    case RangeBounds::Type::ratio: return ratio_text(value, range.percent);
    case RangeBounds::Type::integer: return std::to_string(value);
  }
  return std::to_string(value);
}

bool is_draw_expression(const ConfigTree& node) {
  return node.kind == Kind::map && !node.entries.empty() &&
         (node.find("one_of") != nullptr || node.find("range") != nullptr);
}

Result<void> check_template(const ConfigTree& node) {
  if (is_draw_expression(node)) {
    if (node.entries.size() != 1)
      return node.entries[1].second.error(
          "a draw expression has one key, one_of or range, like { one_of: [3, 5] }");
    const auto& [key, body] = node.entries.front();
    if (key == "range") {
      auto range = read_range(node);
      return range ? Result<void>{} : std::unexpected(range.error());
    }
    if (body.kind != Kind::list || body.items.empty())
      return body.error("expected a non-empty list of choices, like { one_of: [3, 5] }");
  }
  for (const ConfigTree& item : node.items)
    if (auto ok = check_template(item); !ok) return ok;
  for (const auto& entry : node.entries)
    if (auto ok = check_template(entry.second); !ok) return ok;
  return {};
}

Drawer Drawer::stream(std::string_view name) const {
  if (rng_) return Drawer(rng_->fork(name));
  return Drawer(points_, probe_path_, probe_alternative_);
}

std::uint64_t Drawer::below(std::uint64_t bound) {
  FL_ASSERT(bound > 0, "Drawer::below needs a positive bound");
  return rng_ ? rng_->below(bound) : 0;
}

std::uint32_t Drawer::alternative(const ConfigTree& point, std::uint32_t count) {
  if (rng_) return static_cast<std::uint32_t>(rng_->below(count));
  points_->emplace(point.path, count);
  return point.path == probe_path_ && probe_alternative_ < count ? probe_alternative_ : 0;
}

Result<ConfigTree> Drawer::resolve_range(const ConfigTree& expr) {
  auto range = read_range(expr);
  if (!range) return std::unexpected(range.error());
  std::int64_t value = range->low;
  if (rng_) {
    const std::int64_t steps = (range->high - range->low) / range->step;
    value = range->low + rng_->between(0, steps) * range->step;
  } else if (alternative(expr, range->low == range->high ? 1 : 2) == 1) {
    value = range->high;
  }
  ConfigTree scalar;
  scalar.kind = Kind::scalar;
  scalar.scalar = range_value_text(*range, value);
  scalar.path = expr.path;
  scalar.line = expr.line;
  return scalar;
}

Result<ConfigTree> Drawer::resolve(const ConfigTree& tmpl) {
  if (is_draw_expression(tmpl)) {
    if (auto ok = check_template(tmpl); !ok) return std::unexpected(ok.error());
    if (tmpl.find("range") != nullptr) return resolve_range(tmpl);
    const ConfigTree& choices = tmpl.entries.front().second;
    const auto count = static_cast<std::uint32_t>(choices.items.size());
    return resolve(choices.items[alternative(tmpl, count)]);
  }
  ConfigTree out = tmpl;
  for (ConfigTree& item : out.items) {
    auto resolved = resolve(item);
    if (!resolved) return resolved;
    item = std::move(*resolved);
  }
  for (auto& entry : out.entries) {
    auto resolved = resolve(entry.second);
    if (!resolved) return resolved;
    entry.second = std::move(*resolved);
  }
  return out;
}

}  // namespace faultline::scenario
