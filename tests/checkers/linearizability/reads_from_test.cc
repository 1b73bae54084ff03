// The reads-from check (distinct written values) against the general search and the brute force:
// hand-written cases for each kind of violation and its explanation, and a rapidcheck property
// over generated register histories with distinct values, some linearizable by construction and
// some mutated.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "brute_force.h"
#include "test_util.h"

using namespace faultline::lin;
using namespace faultline::lin::testing;
using I = std::int64_t;

namespace {

Report check(const History& h, ModelKind model, bool reads_from) {
  CheckOptions options = test_options();
  options.reads_from_check = reads_from;
  auto report = check_history(h, model, options);
  REQUIRE(report);
  return *report;
}

bool all_by_reads_from(const Report& report) {
  for (const PartitionReport& part : report.partitions)
    if (!part.by_reads_from) return false;
  return true;
}

}  // namespace

TEST_CASE("reads-from check: decides distinct-value keys, leaves the rest to the search",
          "[lin][reads_from]") {
  History distinct{
      {write(0, 0, 10, I{1}), write(1, 0, 10, I{2}), read(2, 0, 10, I{2}), read(3, 11, 12, I{2})}};
  const Report fast = check(distinct, ModelKind::register_rw, true);
  CHECK(fast.verdict == Verdict::linearizable);
  CHECK(all_by_reads_from(fast));
  CHECK(fast.states == 0);
  History repeated{{write(0, 0, 10, I{1}), write(1, 0, 10, I{1}), read(2, 11, 12, I{1})}};
  CHECK_FALSE(check(repeated, ModelKind::register_rw, true).partitions[0].by_reads_from);
  History nil_write{{write(0, 0, 10, Value{}), read(2, 11, 12, Value{})}};
  CHECK_FALSE(check(nil_write, ModelKind::register_rw, true).partitions[0].by_reads_from);
  History with_cas{{write(0, 0, 1, I{1}), cas(1, 2, 3, I{1}, I{2}), read(0, 4, 5, I{2})}};
  CHECK_FALSE(check(with_cas, ModelKind::cas_register, true).partitions[0].by_reads_from);
  CHECK_FALSE(check(distinct, ModelKind::register_rw, false).partitions[0].by_reads_from);
}

TEST_CASE("reads-from check: each kind of violation is explained", "[lin][reads_from]") {
  History unwritten{{write(0, 0, 10, I{1}), read(1, 11, 12, I{7})}};
  Report r = check(unwritten, ModelKind::register_rw, true);
  CHECK(r.verdict == Verdict::not_linearizable);
  CHECK(r.partitions[0].reason.find("read -> 7 returns a value no write wrote") !=
        std::string::npos);
  History early{{read(1, 0, 1, I{5}), write(0, 2, std::nullopt, I{5})}};
  r = check(early, ModelKind::register_rw, true);
  CHECK(r.verdict == Verdict::not_linearizable);
  CHECK(r.partitions[0].reason.find("returned before the only write of its value") !=
        std::string::npos);
  History stale{{write(0, 0, 1, I{1}), write(0, 2, 3, I{2}), read(1, 4, 5, I{1})}};
  r = check(stale, ModelKind::register_rw, true);
  CHECK(r.verdict == Verdict::not_linearizable);
  CHECK(r.partitions[0].reason.find("no order of the blocks fits") != std::string::npos);
  History nil_late{{write(0, 0, 1, I{1}), read(1, 2, 3, Value{})}};
  r = check(nil_late, ModelKind::register_rw, true);
  CHECK(r.verdict == Verdict::not_linearizable);
  CHECK(r.partitions[0].reason.find("nil is the initial value") != std::string::npos);
  // The search found the usual explanation within its explanation budget.
  CHECK(r.partitions[0].prefix_searched);
  CHECK(explain(nil_late, r).find("longest linearizable prefix found: 1 of 2") !=
        std::string::npos);
}

