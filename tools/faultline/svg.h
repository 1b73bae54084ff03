// SVG drawing for run reports: a canvas that appends elements to a string, the scales that map
// values to pixels (linear and log 10), and "nice" axis ticks (1, 2, 5 times a power of ten).
//
// Why SVG written here: a report must open offline and be byte-identical for one command, and
// the plots are simple (lines, rectangles, dots). A vendored charting library would add hundreds
// of kilobytes of script to every file and draw at load time; gnuplot would be one more program
// to install. Coordinates are computed in double and printed to 0.1 px, so one binary writes
// the same bytes for the same data; nothing here feeds back into a run.
//
// Invariants: every string put into the SVG goes through escape(); a Scale maps its domain
// [lo, hi] onto [from_px, to_px] and clamps outside values to the ends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::cli::svg {

// Text made safe for HTML and SVG (markup.h).
std::string escape(std::string_view text);

struct Scale {
  double lo = 0;
  double hi = 1;
  double from_px = 0;
  double to_px = 1;
  bool log = false;  // log 10 (lo > 0)
  double operator()(double value) const;
};

struct Tick {
  double value = 0;
  std::string label;
};

// Ticks for durations in nanoseconds over [lo, hi]: about `count` at 1/2/5 steps, labelled as
// durations ("250ms", "1.5s").
std::vector<Tick> duration_ticks(double lo, double hi, int count);
// Ticks at each power of ten within [lo, hi] (a log axis of durations in nanoseconds).
std::vector<Tick> duration_decade_ticks(double lo, double hi);
// Ticks for plain counts over [lo, hi].
std::vector<Tick> count_ticks(double lo, double hi, int count);

struct Point {
  double x = 0;
  double y = 0;
};

class Canvas {
 public:
  Canvas(int width, int height);
  int width() const { return width_; }
  int height() const { return height_; }

  void rect(double x, double y, double w, double h, std::string_view css_class,
            std::string_view title = {});
  void line(Point a, Point b, std::string_view css_class);
  void polyline(const std::vector<Point>& points, std::string_view css_class,
                std::string_view title = {});
  void circle(Point at, double r, std::string_view css_class, std::string_view title = {});
  void text(Point at, std::string_view text, std::string_view css_class = "label",
            std::string_view anchor = "start");
  // Axis lines with ticks: x ticks along the bottom of the plot area, y ticks along its left.
  void x_axis(const Scale& x, const std::vector<Tick>& ticks, double y_px);
  void y_axis(const Scale& y, const std::vector<Tick>& ticks, double x_px);

  std::string finish() &&;  // the <svg> element

 private:
  int width_;
  int height_;
  std::string body_;
};

}  // namespace faultline::cli::svg
