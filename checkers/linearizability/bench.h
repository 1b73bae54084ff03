// The linearizability benchmark: checks every history under a directory (jepsen/*.log and
// kv/*.txt, in name order) and prints per-file wall time (read + check, best of 10), beside
// Porcupine's on the same files when bench/porcupine/run.sh can run it (a Go toolchain and a
// Porcupine checkout; else it says why and prints faultline's figures alone), with the ratio
// per file and on the totals; then the scaling curve of generated single-key histories from
// 1,000 to 100,000 operations (time, states, memo-table bytes, peak resident memory) and fully
// concurrent distinct-value register histories.
//
// Timings are measurements, not assertions: nothing here decides a test.
#pragma once

#include <ostream>
#include <string>

#include "checkers/linearizability/history.h"

namespace faultline::lin {

// Returns 0 when every file was read and got a verdict, 1 otherwise. `source_dir` is the
// faultline checkout (for bench/porcupine/run.sh).
int run_benchmark(const std::string& histories_dir, const std::string& source_dir,
                  std::ostream& out);

// One scaling row alone (generate_register_history(count, 10, 42)), so that the process's peak
// resident memory is that row's: `faultline_bench_lin --generated 100000`.
int run_generated(std::size_t count, std::ostream& out);

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
