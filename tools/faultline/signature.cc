// failure_signature, failing_check, signature_of: see signature.h.
#include "tools/faultline/signature.h"

#include <algorithm>

namespace faultline::cli {

namespace {

bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool is_number_char(char c) { return is_digit(c) || c == '.' || c == ','; }

// One word of a failure line: hexadecimal -> H (or 0xH), a number with a unit -> D, and every
// other run of digits -> N ("n3" -> "nN", "c2s71" -> "cNsN").
std::string normalise_word(std::string_view word) {
  const auto all_hex = [](std::string_view w) {
    return !w.empty() && std::ranges::all_of(w, is_hex);
  };
  if (word.size() > 2 && (word.starts_with("0x") || word.starts_with("0X")) &&
      all_hex(word.substr(2)))
    return "0xH";
  if (word.size() >= 8 && all_hex(word) && std::ranges::any_of(word, is_digit)) return "H";
  if (is_digit(word.front())) {
    const std::size_t number = word.find_first_not_of("0123456789.,");
    const std::string_view unit = number == std::string_view::npos ? "" : word.substr(number);
    for (const std::string_view u : {"ns", "us", "ms", "s", "m", "h"})
      if (unit == u) return "D";
  }
  std::string out;
  for (std::size_t i = 0; i < word.size();) {
    if (!is_digit(word[i])) {
      out += word[i++];
      continue;
    }
    out += 'N';
    while (i < word.size() && is_number_char(word[i])) ++i;
  }
  return out;
}

// Where the brace group opening at `open` closes (balanced), or npos.
std::size_t closing_brace(std::string_view text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    depth += text[i] == '{' ? 1 : text[i] == '}' ? -1 : 0;
    if (depth == 0) return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::string failing_check(const RunOutcome& outcome) {
  if (outcome.budget_stop) return outcome.budget_stop->budget + " budget";
  std::string best;
  std::string first;
  for (const CheckVerdict& v : outcome.verdicts) {
    if (v.passed || !v.evaluated) continue;
    if (first.empty()) first = v.name;
    if (outcome.failure.starts_with(v.name) && v.name.size() > best.size()) best = v.name;
  }
  return best.empty() ? first : best;
}

std::string failure_signature(std::string_view failure) {
  constexpr std::size_t kSignatureBytes = 200;
  failure = failure.substr(0, failure.find('\n'));  // a history check may explain on more lines
  std::string out;
  std::string last_word;
  std::size_t last_word_end = 0;
  bool collapsed = false;
  std::size_t i = 0;
  while (i < failure.size() && out.size() < kSignatureBytes) {
    if (failure[i] == '{') {  // a value's description (Entry{...}, a map): its contents vary
      const std::size_t close = closing_brace(failure, i);
      out += close == std::string_view::npos ? "{" : "{...}";
      i = close == std::string_view::npos ? i + 1 : close + 1;
      continue;
    }
    if (!is_word(failure[i])) {
      out += failure[i++];
      continue;
    }
    // A word: letters, digits and '_', with '.' or ',' between digits ("1.5s", "2,000").
    std::size_t end = i;
    while (end < failure.size() &&
           (is_word(failure[end]) ||
            ((failure[end] == '.' || failure[end] == ',') && is_digit(failure[end - 1]) &&
             end + 1 < failure.size() && is_digit(failure[end + 1]))))
      ++end;
    const std::string word = normalise_word(failure.substr(i, end - i));
    i = end;
    // A list of like words ("n0, n1, n3") is one "nN, ...", whatever its length.
    if (word == last_word && out.size() == last_word_end + 2 && out.ends_with(", ")) {
      out.resize(last_word_end);
      if (!collapsed) out += ", ...";
      collapsed = true;
    } else {
      out += word;
      collapsed = false;
    }
    last_word = word;
    last_word_end = out.size();
  }
  if (out.size() > kSignatureBytes) {
    std::size_t cut = kSignatureBytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    out.resize(cut);
  }
  return out;
}

std::string FailureSignature::text() const {
  std::string text(to_string(status));
  text += " ";
  text += property;
  text += ": ";
  text += message;
  return text;
}

FailureSignature signature_of(const RunOutcome& outcome) {
  return FailureSignature{outcome.status, failing_check(outcome),
                          failure_signature(outcome.failure)};
}

}  // namespace faultline::cli
