// The memo table's compact sets: exact (an insert is new iff that set and state were never
// inserted), and memory that grows with the number of states, not with states x history length.
// Memory is asserted in the bytes the table reports, never in wall time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "checkers/linearizability/bench.h"
#include "checkers/linearizability/memo_table.h"
#include "sim/core/rng.h"
#include "test_util.h"

using namespace faultline::lin;
using namespace faultline::lin::testing;

namespace {

// LinearizedSet's constructor argument: bit i set when operation i completed.
std::vector<std::uint64_t> completed_words(const std::vector<bool>& completed) {
  std::vector<std::uint64_t> words(LinearizedSet::words_for(completed.size()), 0);
  for (std::size_t i = 0; i < completed.size(); ++i)
    if (completed[i]) words[i >> 6] |= std::uint64_t{1} << (i & 63);
  return words;
}

// Random set/reset steps shaped like the search's, compared with a reference set of (bits,
// state) pairs: mostly near the frontier (the first unplaced completed operation), filling it
// more than emptying it; then unknown-outcome operations anywhere (the settled region's holes);
// then any operation (a deep backtrack).
void check_exactness(std::size_t bits, std::uint64_t seed) {
  faultline::Rng rng(seed);
  std::vector<bool> completed(bits);
  for (std::size_t i = 0; i < bits; ++i) completed[i] = rng.below(5) != 0;
  LinearizedSet set(completed_words(completed));
  MemoTable memo;
  std::vector<bool> mirror(bits, false);
  std::set<std::pair<std::vector<bool>, std::uint64_t>> seen;
  int mismatches = 0;
  for (int step = 0; step < 10'000; ++step) {
    std::size_t frontier = 0;
    while (frontier < bits && (mirror[frontier] || !completed[frontier])) ++frontier;
    const std::uint64_t action = rng.below(100);
    std::size_t pos = rng.below(bits);
    if (action < 80) {
      const std::size_t low = frontier > 8 ? frontier - 8 : 0;
      pos = std::min(bits - 1, low + rng.below(24));
      if (mirror[pos] && rng.below(8) != 0) continue;
    } else if (action < 97) {
      if (completed[pos]) continue;
    }
    if (mirror[pos])
      set.reset(static_cast<std::uint32_t>(pos));
    else
      set.set(static_cast<std::uint32_t>(pos));
    mirror[pos] = !mirror[pos];
    for (std::size_t i = 0; i < bits; i += 7)
      mismatches += set.test(static_cast<std::uint32_t>(i)) != mirror[i] ? 1 : 0;
    const std::uint64_t state = rng.below(3);
    // A weak hash (the number of bits set) makes many different sets share a hash and a probe
    // chain: only the exact comparison tells them apart.
    const std::uint64_t hash =
        static_cast<std::uint64_t>(std::count(mirror.begin(), mirror.end(), true));
    const bool is_new = seen.insert({mirror, state}).second;
    mismatches += memo.insert(hash, state, set) != is_new ? 1 : 0;
  }
  CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("the memo table is exact: an insert is new iff its set and state are new",
          "[lin][memo]") {
  check_exactness(70, 1);   // two words, one of them partial
  check_exactness(300, 2);  // a tree of eight leaves
  check_exactness(1, 3);
}

TEST_CASE("an entry depends on the set only, not on the path that reached it", "[lin][memo]") {
  const std::vector<bool> completed(192, true);  // three words
  LinearizedSet set(completed_words(completed));
  MemoTable memo;
  auto set_range = [&](std::uint32_t from, std::uint32_t to) {
    for (std::uint32_t i = from; i < to; ++i) set.set(i);
  };
  // Path A: words 0 and 1 settled, word 2 still missing operation 150 when 0 is unplaced.
  set_range(0, 150);
  set_range(151, 192);
  CHECK(set.lo() == 2);
  set.reset(0);
  CHECK(set.lo() == 0);
  set.set(150);
  CHECK(memo.insert(7, 1, set));
  for (std::uint32_t i = 1; i < 192; ++i) set.reset(i);
  CHECK(set.hi() == 0);
  // Path B: every word settled, then operation 0 unplaced (the settled region shrinks to none).
  set_range(0, 192);
  CHECK(set.lo() == 3);
  set.reset(0);
  CHECK_FALSE(memo.insert(7, 1, set));  // the same set and state as path A's
  CHECK(memo.insert(7, 2, set));        // another state
}

TEST_CASE("memo memory grows linearly: a 100,000-operation register history", "[lin][memo]") {
  std::uint64_t bytes_50k = 0;
  for (const std::size_t count : {std::size_t{50'000}, std::size_t{100'000}}) {
    const History history = generate_register_history(count, 10, 42);
    auto report = check_history(history, ModelKind::cas_register, test_options());
    REQUIRE(report);
    INFO(count << " operations: " << report->states << " states, " << report->memo_peak_bytes
               << " memo bytes");
    CHECK(report->verdict == Verdict::linearizable);
    CHECK(report->states < 2 * count);
    // 118 bytes a state were measured; a bitset of every operation would be 12,500 at 100,000.
    CHECK(report->memo_peak_bytes < 256 * report->states);
    if (count == 50'000) bytes_50k = report->memo_peak_bytes;
    if (count == 100'000) CHECK(report->memo_peak_bytes <= 3 * bytes_50k);
  }
}
