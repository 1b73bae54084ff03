#include "checkers/linearizability/html.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

namespace faultline::lin {
namespace {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// The failing (or first) partition as a heading, a legend and an SVG timeline: one lane per
// client, one bar per operation, the longest linearizable prefix numbered in green.
std::string render_partition(const History& history, const PartitionReport& part) {
  std::string html;
  std::map<std::size_t, std::size_t> order;  // history index -> 1-based linearization position
  for (std::size_t i = 0; i < part.longest_prefix.size(); ++i)
    order[part.longest_prefix[i]] = i + 1;
  std::set<std::size_t> failed;
  for (const Candidate& c : part.candidates) failed.insert(c.operation);
  if (part.deadline_op) failed.insert(*part.deadline_op);

  std::set<std::int64_t> times;
  std::set<std::int64_t> clients;
  for (std::size_t i : part.operations) {
    const Operation& op = history.operations[i];
    times.insert(op.invoke_ns);
    if (op.return_ns) times.insert(*op.return_ns);
    clients.insert(op.client);
  }
  std::map<std::int64_t, std::size_t> rank;
  for (std::int64_t t : times) rank.emplace(t, rank.size());
  std::map<std::int64_t, std::size_t> lane;
  for (std::int64_t c : clients) lane.emplace(c, lane.size());

  const double step =
      std::clamp(1600.0 / static_cast<double>(std::max<std::size_t>(1, times.size())), 3.0, 40.0);
  const double left = 90, lane_height = 26;
  const double width = left + step * static_cast<double>(times.size() + 2) + 20;
  const double height = lane_height * static_cast<double>(lane.size()) + 20;
  html += fmt::format("<h2>key \"{}\" ({} operations)</h2>\n", escape(part.key),
                      part.operations.size());
  html +=
      "<p>Bars run from invocation to completion (dashed: outcome unknown). Green: the longest "
      "linearizable "
      "prefix, numbered in linearization order. Red: operations that could not be placed after "
      "it.</p>\n";
  html +=
      fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\">\n",
                  width, height);
  for (const auto& [client, index] : lane)
    html += fmt::format("<text class=\"lane\" x=\"4\" y=\"{:.0f}\">client {}</text>\n",
                        10 + lane_height * static_cast<double>(index) + 13, client);
  for (std::size_t i : part.operations) {
    const Operation& op = history.operations[i];
    const double x0 = left + step * static_cast<double>(rank[op.invoke_ns]);
    const double x1 = op.return_ns
                          ? left + step * static_cast<double>(rank[*op.return_ns]) + step * 0.8
                          : width - 10;
    const double y = 10 + lane_height * static_cast<double>(lane[op.client]);
    const char* cls = failed.contains(i) ? "failed" : order.contains(i) ? "prefix" : "other";
    html += fmt::format(
        "<rect class=\"bar {}{}\" x=\"{:.1f}\" y=\"{:.0f}\" width=\"{:.1f}\" height=\"18\">"
        "<title>{}</title></rect>\n",
        cls, op.completed() ? "" : " unknown", x0, y, std::max(2.0, x1 - x0),
        escape(describe_operation(op)));
    if (auto it = order.find(i); it != order.end())
      html += fmt::format("<text class=\"num\" x=\"{:.1f}\" y=\"{:.0f}\">{}</text>\n", x0 + 2,
                          y + 13, it->second);
  }
  html += "</svg>\n";
  return html;
}

}  // namespace

std::string render_html(const History& history, const Report& report, const std::string& title) {
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{0}</title>\n<style>\n"
      "body{{font-family:sans-serif;margin:1.5em}} "
      "pre{{background:#f6f6f6;padding:1em;overflow-x:auto}}\n"
      ".bar{{stroke:#333;stroke-width:1}} .prefix{{fill:#9cd59c}} .failed{{fill:#e04040}} "
      ".other{{fill:#cccccc}}\n"
      ".unknown{{stroke-dasharray:4 3}} .lane{{font-size:12px}} .num{{font-size:10px}}\n"
      "</style></head><body>\n<h1>{0}</h1>\n<p><b>{1}</b></p>\n",
      escape(title), escape(to_string(report.verdict)));
  html += "<pre>" + escape(explain(history, report)) + "</pre>\n";
  if (report.partitions.empty()) return html + "</body></html>\n";

  html += render_partition(history, report.partitions[report.failing.value_or(0)]);
  return html + "</body></html>\n";
}

}  // namespace faultline::lin
