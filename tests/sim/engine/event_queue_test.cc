// The event queue's order and limits: EventQueue against a reference heap ordered by (time,
// sequence), over long random schedules with equal times, far jumps and events scheduled before
// the last one popped; and its refusal at its slot limit (the engine's pending-events budget ends
// a run first, simulation_budget.h).
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <functional>
#include <queue>
#include <vector>

#include "sim/core/rng.h"
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
  EventQueue<std::uint64_t> queue;
  Reference reference;
  std::uint64_t sequence = 0;  // the queue numbers pushes the same way
  std::uint64_t now = 0;
  const auto push = [&](std::uint64_t time) {
    queue.push(Time{static_cast<std::int64_t>(time)}, sequence);
    reference.push(key_of(time, sequence++));
  };
  for (std::size_t i = 0; i < pending; ++i) push(now + draw_delay(rng, scale));
  for (std::size_t op = 0; op < operations; ++op) {
    if (!reference.empty() && rng.below(2 * pending + 2) <= pending) {
      RC_ASSERT(static_cast<std::uint64_t>(queue.next_time().nanoseconds) ==
                static_cast<std::uint64_t>(reference.top() >> 64));
      const auto popped = queue.pop();
      RC_ASSERT(key_of(static_cast<std::uint64_t>(popped.time.nanoseconds), popped.sequence) ==
                reference.top());
      RC_ASSERT(popped.payload == popped.sequence);
      now = static_cast<std::uint64_t>(reference.top() >> 64);
      reference.pop();
    } else {
      // Not monotone: an event may be scheduled before the last one popped.
      push((monotone || now == 0 ? now : rng.below(now)) + draw_delay(rng, scale));
    }
    RC_ASSERT(queue.size() == reference.size());
  }
  while (!reference.empty()) {
    const auto popped = queue.pop();
    RC_ASSERT(key_of(static_cast<std::uint64_t>(popped.time.nanoseconds), popped.sequence) ==
              reference.top());
    reference.pop();
  }
  RC_ASSERT(queue.empty());
}

}  // namespace

TEST_CASE("the event queue pops in (time, sequence) order over random schedules") {
  rc::prop("the same order as a reference heap", [] {
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const auto scale = *rc::gen::element<std::uint64_t>(1, 16, 1'000, 100'000, 10'000'000);
    const auto pending = *rc::gen::element<std::size_t>(1, 3, 100, 5'000);
    const auto monotone = *rc::gen::arbitrary<bool>();
    run_schedule(seed, scale, pending, 12'288, monotone);
  });
}

TEST_CASE("the event queue: equal times pop in scheduling order") {
  EventQueue<int> queue;
  for (int s = 0; s < 10; ++s) queue.push(Time{7}, s);
  queue.push(Time{6}, 100);
  CHECK(queue.pop().payload == 100);
  for (int s = 0; s < 10; ++s) CHECK(queue.pop().payload == s);
  CHECK(queue.empty());
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
