// The single-run report (html_report.h): timeline, latency, throughput, messages in flight, the
// binding's gauge panels, and the tables.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

#include <fmt/core.h>

#include "sim/core/text.h"
#include "sim/core/time.h"
#include "sim/engine/stats.h"
#include "tools/faultline/html_page.h"
#include "tools/faultline/html_report.h"

namespace faultline::cli {

namespace {

using svg::Canvas;
using svg::Point;
using svg::Scale;

constexpr std::size_t kTracksMax = 64;      // node tracks drawn in the timeline
constexpr std::size_t kGaugeLinesMax = 16;  // nodes drawn in a gauge panel
constexpr double kLeft = 90, kRight = 20, kTop = 10, kBottom = 28;

Scale time_scale(const RunTimeline& t) {
  return Scale{0, static_cast<double>(std::max<std::int64_t>(t.end_ns, 1)), kLeft,
               html::kPlotWidth - kRight};
}

// ---- timeline --------------------------------------------------------------------------------

// Draws one node's spans; runs of spans narrower than a pixel merge into one grey "mixed" rect.
class TrackPainter {
 public:
  TrackPainter(Canvas& canvas, const Scale& x, double y, double h)
      : canvas_(canvas), x_(x), y_(y), h_(h) {}
  void span(const Span& s, const std::string& css_class) {
    const double x0 = x_(static_cast<double>(s.begin_ns)), x1 = x_(static_cast<double>(s.end_ns));
    if (x1 - x0 >= 1) {
      flush();
      canvas_.rect(
          x0, y_, x1 - x0, h_, css_class,
          s.label + " " + format_time(Time{s.begin_ns}) + " .. " + format_time(Time{s.end_ns}));
      return;
    }
    if (narrow_count_ > 0 && x0 <= narrow_x1_ + 1) {
      narrow_x1_ = std::max(narrow_x1_, x1);
      ++narrow_count_;
      return;
    }
    flush();
    narrow_x0_ = x0, narrow_x1_ = x1, narrow_count_ = 1, narrow_class_ = css_class;
    narrow_title_ = s.label + " at " + format_time(Time{s.begin_ns});
  }
  void flush() {
    if (narrow_count_ == 0) return;
    const bool one = narrow_count_ == 1;
    canvas_.rect(narrow_x0_, y_, std::max(narrow_x1_ - narrow_x0_, 1.0), h_,
                 one ? narrow_class_ : "mixed",
                 one ? narrow_title_ : fmt::format("{} short spans", narrow_count_));
    narrow_count_ = 0;
  }

