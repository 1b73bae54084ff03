// Strict unsigned options (seeds, seed counts). CLI11 converts "-1" to 2^64-1 for an unsigned
// option and also takes "0x10" or "1e3"; a seed or a count given on the command line is plain
// decimal digits within a documented range, and anything else is a usage error naming the
// option and the range.
#pragma once

#include <cstdint>
#include <limits>

#include <CLI/CLI.hpp>

namespace faultline::cli {

// The most seeds one `run --seeds` takes (each keeps a small outcome in memory until the
// summary); a larger sweep is sharded with --seed-start.
inline constexpr std::uint64_t seeds_max = 10'000'000;

// Accepts decimal digits whose value is in [min, max].
CLI::Validator unsigned_decimal(std::uint64_t min = 0,
                                std::uint64_t max = std::numeric_limits<std::uint64_t>::max());

// Whether the seeds start .. start+count-1 pass 2^64-1 (a range that would wrap to seed 0).
bool seed_range_wraps(std::uint64_t start, std::uint64_t count);

}  // namespace faultline::cli
