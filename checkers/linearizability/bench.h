// The linearizability benchmark: checks every history under a directory (jepsen/*.log and
// kv/*.txt, in name order), then a generated 5,000-operation single-key history and fully
// concurrent distinct-value register histories up to 100,000 operations, and prints
// per-file wall time (parse + check), the total, memo-table sizes and the process's peak
// resident memory (VmHWM from /proc/self/status).
//
// Timings are measurements, not assertions: nothing here decides a test.
#pragma once

#include <ostream>
#include <string>

#include "checkers/linearizability/history.h"

namespace faultline::lin {

// Returns 0 when every file was read and got a verdict, 1 otherwise.
int run_benchmark(const std::string& histories_dir, std::ostream& out);

// A deterministic single-key cas-register history: `count` operations executed sequentially
// against the model by `clients` clients with overlapping intervals; every 50th write or cas
// crashes (outcome unknown). Linearizable by construction.
History generate_register_history(std::size_t count, std::size_t clients, std::uint64_t seed);

// A fully concurrent single-key register history: `writes` writes of 1, 2, ... and `reads`
// reads of random written values or nil, every operation invoked before any returns (so it is
// linearizable), except that with `unwritten_read` the last read returns a value never written.
History generate_concurrent_register_history(std::size_t writes, std::size_t reads,
                                             bool unwritten_read, std::uint64_t seed);

}  // namespace faultline::lin
