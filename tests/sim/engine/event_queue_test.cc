// The event queue's order and limits: CalendarKeys (calendar_keys.h) against a reference heap
// ordered by (time, sequence), over long random schedules that make the bucket width adapt, with
// equal times, far jumps and keys below the current bucket; and EventQueue's refusal at its slot
// limit (the engine's pending-events budget ends a run first, simulation_budget.h).
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <functional>
#include <queue>
#include <vector>

#include "sim/core/rng.h"
#include "sim/engine/calendar_keys.h"
#include "sim/engine/event_queue.h"

using namespace faultline;

namespace {

using Reference = std::priority_queue<uint128, std::vector<uint128>, std::greater<>>;

uint128 key_of(std::uint64_t time, std::uint64_t sequence) {
  return static_cast<uint128>(time) << 64 | sequence;
}

// A schedule's next delay: mostly small and often zero (equal times), sometimes a far jump.
std::uint64_t draw_delay(Rng& rng, std::uint64_t scale) {
  switch (rng.below(8)) {
    case 0: return 0;
    case 1: return rng.below(1'000'000'000);  // far: past the ring's horizon
    default: return rng.below(scale);
  }
}

// `operations` random pushes and pops, each pop checked against the reference.
void run_schedule(std::uint64_t seed, std::uint64_t scale, std::size_t pending,
                  std::size_t operations, bool monotone) {
  Rng rng(seed);
  CalendarKeys keys;
  Reference reference;
  std::uint64_t sequence = 0;
  std::uint64_t now = 0;
  for (std::size_t i = 0; i < pending; ++i) {
    const uint128 key = key_of(now + draw_delay(rng, scale), sequence++);
    keys.push(key);
    reference.push(key);
  }
  for (std::size_t op = 0; op < operations; ++op) {
    const bool pop = !reference.empty() && rng.below(2 * pending + 2) <= pending;
    if (pop) {
      RC_ASSERT(keys.top() == reference.top());
      RC_ASSERT(keys.pop() == reference.top());
      now = static_cast<std::uint64_t>(reference.top() >> 64);
      reference.pop();
    } else {
      // Not monotone: a key may go below the current bucket (CalendarKeys allows it).
      const std::uint64_t base = monotone || now == 0 ? now : rng.below(now);
      const uint128 key = key_of(base + draw_delay(rng, scale), sequence++);
      keys.push(key);
      reference.push(key);
    }
    RC_ASSERT(keys.size() == reference.size());
  }
  while (!reference.empty()) {
    RC_ASSERT(keys.pop() == reference.top());
    reference.pop();
  }
  RC_ASSERT(keys.empty());
}

}  // namespace

TEST_CASE("calendar keys pop in key order over schedules that make the width adapt") {
  rc::prop("the same order as a heap", [] {
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const auto scale = *rc::gen::element<std::uint64_t>(1, 16, 1'000, 100'000, 10'000'000);
    const auto pending = *rc::gen::element<std::size_t>(1, 3, 100, 5'000);
    const auto monotone = *rc::gen::arbitrary<bool>();
    run_schedule(seed, scale, pending, 3 * CalendarKeys::kEpoch, monotone);
  });
}

TEST_CASE("calendar keys: equal times pop in sequence order, and the width follows the gaps") {
  CalendarKeys keys;
  for (std::uint64_t s = 0; s < 10; ++s) keys.push(key_of(7, 100 - s * 3));
  keys.push(key_of(6, 1000));
  CHECK(keys.pop() == key_of(6, 1000));
  std::uint64_t last = 0;
  while (!keys.empty()) {
    const uint128 key = keys.pop();
    CHECK(static_cast<std::uint64_t>(key >> 64) == 7);
    CHECK(static_cast<std::uint64_t>(key) > last);
    last = static_cast<std::uint64_t>(key);
  }
  // A steady schedule 1 us apart, 100 pending: the width settles near half the gap (2^9 ns).
  std::uint64_t sequence = 0;
  for (std::uint64_t i = 0; i < 100; ++i) keys.push(key_of(i * 1000, sequence++));
  for (std::uint64_t i = 0; i < 4 * CalendarKeys::kEpoch; ++i) {
    const uint128 key = keys.pop();
    keys.push(key_of(static_cast<std::uint64_t>(key >> 64) + 100'000, sequence++));
  }
  CHECK(keys.shift() == 9);
}

TEST_CASE("the event queue refuses a push at its slot limit and says so, and still pops") {
  EventQueue<int, 64> queue;
  for (int i = 0; i < 63; ++i) queue.push(Time{100 - i}, i);
  CHECK_FALSE(queue.overflowed());
  CHECK(queue.size() == 63);
  queue.push(Time{1}, 63);
  CHECK(queue.overflowed());
  CHECK(queue.size() == 63);
  CHECK(queue.pop().payload == 62);  // time 38: the earliest, unchanged by the refused push
  queue.push(Time{1'000}, 64);       // a freed slot is reused
  CHECK(queue.size() == 63);
  std::vector<int> order;
  while (!queue.empty()) order.push_back(queue.pop().payload);
  CHECK(order.size() == 63);
  CHECK(order.back() == 64);
}