TEST_CASE("reads-from check: without states for the explanation, its own account stands",
          "[lin][reads_from]") {
  History stale{{write(0, 0, 1, I{1}), write(0, 2, 3, I{2}), read(1, 4, 5, I{1})}};
  CheckOptions options = test_options();
  options.explanation_states = 1;
  auto r = check_history(stale, ModelKind::register_rw, options);
  REQUIRE(r);
  CHECK(r->verdict == Verdict::not_linearizable);
  CHECK_FALSE(r->partitions[0].prefix_searched);
  CHECK(r->partitions[0].candidates.size() == 3);  // the operations of the proof, shown in red
  const std::string text = explain(stale, *r);
  CHECK(text.find("longest linearizable prefix") == std::string::npos);
  CHECK(text.find("client 0 [2, 3] write 2") != std::string::npos);
}

namespace {

// A register executed one operation after another (values 1, 2, ... written once each), with an
// interval around each hidden linearization point; some writes crash (took effect or not), some
// reads crash, reads of nil occur before the first write. Linearizable by construction.
History gen_distinct_history(int max_ops) {
  History h;
  const int count = *rc::gen::inRange(1, max_ops + 1);
  const int spread = *rc::gen::inRange(0, 30);
  std::int64_t current = 0;  // 0: nil
  std::int64_t next_value = 1;
  for (int i = 0; i < count; ++i) {
    Operation o;
    o.client = i;
    const std::int64_t point = 10 * (i + 1);
    o.invoke_ns = point - *rc::gen::inRange(0, spread + 1);
    o.return_ns = point + *rc::gen::inRange(0, spread + 1);
    const bool crash = *rc::gen::inRange(0, 6) == 0;
    if (*rc::gen::inRange(0, 2) == 0) {
      o.kind = OpKind::read;
      o.result = current == 0 ? Value{} : Value{current};
    } else {
      o.kind = OpKind::write;
      o.argument = next_value++;
      // A crashed write may or may not have taken effect.
      if (!crash || *rc::gen::inRange(0, 2) == 0) current = std::get<std::int64_t>(o.argument);
    }
    if (crash) o.return_ns.reset();
    h.operations.push_back(std::move(o));
  }
  return h;
}

// One mutation: a read returns another value (written, nil or never written), or an operation's
// interval moves.
void mutate(History& h) {
  Operation& o = h.operations[*rc::gen::inRange<std::size_t>(0, h.operations.size())];
  const int what = *rc::gen::inRange(0, 3);
  if (what == 0 && o.kind == OpKind::read && o.completed()) {
    const int v = *rc::gen::inRange(0, static_cast<int>(h.operations.size()) + 2);
    o.result = v == 0 ? Value{} : Value{std::int64_t{v}};
    return;
  }
  const std::int64_t length = o.return_ns ? *o.return_ns - o.invoke_ns : 0;
  o.invoke_ns = *rc::gen::inRange(0, 10 * static_cast<int>(h.operations.size()) + 20);
  if (o.return_ns) o.return_ns = o.invoke_ns + (what == 1 ? length : 0);
}

}  // namespace

TEST_CASE("reads-from check agrees with the search and the brute force", "[lin][property]") {
  rc::prop("generated distinct-value histories, linearizable by construction", [] {
    const History h = gen_distinct_history(14);
    const Report fast = check(h, ModelKind::register_rw, true);
    RC_ASSERT(all_by_reads_from(fast));
    RC_ASSERT(fast.verdict == Verdict::linearizable);
    RC_ASSERT(check(h, ModelKind::register_rw, false).verdict == Verdict::linearizable);
  });
  rc::prop("mutated ones: same verdict as the search", [] {
    History h = gen_distinct_history(14);
    const int mutations = *rc::gen::inRange(1, 4);
    for (int i = 0; i < mutations; ++i) mutate(h);
    const Report fast = check(h, ModelKind::kv, true);
    const Report search = check(h, ModelKind::kv, false);
    RC_ASSERT(all_by_reads_from(fast));
    RC_ASSERT(search.verdict != Verdict::unknown);
    RC_ASSERT(fast.verdict == search.verdict);
    RC_TAG(fast.verdict == Verdict::linearizable ? "linearizable" : "not linearizable");
  });
  rc::prop("small mutated ones: same verdict as the brute force", [] {
    History h = gen_distinct_history(7);
    mutate(h);
    const Report fast = check(h, ModelKind::register_rw, true);
    RC_ASSERT((fast.verdict == Verdict::linearizable) ==
              brute_force_linearizable(h, ModelKind::register_rw));
  });
}
