// The pieces both report pages share (html_report.cc, html_run_report.cc): the page around the
// plots, a figure around one SVG, tables, and number formatting. Internal to the report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine/run_outcome.h"
#include "tools/faultline/html_report.h"
#include "tools/faultline/svg.h"

namespace faultline::cli::html {

constexpr int kPlotWidth = 1100;

// The whole page: head with the style sheet, <main id="report" data-kind=kind>, the header.
std::string page(const ReportHeader& header, std::string_view kind, const std::string& body);
// <figure class="plot" data-plot=name> around the svg, with a caption (HTML, already escaped).
std::string figure(std::string_view name, const std::string& svg, const std::string& caption);
// A table: header cells, then rows of cells (HTML, already escaped); id may be empty.
std::string table(std::string_view id, const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows);
std::string code(std::string_view text, std::string_view css_class = "repro");
std::string duration(std::int64_t ns);
// The checks of one run: ok/FAIL/--, name, kind, detail.
std::string checks_table(const std::vector<CheckVerdict>& verdicts);
// A coloured square for a legend, and its label.
std::string swatch(std::string_view css_class, std::string_view label);

}  // namespace faultline::cli::html
