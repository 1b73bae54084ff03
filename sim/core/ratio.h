// Ratio: an exact rational probability or fraction (DESIGN.md 4.3: no floats in decisions).
//
// Invariant: denominator > 0. A probability additionally has numerator <= denominator.
// Text forms: "1/100", "0.05", "5%", "0", "1".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/core/int128.h"
#include "sim/core/result.h"

namespace faultline {

struct Ratio {
  std::uint64_t numerator = 0;
  std::uint64_t denominator = 1;

  static constexpr Ratio zero() { return {0, 1}; }
  static constexpr Ratio one() { return {1, 1}; }
  constexpr bool is_zero() const { return numerator == 0; }

  // Exact comparison by cross-multiplication in 128 bits.
  friend constexpr bool operator==(const Ratio& a, const Ratio& b) {
    return static_cast<uint128>(a.numerator) * b.denominator ==
           static_cast<uint128>(b.numerator) * a.denominator;
  }
  friend constexpr bool operator<(const Ratio& a, const Ratio& b) {
    return static_cast<uint128>(a.numerator) * b.denominator <
           static_cast<uint128>(b.numerator) * a.denominator;
  }
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("numerator", self.numerator);
    visit("denominator", self.denominator);
  }
};

// Parses any ratio form; fails on a zero denominator or garbage.
Result<Ratio> parse_ratio(std::string_view text);
// As parse_ratio, and also requires the value to be at most 1.
Result<Ratio> parse_probability(std::string_view text);
// "1/100"; whole numbers print as "3".
std::string format_ratio(Ratio r);

}  // namespace faultline
