// Virtual time: integer nanoseconds, never floating point (DESIGN.md 4.2).
//
// Time is an instant since the start of a run; Duration is a signed span. Both wrap int64
// nanoseconds (292 years of range). DurationRange is the [min, max] a timer or latency is drawn
// from; drivers sample it, nodes never do. Text forms: "150ms", "2s", "1.5s", "250us", "10ns",
// "1m", "0".
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/core/result.h"

namespace faultline {

struct Duration {
  std::int64_t nanoseconds = 0;

  static constexpr Duration from_nanoseconds(std::int64_t n) { return Duration{n}; }
  static constexpr Duration from_microseconds(std::int64_t n) { return Duration{n * 1'000}; }
  static constexpr Duration from_milliseconds(std::int64_t n) { return Duration{n * 1'000'000}; }
  static constexpr Duration from_seconds(std::int64_t n) { return Duration{n * 1'000'000'000}; }

  friend auto operator<=>(const Duration&, const Duration&) = default;
  friend constexpr Duration operator+(Duration a, Duration b) {
    return {a.nanoseconds + b.nanoseconds};
  }
  friend constexpr Duration operator-(Duration a, Duration b) {
    return {a.nanoseconds - b.nanoseconds};
  }
  friend constexpr Duration operator*(Duration a, std::int64_t k) { return {a.nanoseconds * k}; }
  friend constexpr Duration operator/(Duration a, std::int64_t k) { return {a.nanoseconds / k}; }
};

struct Time {
  std::int64_t nanoseconds = 0;

  friend auto operator<=>(const Time&, const Time&) = default;
  friend constexpr Time operator+(Time t, Duration d) { return {t.nanoseconds + d.nanoseconds}; }
  friend constexpr Time operator-(Time t, Duration d) { return {t.nanoseconds - d.nanoseconds}; }
  friend constexpr Duration operator-(Time a, Time b) { return {a.nanoseconds - b.nanoseconds}; }
};

struct DurationRange {
  Duration min;
  Duration max;
  friend bool operator==(const DurationRange&, const DurationRange&) = default;
  static constexpr DurationRange exactly(Duration d) { return {d, d}; }
};

namespace literals {
constexpr Duration operator""_ns(unsigned long long n) {
  return Duration::from_nanoseconds(static_cast<std::int64_t>(n));
}
constexpr Duration operator""_us(unsigned long long n) {
  return Duration::from_microseconds(static_cast<std::int64_t>(n));
}
constexpr Duration operator""_ms(unsigned long long n) {
  return Duration::from_milliseconds(static_cast<std::int64_t>(n));
}
constexpr Duration operator""_s(unsigned long long n) {
  return Duration::from_seconds(static_cast<std::int64_t>(n));
}
}  // namespace literals

// Parses "150ms", "1.5s", "250us", "10ns", "2m", "0". Rejects negatives, missing units
// (except "0"), unknown units and values that overflow int64 nanoseconds.
Result<Duration> parse_duration(std::string_view text);

// An exact text form in the largest unit reached: 1500ms -> "1.5s", 1234567ns -> "1.234567ms", 0 ->
// "0s".
std::string format_duration(Duration d);
inline std::string format_time(Time t) { return format_duration(Duration{t.nanoseconds}); }

}  // namespace faultline
