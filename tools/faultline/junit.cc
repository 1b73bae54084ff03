#include "tools/faultline/junit.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "tools/faultline/markup.h"

namespace faultline::cli {

namespace {

std::string escaped(const std::string& text) { return escape_markup(text); }

std::size_t count_of(const std::vector<JunitCase>& cases, JunitCase::Result result) {
  std::size_t n = 0;
  for (const JunitCase& c : cases) n += c.result == result ? 1 : 0;
  return n;
}

std::string case_xml(const JunitCase& c) {
  std::string out =
      "  <testcase name=\"" + escaped(c.name) + "\" classname=\"" + escaped(c.classname) + "\"";
  if (c.result == JunitCase::Result::passed) return out + "/>\n";
  const char* tag = c.result == JunitCase::Result::failure ? "failure" : "error";
  out += ">\n    <";
  out += tag;
  out += " message=\"" + escaped(c.message) + "\">" + escaped(c.text) + "</";
  out += tag;
  out += ">\n  </testcase>\n";
  return out;
}

}  // namespace

std::string junit_xml(const std::string& suite, const std::vector<JunitCase>& cases) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
                     escaped(suite), cases.size(), count_of(cases, JunitCase::Result::failure),
                     count_of(cases, JunitCase::Result::error));
  for (const JunitCase& c : cases) out += case_xml(c);
  out += "</testsuite>\n";
  return out;
}

bool write_junit(const std::string& path, const std::string& suite,
                 const std::vector<JunitCase>& cases) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (file) file << junit_xml(suite, cases);
  if (file) file.flush();
  if (file) return true;
  std::fprintf(stderr, "error: --junit %s: cannot write: %s\n", path.c_str(), std::strerror(errno));
  return false;
}

}  // namespace faultline::cli