 private:
  Canvas& canvas_;
  const Scale& x_;
  double y_, h_;
  double narrow_x0_ = 0, narrow_x1_ = 0;
  std::size_t narrow_count_ = 0;
  std::string narrow_class_, narrow_title_;
};

// Each role's colour class (r0..r7), in the order roles first appear.
std::map<std::string, std::string> role_classes(const RunTimeline& t) {
  std::map<std::string, std::string> classes;
  for (const Span& s : t.roles)
    if (!classes.contains(s.label))
      classes.emplace(s.label, fmt::format("r{}", classes.size() % 8));
  return classes;
}

void draw_tracks(Canvas& canvas, const RunTimeline& t, const Scale& x, std::size_t tracks) {
  constexpr double kRow = 22, kBar = 16;
  const auto classes = role_classes(t);
  for (std::size_t n = 0; n < tracks; ++n)
    canvas.text({kLeft - 8, kTop + kRow * static_cast<double>(n) + 12}, t.node_names[n], "label",
                "end");
  for (const auto* spans : {&t.roles, &t.outages}) {
    std::size_t i = 0;
    for (std::size_t n = 0; n < tracks; ++n) {
      TrackPainter painter(canvas, x, kTop + kRow * static_cast<double>(n), kBar);
      for (; i < spans->size() && (*spans)[i].node == n; ++i) {
        const Span& s = (*spans)[i];
        painter.span(s, spans == &t.roles ? classes.at(s.label) : s.label);
      }
      painter.flush();
    }
  }
}

std::string timeline_figure(const RunTimeline& t) {
  const std::size_t tracks = std::min(t.node_names.size(), kTracksMax);
  const double rows_h = 22 * static_cast<double>(tracks);
  Canvas canvas(html::kPlotWidth, static_cast<int>(kTop + rows_h + kBottom));
  const Scale x = time_scale(t);
  draw_tracks(canvas, t, x, tracks);
  // Over the tracks, translucent: a partition is read against the roles it changed.
  for (const Window& w : t.faults)
    canvas.rect(
        x(static_cast<double>(w.begin_ns)), kTop,
        std::max(x(static_cast<double>(w.end_ns)) - x(static_cast<double>(w.begin_ns)), 1.0),
        rows_h, "fault", w.label);
  for (const Marker& m : t.markers)
    canvas.rect(x(static_cast<double>(m.time_ns)) - 1, kTop, 2, rows_h, "marker-" + m.kind,
                m.kind + " at " + format_time(Time{m.time_ns}) + ": " + m.label);
  canvas.x_axis(x, svg::duration_ticks(0, static_cast<double>(t.end_ns), 10), kTop + rows_h + 2);
  std::string legend;
  for (const auto& [role, css] : role_classes(t)) legend += html::swatch(css, role);
  legend += html::swatch("down", "down") + html::swatch("paused", "paused") +
            html::swatch("fault", "partitioned or clogged") +
            html::swatch("mixed", "several spans within a pixel");
  std::string caption =
      "One track per node: its role over virtual time, down (crash to "
      "restart) and paused spans; fault windows shaded across all tracks, "
      "markers for the liveness phase (green), violations (red) and network "
      "changes (grey). Hover for details. " +
      legend;
  if (tracks < t.node_names.size())
    caption += fmt::format(" The first {} of {} nodes are drawn.", tracks, t.node_names.size());
  return html::figure("timeline", std::move(canvas).finish(), caption);
}

// ---- client operations -------------------------------------------------------------------------

std::string op_class(ReportOperation::Outcome outcome) {
  return "op-" + std::string(to_string(outcome));
}

// Latency bounds of the answered operations (at least 1 ns .. at least 10x that).
std::pair<double, double> latency_range(const std::vector<ReportOperation>& ops) {
  std::int64_t lo = 0, hi = 0;
  for (const ReportOperation& op : ops) {
    if (op.outcome == ReportOperation::Outcome::unknown) continue;
    const std::int64_t l = std::max<std::int64_t>(op.answered_ns - op.invoked_ns, 1);
    lo = lo == 0 ? l : std::min(lo, l);
    hi = std::max(hi, l);
  }
  if (lo == 0) lo = 1, hi = 1;
  return {static_cast<double>(lo),
          std::max(static_cast<double>(hi), 10.0 * static_cast<double>(lo))};
}

std::string latency_caption(const std::vector<ReportOperation>& ops) {
  std::map<ReportOperation::Outcome, std::uint64_t> counts;
  for (const ReportOperation& op : ops) ++counts[op.outcome];
  std::string legend;
  for (const auto outcome : {ReportOperation::Outcome::ok, ReportOperation::Outcome::failed,
                             ReportOperation::Outcome::unknown})
    legend += html::swatch(op_class(outcome),
                           fmt::format("{} {}", to_string(outcome), format_count(counts[outcome])));
  return "Every client operation: latency (log scale) against the virtual time it was invoked, "
         "coloured by outcome; operations never answered sit in the \"no answer\" band at the "
         "top. Points closer than 3 px of the same outcome are drawn once. " +
         legend;
}

std::string latency_figure(const RunTimeline& t) {
  constexpr double kHeight = 300, kBand = 18;
  Canvas canvas(html::kPlotWidth, static_cast<int>(kHeight));
  const Scale x = time_scale(t);
  const auto [lo, hi] = latency_range(t.operations);
  const Scale y{lo, hi, kHeight - kBottom, kTop + kBand + 6, true};
  std::set<std::tuple<int, int, ReportOperation::Outcome>> drawn;  // 3 px cells
  for (const ReportOperation& op : t.operations) {
    const bool unknown = op.outcome == ReportOperation::Outcome::unknown;
    const double latency =
        static_cast<double>(std::max<std::int64_t>(op.answered_ns - op.invoked_ns, 1));
    const Point at{x(static_cast<double>(op.invoked_ns)), unknown ? kTop + kBand / 2 : y(latency)};
    if (!drawn.emplace(static_cast<int>(at.x / 3), static_cast<int>(at.y / 3), op.outcome).second)
      continue;
    const std::string title = fmt::format(
        "{} {} at {}: {}", op.kind, to_string(op.outcome), format_time(Time{op.invoked_ns}),
        unknown ? std::string("no answer")
                : format_duration(Duration{op.answered_ns - op.invoked_ns}));
    canvas.circle(at, 2, op_class(op.outcome), title);
  }
  canvas.text({kLeft - 6, kTop + kBand / 2 + 4}, "no answer", "label", "end");
  canvas.y_axis(y, svg::duration_decade_ticks(lo, hi), kLeft);
  canvas.x_axis(x, svg::duration_ticks(0, static_cast<double>(t.end_ns), 10), kHeight - kBottom);
  return html::figure("latency", std::move(canvas).finish(), latency_caption(t.operations));
}

// ---- throughput and unavailability --------------------------------------------------------------

// Windows in which some operation waited and none completed ok, longer than ten times the median
// ok latency (and at least 1 ms): where clients saw the system unavailable.
std::vector<Window> unavailability(const RunTimeline& t) {
  std::vector<std::int64_t> ok_at, latencies;
  std::vector<std::pair<std::int64_t, std::int64_t>> waiting;  // [invoked, answered or end)
  for (const ReportOperation& op : t.operations) {
    const bool ok = op.outcome == ReportOperation::Outcome::ok;
    const bool unknown = op.outcome == ReportOperation::Outcome::unknown;
    if (ok) ok_at.push_back(op.answered_ns), latencies.push_back(op.answered_ns - op.invoked_ns);
    waiting.emplace_back(op.invoked_ns, unknown ? t.end_ns : op.answered_ns);
  }
  if (latencies.empty()) return {};
  std::sort(ok_at.begin(), ok_at.end());
  std::nth_element(latencies.begin(),
                   latencies.begin() + static_cast<std::ptrdiff_t>(latencies.size() / 2),
                   latencies.end());
  const std::int64_t threshold =
      std::max<std::int64_t>(10 * latencies[latencies.size() / 2], 1'000'000);
  std::sort(waiting.begin(), waiting.end());
  std::vector<Window> windows;
  const auto gaps_within = [&](std::int64_t begin, std::int64_t end) {
    auto it = std::upper_bound(ok_at.begin(), ok_at.end(), begin);
    for (std::int64_t from = begin; from < end;) {
      const std::int64_t to = it != ok_at.end() && *it < end ? *it : end;
      if (to - from > threshold)
        windows.push_back(Window{
            from, to, "no operation completed ok for " + format_duration(Duration{to - from})});
      from = to;
      if (it != ok_at.end()) ++it;
    }
  };
  std::pair<std::int64_t, std::int64_t> merged = waiting.front();
  for (const auto& w : waiting) {
    if (w.first <= merged.second) {
      merged.second = std::max(merged.second, w.second);
      continue;
    }
    gaps_within(merged.first, merged.second);
    merged = w;
  }
  gaps_within(merged.first, merged.second);
  return windows;
}

std::string throughput_figure(const RunTimeline& t, const std::vector<Window>& unavailable) {
  constexpr double kHeight = 220;
  constexpr std::size_t kBuckets = 200;
  Canvas canvas(html::kPlotWidth, static_cast<int>(kHeight));
  const Scale x = time_scale(t);
  const std::int64_t width_ns =
      std::max<std::int64_t>(t.end_ns / static_cast<std::int64_t>(kBuckets), 1);
  std::vector<std::uint64_t> ok(kBuckets + 1, 0), failed(kBuckets + 1, 0);
  for (const ReportOperation& op : t.operations) {
    if (op.outcome == ReportOperation::Outcome::unknown) continue;
    const auto b =
        std::min<std::size_t>(static_cast<std::size_t>(op.answered_ns / width_ns), kBuckets);
    ++(op.outcome == ReportOperation::Outcome::ok ? ok : failed)[b];
  }
  std::uint64_t peak = 1;
  for (std::size_t b = 0; b <= kBuckets; ++b) peak = std::max(peak, ok[b] + failed[b]);
  const double per_second = 1e9 / static_cast<double>(width_ns);
  const Scale y{0, static_cast<double>(peak) * per_second, kHeight - kBottom, kTop};
  for (const Window& w : unavailable)
    canvas.rect(x(static_cast<double>(w.begin_ns)), kTop,
                x(static_cast<double>(w.end_ns)) - x(static_cast<double>(w.begin_ns)),
                kHeight - kBottom - kTop, "unavailable", w.label);
  for (std::size_t b = 0; b <= kBuckets; ++b) {
    const double x0 = x(static_cast<double>(b) * static_cast<double>(width_ns));
    const double x1 = x(static_cast<double>(b + 1) * static_cast<double>(width_ns));
    const double ok_top = y(static_cast<double>(ok[b]) * per_second);
    const double all_top = y(static_cast<double>(ok[b] + failed[b]) * per_second);
    if (ok[b] > 0) canvas.rect(x0, ok_top, x1 - x0, kHeight - kBottom - ok_top, "bar-ok");
    if (failed[b] > 0) canvas.rect(x0, all_top, x1 - x0, ok_top - all_top, "bar-failed");
  }
  canvas.y_axis(y, svg::count_ticks(0, static_cast<double>(peak) * per_second, 4), kLeft);
  canvas.x_axis(x, svg::duration_ticks(0, static_cast<double>(t.end_ns), 10), kHeight - kBottom);
  const std::string caption = fmt::format(
      "Operations answered per second of virtual time ({} buckets of {}), ok and failed; shaded: "
      "{} "
      "unavailability windows, where some operation waited and none completed ok for longer than "
      "ten times the median ok latency (at least 1ms). {}{}{}",
      kBuckets, format_duration(Duration{width_ns}), unavailable.size(),
      html::swatch("op-ok", "ok"), html::swatch("op-failed", "failed"),
      html::swatch("unavailable", "unavailable"));
  return html::figure("throughput", std::move(canvas).finish(), caption);
}

// ---- step series: messages in flight, gauges
// ------------------------------------------------------

// A step series for one line, keeping per pixel column its first, lowest, highest and last value.
std::vector<Point> step_points(const std::vector<GaugeSample>& samples, std::uint32_t node,
                               const Scale& x, const Scale& y, std::int64_t end_ns) {
  std::vector<Point> points;
  std::optional<std::int64_t> last;
  int column = -1;
  std::int64_t low = 0, high = 0;
  const auto flush = [&] {
    if (column < 0) return;
    points.push_back({static_cast<double>(column), y(static_cast<double>(low))});
    points.push_back({static_cast<double>(column), y(static_cast<double>(high))});
    points.push_back({static_cast<double>(column), y(static_cast<double>(*last))});
  };
  for (const GaugeSample& s : samples) {
    if (s.node != node) continue;
    const int c = static_cast<int>(x(static_cast<double>(s.time_ns)));
    if (c != column) {
      flush();
      if (last) points.push_back({static_cast<double>(c), y(static_cast<double>(*last))});
      column = c, low = s.value, high = s.value;
    }
    low = std::min(low, s.value), high = std::max(high, s.value), last = s.value;
  }
  flush();
  if (last) points.push_back({x(static_cast<double>(end_ns)), y(static_cast<double>(*last))});
  return points;
}

std::pair<std::int64_t, std::int64_t> value_range(const std::vector<GaugeSample>& samples) {
  std::int64_t lo = 0, hi = 1;
  for (const GaugeSample& s : samples) lo = std::min(lo, s.value), hi = std::max(hi, s.value);
  return {lo, hi};
}

std::string series_figure(const RunTimeline& t, const std::string& name,
                          const std::vector<GaugeSample>& samples, std::uint32_t lines,
                          const std::string& caption) {
  constexpr double kHeight = 200;
  Canvas canvas(html::kPlotWidth, static_cast<int>(kHeight));
  const Scale x = time_scale(t);
  const auto [lo, hi] = value_range(samples);
  const Scale y{static_cast<double>(lo), static_cast<double>(hi), kHeight - kBottom, kTop};
  for (std::uint32_t n = 0; n < lines; ++n)
    canvas.polyline(step_points(samples, n, x, y, t.end_ns),
                    lines == 1 ? "line inflight" : fmt::format("line n{}", n % 8),
                    lines == 1 ? name : t.node_names[n]);
  canvas.y_axis(y, svg::count_ticks(static_cast<double>(lo), static_cast<double>(hi), 4), kLeft);
  canvas.x_axis(x, svg::duration_ticks(0, static_cast<double>(t.end_ns), 10), kHeight - kBottom);
  return html::figure(name, std::move(canvas).finish(), caption);
}

std::string gauge_figures(const RunTimeline& t) {
  std::string out;
  const auto lines = static_cast<std::uint32_t>(std::min(t.node_names.size(), kGaugeLinesMax));
  std::string legend;
  for (std::uint32_t n = 0; n < lines; ++n)
    legend += html::swatch(fmt::format("n{}", n % 8), t.node_names[n]);
  for (const Gauge& g : t.gauges) {
    std::string caption = "<b>" + svg::escape(g.name) +
                          "</b> of each node after each of its "
                          "steps (reported by the protocol's binding). " +
                          legend;
    if (lines < t.node_names.size())
      caption += fmt::format(" The first {} of {} nodes are drawn.", lines, t.node_names.size());
    std::string slug = g.name;  // "commit index" -> panel-commit-index
    std::replace_if(
        slug.begin(), slug.end(),
        [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '-');
    out += series_figure(t, "panel-" + slug, g.samples, lines, caption);
  }
  return out;
}

// ---- tables
// ---------------------------------------------------------------------------------------

// The text summary's timing table (summarize(): nearest-rank percentiles), as HTML.
std::string metrics_table(const Metrics& metrics) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, samples] : metrics) {
    if (samples.empty()) continue;
    const Summary s = summarize(samples);
    rows.push_back({svg::escape(name), format_count(s.count), html::duration(s.min.nanoseconds),
                    html::duration(s.p50.nanoseconds), html::duration(s.p90.nanoseconds),
                    html::duration(s.p99.nanoseconds), html::duration(s.max.nanoseconds)});
  }
  return html::table("metrics", {"metric", "count", "min", "p50", "p90", "p99", "max"}, rows);
}

