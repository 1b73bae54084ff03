// Text shared by every command's messages and files: a long value cut to a readable excerpt, a
// count with thousands separators, the UTF-8 byte-order mark every text reader skips, and bytes
// as hex text (history files, counterexample files). Pure functions of their arguments; no
// locale is consulted (the output is the same everywhere).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/result.h"

namespace faultline {

// How many bytes of a value an error message quotes by default.
inline constexpr std::size_t excerpt_bytes_max = 80;

// `text` itself when it is at most `limit` bytes, else its first `limit` bytes (cut back to a
// UTF-8 character boundary) followed by "... (N bytes)" with the full length.
std::string excerpt(std::string_view text, std::size_t limit = excerpt_bytes_max);

// 1234567 -> "1,234,567".
std::string format_count(std::uint64_t n);

// The UTF-8 byte-order mark (editors on Windows write one): no part of a document.
inline constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";
inline std::string_view skip_utf8_bom(std::string_view text) {
  if (text.starts_with(utf8_bom)) text.remove_prefix(utf8_bom.size());
  return text;
}

// Bytes as lowercase hex digits, two a byte; from_hex(to_hex(b)) == b. from_hex accepts either
// case and names the offset of the first bad digit.
std::string to_hex(std::span<const std::uint8_t> bytes);
Result<std::vector<std::uint8_t>> from_hex(std::string_view hex);

}  // namespace faultline
