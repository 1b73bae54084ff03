#include "sim/core/time.h"

#include <array>
#include <limits>

#include "sim/core/int128.h"

namespace faultline {

namespace {
struct Unit {
  std::string_view suffix;
  std::int64_t nanoseconds;
};
// Longest suffix first so "ms" is not read as "m" + garbage.
constexpr std::array<Unit, 6> kUnits{{{"ns", 1},
                                      {"us", 1'000},
                                      {"ms", 1'000'000},
                                      {"s", 1'000'000'000},
                                      {"m", 60'000'000'000},
                                      {"h", 3'600'000'000'000}}};
}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return fail("expected a duration like 150ms, 2s or 1.5s, got '" + std::string(text) + "'");
  };
  if (text.empty()) return bad();
  if (text == "0") return Duration{};
  if (text.front() == '-')
    return fail("duration must not be negative, got '" + std::string(text) + "'");
  std::size_t digits_end = 0;
  while (digits_end < text.size() &&
         ((text[digits_end] >= '0' && text[digits_end] <= '9') || text[digits_end] == '.'))
    ++digits_end;
  const std::string_view number = text.substr(0, digits_end);
  const std::string_view suffix = text.substr(digits_end);
  if (number.empty() || number.front() == '.' || number.back() == '.') return bad();
  const Unit* unit = nullptr;
  for (const Unit& u : kUnits)
    if (u.suffix == suffix) unit = &u;
  if (unit == nullptr) return bad();

  // Exact decimal arithmetic: integer part * unit + fraction * unit, no floating point.
  std::int64_t whole = 0;
  std::int64_t fraction_numerator = 0;
  std::int64_t fraction_denominator = 1;
  bool seen_point = false;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  for (char c : number) {
    if (c == '.') {
      if (seen_point) return bad();
      seen_point = true;
      continue;
    }
    const int digit = c - '0';
    if (!seen_point) {
      if (whole > (kMax - digit) / 10)
        return fail("duration '" + std::string(text) + "' is too large");
      whole = whole * 10 + digit;
    } else {
      if (fraction_denominator > kMax / 10)
        return fail("duration '" + std::string(text) + "' has too many decimals");
      fraction_numerator = fraction_numerator * 10 + digit;
      fraction_denominator *= 10;
    }
  }
  if (whole > kMax / unit->nanoseconds)
    return fail("duration '" + std::string(text) + "' is too large");
  const int128 fraction_ns = static_cast<int128>(fraction_numerator) * unit->nanoseconds;
  if (fraction_ns % fraction_denominator != 0)
    return fail("duration '" + std::string(text) + "' is finer than one nanosecond");
  return Duration{whole * unit->nanoseconds +
                  static_cast<std::int64_t>(fraction_ns / fraction_denominator)};
}

std::string format_duration(Duration d) {
  std::string sign;
  std::int64_t n = d.nanoseconds;
  if (n < 0) {
    sign = "-";
    n = -n;
  }
  if (n == 0) return "0s";
  // The largest unit the value reaches, with exactly as many decimals as it needs.
  struct Choice {
    std::string_view suffix;
    std::int64_t scale;
    int digits;
  };
  constexpr std::array<Choice, 4> kChoices{
      {{"s", 1'000'000'000, 9}, {"ms", 1'000'000, 6}, {"us", 1'000, 3}, {"ns", 1, 0}}};
  for (const Choice& c : kChoices) {
    if (n < c.scale) continue;
    std::string text = sign + std::to_string(n / c.scale);
    if (const std::int64_t rest = n % c.scale; rest != 0) {
      std::string decimals = std::to_string(rest);
      decimals = std::string(static_cast<std::size_t>(c.digits) - decimals.size(), '0') + decimals;
      while (decimals.back() == '0') decimals.pop_back();
      text += "." + decimals;
    }
    return text + std::string(c.suffix);
  }
  return sign + std::to_string(n) + "ns";
}

}  // namespace faultline
