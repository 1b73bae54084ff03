// JUnit XML for CI (the format Jenkins, GitLab, GitHub Actions' test reporters and Buildkite
// read): one <testsuite> of <testcase>s, each passed, failed (<failure>) or in error (<error>:
// stopped at a budget, or a run that could not be judged). The failure text carries the repro
// command, so a red test in a CI page says how to reproduce it.
//
// Invariants: the output is well-formed XML whatever the names and messages hold (every text
// and attribute is escaped, and bytes XML 1.0 forbids are replaced); cases keep their order.
#pragma once

#include <string>
#include <vector>

namespace faultline::cli {

struct JunitCase {
  enum class Result { passed, failure, error };
  std::string name;
  std::string classname;
  Result result = Result::passed;
  std::string message;  // one line: the failure (failure and error only)
  std::string text;     // the body: failing seeds, the repro command
};

// The document for one suite named `suite`.
std::string junit_xml(const std::string& suite, const std::vector<JunitCase>& cases);

// Writes junit_xml(...) to `path`; false (with a message on stderr naming the path) on failure.
bool write_junit(const std::string& path, const std::string& suite,
                 const std::vector<JunitCase>& cases);

}  // namespace faultline::cli
