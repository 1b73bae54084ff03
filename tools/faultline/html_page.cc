#include "tools/faultline/html_page.h"

#include <fmt/core.h>

#include "sim/core/text.h"
#include "sim/core/time.h"

namespace faultline::cli::html {

namespace {

using svg::escape;

// Colours: roles r0..r7 and nodes n0..n7 cycle through one palette (Tableau 10); outcomes are
// blue (ok), red (failed) and orange (unknown), as Jepsen's latency plots colour them.
constexpr std::string_view kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#555;margin:2px 0}code{font:12px ui-monospace,monospace;background:#f3f3f3;
padding:1px 4px;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #ddd;padding:3px 10px;
text-align:left;vertical-align:top}th{background:#f6f6f6}td.num{text-align:right}
.pass{color:#1a7f37}.fail{color:#c62828;font-weight:600}.skip{color:#888}
figure.plot{margin:12px 0 24px}figcaption{color:#444;max-width:1100px}
.sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:middle}
svg{display:block}svg .axis{stroke:#444;stroke-width:1}svg .grid{stroke:#eee}
svg .label{font:11px system-ui,sans-serif;fill:#333}
.r0{fill:#4e79a7}.r1{fill:#f28e2b}.r2{fill:#59a14f}.r3{fill:#b07aa1}.r4{fill:#76b7b2}
.r5{fill:#edc948}.r6{fill:#9c755f}.r7{fill:#bab0ac}.mixed{fill:#999}
.down{fill:#333}.paused{fill:#e15759;fill-opacity:.55}
.fault{fill:#e15759;fill-opacity:.3;stroke:#c62828;stroke-opacity:.5}
.unavailable{fill:#f28e2b;fill-opacity:.2}
.marker-liveness{fill:#59a14f}.marker-violation{fill:#c62828}.marker-network{fill:#888}
.op-ok{fill:#1f77b4;fill-opacity:.6}.op-failed{fill:#d62728}.op-unknown{fill:#ff7f0e}
.bar-ok{fill:#1f77b4}.bar-failed{fill:#d62728}
.line{fill:none;stroke-width:1.5}.cdf{fill:none;stroke:#4e79a7;stroke-width:2}
.n0{stroke:#4e79a7}.n1{stroke:#f28e2b}.n2{stroke:#59a14f}.n3{stroke:#b07aa1}.n4{stroke:#76b7b2}
.n5{stroke:#edc948}.n6{stroke:#9c755f}.n7{stroke:#e15759}.inflight{stroke:#555}
.sw.n0{background:#4e79a7}.sw.n1{background:#f28e2b}.sw.n2{background:#59a14f}
.sw.n3{background:#b07aa1}.sw.n4{background:#76b7b2}.sw.n5{background:#edc948}
.sw.n6{background:#9c755f}.sw.n7{background:#e15759}
.sw.r0{background:#4e79a7}.sw.r1{background:#f28e2b}.sw.r2{background:#59a14f}
.sw.r3{background:#b07aa1}.sw.r4{background:#76b7b2}.sw.r5{background:#edc948}
.sw.r6{background:#9c755f}.sw.r7{background:#bab0ac}.sw.mixed{background:#999}
.sw.down{background:#333}.sw.paused{background:#e15759}.sw.fault{background:#f5c6c6}
.sw.unavailable{background:#fbe0c6}.sw.op-ok{background:#1f77b4}
.sw.op-failed{background:#d62728}.sw.op-unknown{background:#ff7f0e}
)";

}  // namespace

std::string page(const ReportHeader& header, std::string_view kind, const std::string& body) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>faultline: " + escape(header.title) + "</title>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += fmt::format("<main id=\"report\" data-kind=\"{}\">\n", kind);
  out += "<header>\n<h1>" + escape(header.title) + "</h1>\n";
  out += "<p class=\"meta\">" + escape(header.protocol) + " &middot; " +
         escape(header.scenario_path) + " &middot; " + escape(header.version) + "</p>\n";
  out += "<p class=\"meta\">written by " + code(header.command, "command") + "</p>\n</header>\n";
  out += body;
  out += "</main>\n</body>\n</html>\n";
  return out;
}

std::string figure(std::string_view name, const std::string& svg, const std::string& caption) {
  return fmt::format(
      "<figure class=\"plot\" data-plot=\"{}\">\n{}<figcaption>{}</figcaption>\n"
      "</figure>\n",
      escape(name), svg, caption);
}

std::string table(std::string_view id, const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::string out = id.empty() ? "<table>\n" : fmt::format("<table id=\"{}\">\n", id);
  out += "<tr>";
  for (const auto& h : header) out += "<th>" + h + "</th>";
  out += "</tr>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const auto& cell : row) out += "<td>" + cell + "</td>";
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string code(std::string_view text, std::string_view css_class) {
  return fmt::format("<code class=\"{}\">{}</code>", css_class, escape(text));
}

std::string duration(std::int64_t ns) { return escape(format_duration(Duration{ns})); }

std::string checks_table(const std::vector<CheckVerdict>& verdicts) {
  std::vector<std::vector<std::string>> rows;
  for (const CheckVerdict& v : verdicts) {
    const std::string verdict = !v.evaluated ? "<span class=\"skip\">--</span>"
                                : v.passed   ? "<span class=\"pass\">ok</span>"
                                             : "<span class=\"fail\">FAIL</span>";
    rows.push_back({verdict, escape(v.name), escape(v.kind), escape(v.detail)});
  }
  return table("checks", {"", "check", "kind", "detail"}, rows);
}

std::string swatch(std::string_view css_class, std::string_view label) {
  return fmt::format("<span class=\"sw {}\"></span>{}", css_class, escape(label));
}

}  // namespace faultline::cli::html
