// The reads-from check: a polynomial-time decision for one key's register history when every
// write has a distinct value (Gibbons & Korach, "Testing shared memories", SIAM J. Comput. 1997:
// with a known reads-from mapping, register linearizability is decidable in O(n log n)).
//
// When values are distinct, each read names the write it saw. Group every write with the reads of
// its value (the initial nil is a write at -infinity). A linearization is then a sequence of whole
// groups, each its write followed by its reads: a read in the middle of another group would see
// the wrong value. So the history is linearizable iff
//   1. every read's value was written (or is the initial nil),
//   2. no read returns before its write is invoked,
//   3. the groups can be ordered: group A must precede group B when some operation of A returns
//      before some operation of B is invoked (min return of A < max invoke of B); these
//      constraints have no cycle. Any cycle implies one of length two (take the group with the
//      largest max invoke in the cycle and its successor), so checking pairs suffices, in
//      O(g log g) for g groups.
// Within a group, write first and then the reads by return time respects real time, given 2.
// Operations with unknown outcome: a write no read saw is left out (it may not have taken
// effect, or it took effect after everything else: either way no read changes); a write some
// read saw did take effect, at a time after its invocation (return +infinity).
//
// The check applies only to read/write operations with distinct non-nil written values; it says
// "not applicable" otherwise (a value written twice, a write of nil, a cas, an append), and the
// caller runs the general search. Times compare as in the search: a precedes b only if a returns
// strictly before b is invoked.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <span>

#include "checkers/linearizability/model.h"

namespace faultline::lin {

// Stands for the write of the initial value (nil) in a conflict, and for "no operation".
inline constexpr std::uint32_t initial_write = std::numeric_limits<std::uint32_t>::max();

struct ReadsFromConflict {
  enum class Kind {
    never_written,      // ops[0]: a read of a value no operation writes
    read_before_write,  // ops[0]: a read that returned before ops[1], the write of its value,
                        // was invoked
    cycle,              // ops[0] returned before ops[1] was invoked, so ops[0]'s group must precede
            // ops[1]'s; ops[2] (in ops[1]'s group) returned before ops[3] (in ops[0]'s group)
            // was invoked, so it must also follow it. ops[0] may be initial_write.
  };
  Kind kind = Kind::never_written;
  // Indices into the partition's operations; unused entries are initial_write.
  std::array<std::uint32_t, 4> ops{};
};

struct ReadsFromVerdict {
  enum class Outcome { not_applicable, linearizable, not_linearizable };
  Outcome outcome = Outcome::not_applicable;
  ReadsFromConflict conflict;  // set when not_linearizable
};

// `ops` are one key's operations compiled by a register model (value ids, 0 = nil); invoke_ns
// and return_ns are parallel to them (return +infinity for an unknown outcome).
ReadsFromVerdict check_reads_from(std::span<const CompiledOp> ops,
                                  std::span<const std::int64_t> invoke_ns,
                                  std::span<const std::int64_t> return_ns);

}  // namespace faultline::lin
