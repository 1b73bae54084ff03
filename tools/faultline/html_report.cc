// The sweep report (html_report.h): each metric's distribution over every seed, the checks'
// counts, the failing and the slowest seeds.
#include "tools/faultline/html_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "sim/core/text.h"
#include "sim/core/time.h"
#include "tools/faultline/html_page.h"

namespace faultline::cli {

namespace {

using svg::Canvas;
using svg::Point;
using svg::Scale;

constexpr double kLeft = 90, kRight = 20, kTop = 12, kBottom = 30, kHeight = 260;
constexpr double kDecadesMax = 6;  // the percentile axis ends at 99.9999%

// A CDF drawn from the histogram's buckets: one point per pixel column at most.
std::string cdf_svg(const LogHistogram& h) {
  Canvas canvas(html::kPlotWidth, static_cast<int>(kHeight));
  const Scale x{0, static_cast<double>(std::max<std::int64_t>(h.max(), 1)), kLeft,
                html::kPlotWidth - kRight};
  const Scale y{0, 1, kHeight - kBottom, kTop};
  std::vector<Point> points{{x(0), y(0)}};
  std::uint64_t seen = 0;
  h.for_each_bucket([&](std::int64_t upper, std::uint64_t n) {
    const double px = x(static_cast<double>(upper));
    points.push_back({px, points.back().y});  // the step up happens at the bucket
    seen += n;
    const Point p{px, y(static_cast<double>(seen) / static_cast<double>(h.count()))};
    if (points.size() >= 2 && std::abs(points[points.size() - 2].x - px) < 0.5) points.pop_back();
    points.push_back(p);
  });
  canvas.polyline(points, "cdf");
  std::vector<svg::Tick> y_ticks;
  for (int q = 0; q <= 4; ++q) y_ticks.push_back({q / 4.0, fmt::format("{}%", q * 25)});
  canvas.y_axis(y, y_ticks, kLeft);
  canvas.x_axis(x, svg::duration_ticks(0, static_cast<double>(h.max()), 10), kHeight - kBottom);
  return std::move(canvas).finish();
}

// The percentile plot: value against log10(1/(1-p)), one point per pixel column.
std::string percentile_svg(const LogHistogram& h) {
  Canvas canvas(html::kPlotWidth, static_cast<int>(kHeight));
  const double decades =
      std::clamp(std::ceil(std::log10(static_cast<double>(h.count()))), 1.0, kDecadesMax);
  const Scale x{0, decades, kLeft, html::kPlotWidth - kRight};
  const Scale y{0, static_cast<double>(std::max<std::int64_t>(h.max(), 1)), kHeight - kBottom,
                kTop};
  std::vector<Point> points;
  for (double px = x.from_px; px <= x.to_px; px += 1) {
    const double d = (px - x.from_px) / (x.to_px - x.from_px) * decades;
    const double p = 1 - std::pow(10.0, -d);
    const auto per_million = static_cast<std::uint64_t>(std::llround(p * 1e6));
    points.push_back({px, y(static_cast<double>(h.percentile(per_million)))});
  }
  canvas.polyline(points, "cdf");
  std::vector<svg::Tick> x_ticks;
  for (int k = 0; k <= static_cast<int>(decades); ++k) {
    const std::string nines = k == 0   ? "0%"
                              : k == 1 ? "90%"
                                       : "99." + std::string(k - 2, '9') + "%";
    x_ticks.push_back({static_cast<double>(k), k == 2 ? "99%" : nines});
  }
  canvas.x_axis(x, x_ticks, kHeight - kBottom);
  canvas.y_axis(y, svg::duration_ticks(0, static_cast<double>(h.max()), 5), kLeft);
  return std::move(canvas).finish();
}

std::string at_quantile(const LogHistogram& h, std::uint64_t per_million) {
  return html::duration(h.percentile(per_million));
}

// A metric with one or two samples per seed (failover, election, convergence) is read as a CDF
// over seeds; one with many (latencies) as a percentile plot.
std::string metric_section(const std::string& name, const MetricDistribution& m) {
  const LogHistogram& h = m.histogram;
  const bool per_event = h.count() <= 2 * m.seeds_with_samples;
  const std::string plot = (per_event ? "metric-cdf-" : "metric-percentiles-") + name;
  const std::string caption = fmt::format(
      "<b>{}</b>: {} samples from {} seeds; p50 {}, p90 {}, p99 {}, p99.9 {}, max {}. {}",
      svg::escape(name), format_count(h.count()), format_count(m.seeds_with_samples),
      at_quantile(h, 500'000), at_quantile(h, 900'000), at_quantile(h, 990'000),
      at_quantile(h, 999'000), html::duration(h.max()),
      per_event ? "The fraction of samples at or below each duration (CDF)."
                : "The duration at each percentile, on a log 1/(1-p) axis so the tail gets the "
                  "room (as HdrHistogram plots are read).");
  return html::figure(plot, per_event ? cdf_svg(h) : percentile_svg(h),
                      caption +
                          " Values are "
                          "bucketed to 1.6%; the maximum is exact.");
}

std::string sweep_summary(const SweepReport& s) {
  std::string out = "<section id=\"summary\">\n<p>";
  out += fmt::format("{} seeds run of {}..{}", format_count(s.seeds_run), s.seed_start,
                     s.seed_start + s.seed_count - 1);
  for (const auto& [status, n] : s.seeds_by_status)
    out += fmt::format(" &middot; <b class=\"{}\">{} {}</b>",
                       status == RunStatus::passed ? "pass" : "fail", format_count(n),
                       svg::escape(to_string(status)));
  out += fmt::format(" &middot; {} events &middot; {} of virtual time</p>\n",
                     format_count(s.events), html::duration(s.virtual_ns));
  if (!s.nondeterminism.empty())
    out += fmt::format("<p class=\"fail\">NOT DETERMINISTIC in {} seeds: {}</p>\n",
                       s.nondeterminism.size(), svg::escape(s.nondeterminism.front()));
  return out + "</section>\n";
}

std::string checks_counts_table(const SweepReport& s) {
  std::vector<std::vector<std::string>> rows;
  for (const CheckCounts& c : s.checks) {
    rows.push_back(
        {svg::escape(c.name), svg::escape(c.kind), format_count(c.passed),
         c.failed > 0 ? "<span class=\"fail\">" + format_count(c.failed) + "</span>" : "0",
         format_count(c.not_evaluated),
         c.failed > 0
             ? fmt::format("seed {}: {}", c.first_failing_seed, svg::escape(c.first_failure))
             : ""});
  }
  return html::table("checks",
                     {"check", "kind", "passed", "failed", "not evaluated", "first failure"}, rows);
}

std::string failing_table(const SweepReport& s) {
  if (s.failing_total == 0) return "<p>No seed failed.</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (const FailingSeed& f : s.failing)
    rows.push_back({std::to_string(f.seed), svg::escape(to_string(f.status)),
                    svg::escape(f.failure), html::code(f.repro)});
  std::string out = html::table("failing", {"seed", "result", "failure", "repro"}, rows);
  if (s.failing_total > s.failing.size())
    out += fmt::format("<p>The first {} of {} failing seeds are listed.</p>\n", s.failing.size(),
                       format_count(s.failing_total));
  return out;
}

std::string slowest_table(const SweepReport& s) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, m] : s.metrics)
    for (const SlowSeed& slow : m.slowest)
      rows.push_back({svg::escape(name), std::to_string(slow.seed), html::duration(slow.value_ns),
                      html::code(slow.repro)});
  return html::table("slowest", {"metric", "seed", "its largest sample", "repro"}, rows);
}

}  // namespace

std::string sweep_report_html(const ReportHeader& header, const SweepReport& sweep) {
  std::string body = sweep_summary(sweep);
  body += "<section id=\"plots\">\n<h2>Timing over every seed</h2>\n";
  if (sweep.metrics.empty()) body += "<p>No timing metric had a sample.</p>\n";
  for (const auto& [name, metric] : sweep.metrics) body += metric_section(name, metric);
  body += "</section>\n<section id=\"tables\">\n<h2>Checks</h2>\n" + checks_counts_table(sweep);
  body += "<h2>Failing seeds</h2>\n" + failing_table(sweep);
  body += fmt::format(
              "<h2>Slowest seeds</h2>\n<p>The {} seeds with the largest sample of each "
              "metric.</p>\n",
              SweepAccumulator::slowest_max) +
          slowest_table(sweep) + "</section>\n";
  return html::page(header, "sweep", body);
}

}  // namespace faultline::cli
