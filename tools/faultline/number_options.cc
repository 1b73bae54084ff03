#include "tools/faultline/number_options.h"

#include <charconv>
#include <string>

#include <fmt/format.h>

#include "sim/core/text.h"

namespace faultline::cli {

CLI::Validator unsigned_decimal(std::uint64_t min, std::uint64_t max) {
  const std::string range =
      max == std::numeric_limits<std::uint64_t>::max()
          ? fmt::format("a whole number from {} to 2^64-1", min)
          : fmt::format("a whole number from {} to {}", min, format_count(max));
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        const bool digits_only =
            !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits_only || ec != std::errc{} || ptr != end || value < min || value > max)
          return "expected " + range + ", got '" + excerpt(text) + "'";
        return {};
      },
      "");  // no description: the help shows the option's type, UINT, alone
}

bool seed_range_wraps(std::uint64_t start, std::uint64_t count) {
  return count != 0 && count - 1 > std::numeric_limits<std::uint64_t>::max() - start;
}

}  // namespace faultline::cli
