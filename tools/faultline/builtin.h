// The protocols built into this faultline: one entry per faultline_add_protocol() line of the
// top-level CMakeLists.txt, in that order. Defined in a generated file (builtin_protocols.cc in
// the build tree), each entry compiled in its own generated translation unit.
#pragma once

#include <vector>

#include "tools/faultline/entry.h"

namespace faultline::cli {
std::vector<ProtocolEntry> builtin_protocols();
}  // namespace faultline::cli
