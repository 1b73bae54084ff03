#include "tools/faultline/svg.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "sim/core/time.h"
#include "tools/faultline/markup.h"

namespace faultline::cli::svg {

std::string escape(std::string_view text) { return escape_markup(text); }

double Scale::operator()(double value) const {
  double a = lo, b = hi, v = std::clamp(value, std::min(lo, hi), std::max(lo, hi));
  if (log) {
    a = std::log10(std::max(lo, 1e-300));
    b = std::log10(std::max(hi, 1e-300));
    v = std::log10(std::max(v, 1e-300));
  }
  if (b == a) return from_px;
  return from_px + (v - a) / (b - a) * (to_px - from_px);
}

namespace {

// The 1/2/5 x 10^k step giving about `count` ticks over `span`.
double nice_step(double span, int count) {
  if (span <= 0 || count <= 0) return 1;
  const double raw = span / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

std::string duration_label(double ns) {
  return format_duration(Duration{static_cast<std::int64_t>(std::llround(ns))});
}

std::string count_label(double value) {
  const auto n = static_cast<long long>(std::llround(value));
  if (n >= 1'000'000 && n % 100'000 == 0) return fmt::format("{}M", static_cast<double>(n) / 1e6);
  if (n >= 10'000 && n % 1'000 == 0) return fmt::format("{}k", n / 1000);
  return fmt::format("{}", n);
}

template <class Label>
std::vector<Tick> linear_ticks(double lo, double hi, int count, Label&& label) {
  std::vector<Tick> ticks;
  const double step = nice_step(hi - lo, count);
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push_back(Tick{v, label(v)});
  return ticks;
}

std::string num(double v) { return fmt::format("{:.1f}", v); }

}  // namespace

std::vector<Tick> duration_ticks(double lo, double hi, int count) {
  return linear_ticks(lo, hi, count, duration_label);
}

std::vector<Tick> count_ticks(double lo, double hi, int count) {
  // Counts are whole: never a step below 1, or labels repeat ("1 1 2 2").
  const int whole = static_cast<int>(std::max(1.0, std::ceil(hi - lo)));
  return linear_ticks(lo, hi, std::min(count, whole), count_label);
}

std::vector<Tick> duration_decade_ticks(double lo, double hi) {
  std::vector<Tick> ticks;
  for (double v = 1; v <= hi * 1.000001; v *= 10)
    if (v >= lo * 0.999999) ticks.push_back(Tick{v, duration_label(v)});
  return ticks;
}

Canvas::Canvas(int width, int height) : width_(width), height_(height) {}

void Canvas::rect(double x, double y, double w, double h, std::string_view css_class,
                  std::string_view title) {
  body_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"{}\"", num(x),
                       num(y), num(std::max(w, 0.0)), num(std::max(h, 0.0)), css_class);
  body_ += title.empty() ? "/>\n" : "><title>" + escape(title) + "</title></rect>\n";
}

void Canvas::line(Point a, Point b, std::string_view css_class) {
  body_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"{}\"/>\n", num(a.x),
                       num(a.y), num(b.x), num(b.y), css_class);
}

void Canvas::polyline(const std::vector<Point>& points, std::string_view css_class,
                      std::string_view title) {
  if (points.empty()) return;
  body_ += "<polyline class=\"" + std::string(css_class) + "\" points=\"";
  for (const Point& p : points) body_ += num(p.x) + "," + num(p.y) + " ";
  body_.back() = '"';
  body_ += title.empty() ? "/>\n" : "><title>" + escape(title) + "</title></polyline>\n";
}

void Canvas::circle(Point at, double r, std::string_view css_class, std::string_view title) {
  body_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" class=\"{}\"", num(at.x), num(at.y),
                       num(r), css_class);
  body_ += title.empty() ? "/>\n" : "><title>" + escape(title) + "</title></circle>\n";
}

void Canvas::text(Point at, std::string_view text, std::string_view css_class,
                  std::string_view anchor) {
  body_ += fmt::format("<text x=\"{}\" y=\"{}\" class=\"{}\" text-anchor=\"{}\">{}</text>\n",
                       num(at.x), num(at.y), css_class, anchor, escape(text));
}

void Canvas::x_axis(const Scale& x, const std::vector<Tick>& ticks, double y_px) {
  line({x.from_px, y_px}, {x.to_px, y_px}, "axis");
  for (const Tick& t : ticks) {
    const double px = x(t.value);
    line({px, y_px}, {px, y_px + 4}, "axis");
    text({px, y_px + 16}, t.label, "label", "middle");
  }
}

void Canvas::y_axis(const Scale& y, const std::vector<Tick>& ticks, double x_px) {
  line({x_px, y.from_px}, {x_px, y.to_px}, "axis");
  for (const Tick& t : ticks) {
    const double py = y(t.value);
    line({x_px - 4, py}, {x_px, py}, "axis");
    text({x_px - 6, py + 4}, t.label, "label", "end");
  }
}

std::string Canvas::finish() && {
  return fmt::format(
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
             "viewBox=\"0 0 {} {}\">\n",
             width_, height_, width_, height_) +
         body_ + "</svg>\n";
}

}  // namespace faultline::cli::svg