std::string summary_section(const RunOutcome& o, const std::string& repro) {
  std::string out = "<section id=\"summary\">\n";
  out += fmt::format(
      "<p>seed <b>{}</b> &middot; <b class=\"{}\">{}</b> &middot; {} events &middot; "
      "{} of virtual time &middot; {} crashes &middot; fingerprint {}</p>\n",
      o.seed, o.status == RunStatus::passed ? "pass" : "fail", svg::escape(to_string(o.status)),
      format_count(o.events), html::duration(o.end.nanoseconds), o.crashes,
      fmt::format("{:016x}", o.fingerprint));
  if (!o.failure.empty()) out += "<p class=\"fail\">" + svg::escape(o.failure) + "</p>\n";
  if (!repro.empty()) out += "<p>repro: " + html::code(repro) + "</p>\n";
  return out + "</section>\n";
}

}  // namespace

std::string run_report_html(const ReportHeader& header, const RunOutcome& outcome,
                            const RunTimeline& timeline, const std::string& repro) {
  std::string body = summary_section(outcome, repro);
  body += "<section id=\"plots\">\n<h2>Timeline</h2>\n" + timeline_figure(timeline);
  body += "<h2>Client operations</h2>\n";
  if (timeline.operations.empty())
    body += "<p>This protocol's binding reports no client operations.</p>\n";
  body += latency_figure(timeline) + throughput_figure(timeline, unavailability(timeline));
  body += "<h2>Network</h2>\n" +
          series_figure(timeline, "in-flight", timeline.in_flight, 1,
                        "Messages sent and not yet delivered or dropped (the largest value within "
                        "each pixel is drawn).");
  if (!timeline.gauges.empty()) body += "<h2>Protocol</h2>\n" + gauge_figures(timeline);
  body += "</section>\n<section id=\"tables\">\n<h2>Checks</h2>\n" +
          html::checks_table(outcome.verdicts);
  body += "<h2>Timing</h2>\n" + metrics_table(outcome.metrics) + "</section>\n";
  return html::page(header, "run", body);
}

}  // namespace faultline::cli
