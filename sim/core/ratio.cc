#include "sim/core/ratio.h"

#include <charconv>
#include <limits>

namespace faultline {

namespace {
bool parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size();
}
}  // namespace

Result<Ratio> parse_ratio(std::string_view text) {
  const auto bad = [&] {
    return fail("expected a ratio like 1/100, 0.05 or 5%, got '" + std::string(text) + "'");
  };
  if (text.empty()) return bad();
  if (text.front() == '-')
    return fail("ratio must not be negative, got '" + std::string(text) + "'");
  Ratio r;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    if (!parse_u64(text.substr(0, slash), r.numerator) ||
        !parse_u64(text.substr(slash + 1), r.denominator))
      return bad();
    if (r.denominator == 0) return fail("ratio '" + std::string(text) + "' has a zero denominator");
    return r;
  }
  std::string_view number = text;
  std::uint64_t scale = 1;
  if (number.back() == '%') {
    number.remove_suffix(1);
    scale = 100;
  }
  const auto point = number.find('.');
  const std::string_view whole = number.substr(0, point);
  const std::string_view decimals =
      point == std::string_view::npos ? std::string_view{} : number.substr(point + 1);
  if (whole.empty() && decimals.empty()) return bad();
  if (point != std::string_view::npos && decimals.empty()) return bad();
  if (decimals.size() > 15) return fail("ratio '" + std::string(text) + "' has too many decimals");
  std::uint64_t whole_value = 0;
  std::uint64_t decimals_value = 0;
  if (!whole.empty() && !parse_u64(whole, whole_value)) return bad();
  if (!decimals.empty() && !parse_u64(decimals, decimals_value)) return bad();
  std::uint64_t denominator = scale;
  for (std::size_t i = 0; i < decimals.size(); ++i) denominator *= 10;
  const std::uint64_t decimal_unit = denominator / scale;
  if (whole_value > std::numeric_limits<std::uint64_t>::max() / denominator)
    return fail("ratio '" + std::string(text) + "' is too large");
  r.numerator = whole_value * decimal_unit + decimals_value;
  r.denominator = denominator;
  return r;
}

Result<Ratio> parse_probability(std::string_view text) {
  auto r = parse_ratio(text);
  if (!r) return r;
  if (r->numerator > r->denominator)
    return fail("probability must be at most 1, got '" + std::string(text) + "'");
  return r;
}

std::string format_ratio(Ratio r) {
  if (r.denominator == 1) return std::to_string(r.numerator);
  return std::to_string(r.numerator) + "/" + std::to_string(r.denominator);
}

}  // namespace faultline
