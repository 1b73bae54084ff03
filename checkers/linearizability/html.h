// A self-contained HTML page (inline CSS and SVG, no scripts or fonts) showing one key's
// operations as bars on per-client lanes: the failing (or first unknown) key when there is one,
// else the first key. Operations of the longest linearizable prefix are numbered in their
// linearization order; the operations that could not be placed are red. Times are drawn by rank
// (each distinct event time one step), so sparse nanosecond times stay readable.
#pragma once

#include <string>

#include "checkers/linearizability/checker.h"
#include "checkers/linearizability/history.h"

namespace faultline::lin {

std::string render_html(const History& history, const Report& report, const std::string& title);

}  // namespace faultline::lin
