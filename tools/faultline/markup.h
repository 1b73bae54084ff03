// Text made safe inside XML and HTML, as element text or a quoted attribute: JUnit reports
// (junit.cc) and the HTML reports' SVG and tables (svg.cc) share it.
//
// Invariant: the result holds no '&', '<', '>', '"' or '\'' but as an entity, and no byte below
// 0x20 but tab, newline and carriage return (XML 1.0 allows no other; each becomes '?').
#pragma once

#include <string>
#include <string_view>

namespace faultline::cli {

inline std::string escape_markup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += '?';
        else
          out += c;
    }
  }
  return out;
}

}  // namespace faultline::cli
