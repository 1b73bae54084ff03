// Every history in ../shared/histories has a pinned verdict (verdicts.txt, next to this file).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "checkers/linearizability/readers.h"
#include "test_util.h"

using namespace faultline::lin;
using namespace faultline::lin::testing;

TEST_CASE("pinned verdicts for the shared real histories", "[lin][verdicts]") {
  std::ifstream fixture(FAULTLINE_SOURCE_DIR "/tests/checkers/linearizability/verdicts.txt");
  REQUIRE(fixture);
  std::string line;
  int files = 0;
  while (std::getline(fixture, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, expected;
    fields >> name >> expected;
    const std::string path = std::string(FAULTLINE_SHARED_DIR "/histories/") + name;
    auto history = read_history_file(path, HistoryFormat::automatic);
    INFO(name);
    REQUIRE(history);
    auto report = check_history(*history, infer_model(*history), test_options());
    REQUIRE(report);
    const std::string got = report->verdict == Verdict::linearizable       ? "linearizable"
                            : report->verdict == Verdict::not_linearizable ? "not-linearizable"
                                                                           : "unknown";
    CHECK(got == expected);
    ++files;
  }
  CHECK(files == 109);
}
