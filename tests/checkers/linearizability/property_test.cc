// Properties: the fast checker agrees with the brute force on small generated histories
// (including operations with unknown outcome), sequential executions with arbitrary overlapping
// intervals are linearizable, and a read of a never-written value breaks them.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "brute_force.h"
#include "test_util.h"

using namespace faultline::lin;
using namespace faultline::lin::testing;

namespace {

Value small_int_or_nil(int n) { return n == 0 ? Value{} : Value{std::int64_t{n}}; }

// Up to 7 register/cas operations on one or two keys, values in {nil, 1, 2}, some crashed.
History gen_register_history(bool with_cas) {
  History h;
  const int count = *rc::gen::inRange(1, 8);
  const int keys = *rc::gen::inRange(1, 3);
  for (int i = 0; i < count; ++i) {
    Operation o;
    o.client = i;
    o.invoke_ns = *rc::gen::inRange(0, 12);
    if (*rc::gen::inRange(0, 5) != 0) o.return_ns = o.invoke_ns + *rc::gen::inRange(0, 6);
    o.key = keys == 1 ? "" : std::string(1, static_cast<char>('a' + *rc::gen::inRange(0, keys)));
    const int kind = *rc::gen::inRange(0, with_cas ? 3 : 2);
    o.kind = kind == 0 ? OpKind::read : kind == 1 ? OpKind::write : OpKind::cas;
    if (o.kind == OpKind::read) o.result = small_int_or_nil(*rc::gen::inRange(0, 3));
    if (o.kind == OpKind::write) o.argument = small_int_or_nil(*rc::gen::inRange(1, 3));
    if (o.kind == OpKind::cas) {
      o.argument = small_int_or_nil(*rc::gen::inRange(0, 3));
      o.argument2 = small_int_or_nil(*rc::gen::inRange(1, 3));
    }
    h.operations.push_back(std::move(o));
  }
  return h;
}

// Up to 7 append/get/put operations on one key; get results drawn from strings the appends
// could plausibly build, so both verdicts occur.
History gen_append_history() {
  static const std::vector<std::string> results = {"",   "a",  "b",   "ab", "ba", "p",
                                                   "pa", "ap", "abp", "pb", "aab"};
  History h;
  const int count = *rc::gen::inRange(1, 8);
  for (int i = 0; i < count; ++i) {
    Operation o;
    o.client = i;
    o.key = "k";
    o.invoke_ns = *rc::gen::inRange(0, 12);
    if (*rc::gen::inRange(0, 5) != 0) o.return_ns = o.invoke_ns + *rc::gen::inRange(0, 6);
    const int kind = *rc::gen::inRange(0, 6);
    if (kind <= 1) {
      o.kind = OpKind::read;
      o.result =
          results[static_cast<std::size_t>(*rc::gen::inRange(0, static_cast<int>(results.size())))];
    } else if (kind <= 4) {
      o.kind = OpKind::append;
      o.argument = std::string(1, *rc::gen::element('a', 'b'));
    } else {
      o.kind = OpKind::write;
      o.argument = std::string("p");
    }
    h.operations.push_back(std::move(o));
  }
  return h;
}

}  // namespace

TEST_CASE("fast checker agrees with brute force", "[lin][property]") {
  rc::prop("read/write register", [] {
    const History h = gen_register_history(false);
    RC_ASSERT((verdict_of(h, ModelKind::register_rw) == Verdict::linearizable) ==
              brute_force_linearizable(h, ModelKind::register_rw));
  });
  rc::prop("cas register / kv", [] {
    const History h = gen_register_history(true);
    const Verdict fast = verdict_of(h, ModelKind::kv);
    RC_ASSERT(fast != Verdict::unknown);
    RC_ASSERT((fast == Verdict::linearizable) == brute_force_linearizable(h, ModelKind::kv));
  });
  rc::prop("append-only list", [] {
    const History h = gen_append_history();
    const Verdict fast = verdict_of(h, ModelKind::append_list);
    RC_ASSERT(fast != Verdict::unknown);
    RC_ASSERT((fast == Verdict::linearizable) ==
              brute_force_linearizable(h, ModelKind::append_list));
  });
}

namespace {

// Executes random operations one after another against a cas register, then gives each an
// interval around its (hidden) linearization point; some writes and cas crash after taking effect.
History gen_sequential_history() {
  History h;
  const int count = *rc::gen::inRange(1, 120);
  const int spread = *rc::gen::inRange(0, 60);
  std::int64_t value = 0;  // 0 stands for nil
  for (int i = 0; i < count; ++i) {
    Operation o;
    o.client = *rc::gen::inRange(0, 6);
    const std::int64_t point = 10 * (i + 1);
    o.invoke_ns = point - *rc::gen::inRange(0, spread + 1);
    o.return_ns = point + *rc::gen::inRange(0, spread + 1);
    const int kind = *rc::gen::inRange(0, 3);
    if (kind == 0) {
      o.kind = OpKind::read;
      o.result = small_int_or_nil(static_cast<int>(value));
    } else if (kind == 1 || value == 0) {
      o.kind = OpKind::write;
      value = *rc::gen::inRange(1, 5);
      o.argument = value;
    } else {
      o.kind = OpKind::cas;
      o.argument = value;
      value = *rc::gen::inRange(1, 5);
      o.argument2 = value;
    }
    if (o.kind != OpKind::read && *rc::gen::inRange(0, 10) == 0) o.return_ns.reset();
    h.operations.push_back(std::move(o));
  }
  return h;
}

}  // namespace

TEST_CASE("sequential executions with overlapping intervals are linearizable", "[lin][property]") {
  rc::prop("linearizable", [] {
    const History h = gen_sequential_history();
    RC_ASSERT(verdict_of(h, ModelKind::cas_register) == Verdict::linearizable);
  });
  rc::prop("one read of a never-written value breaks it", [] {
    History h = gen_sequential_history();
    std::vector<std::size_t> reads;
    for (std::size_t i = 0; i < h.operations.size(); ++i)
      if (h.operations[i].kind == OpKind::read && h.operations[i].completed()) reads.push_back(i);
    RC_PRE(!reads.empty());
    const std::size_t victim = *rc::gen::elementOf(reads);
    h.operations[victim].result = std::int64_t{999};
    RC_ASSERT(verdict_of(h, ModelKind::cas_register) == Verdict::not_linearizable);
  });
}
