#include <catch2/catch.hpp>

#include "checkers/linearizability/html.h"
#include "test_util.h"

using namespace faultline::lin;
using namespace faultline::lin::testing;
using I = std::int64_t;

TEST_CASE("the HTML report is self-contained and marks the failing operations", "[lin][html]") {
  History h{{write(0, 0, 1, I{1}), write(0, 2, 3, I{2}), read(1, 4, 5, I{1}),
             write(2, 1, std::nullopt, I{7})}};
  auto report = check_history(h, ModelKind::register_rw, test_options());
  REQUIRE(report);
  REQUIRE(report->verdict == Verdict::not_linearizable);
  const std::string html = render_html(h, *report, "stale <read>");
  CHECK(html.starts_with("<!DOCTYPE html>"));
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  CHECK(html.find("stale &lt;read&gt;") != std::string::npos);
  CHECK(html.find("class=\"bar failed\"") != std::string::npos);
  CHECK(html.find("class=\"bar prefix\"") != std::string::npos);
  CHECK(html.find("unknown") != std::string::npos);
  CHECK(html.find("client 2") != std::string::npos);
}
