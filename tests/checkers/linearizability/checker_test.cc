#include <catch2/catch.hpp>

#include "checkers/linearizability/checker.h"
#include "test_util.h"

using namespace faultline::lin;
using namespace faultline::lin::testing;
using I = std::int64_t;

TEST_CASE("an empty history is linearizable", "[lin]") {
  CHECK(verdict_of(History{}, ModelKind::cas_register) == Verdict::linearizable);
}

TEST_CASE("sequential register history", "[lin]") {
  History h{{write(0, 0, 1, I{1}), read(1, 2, 3, I{1}), write(0, 4, 5, I{2}), read(1, 6, 7, I{2})}};
  CHECK(verdict_of(h, ModelKind::register_rw) == Verdict::linearizable);
  // With a value written twice (not for the reads-from check), replayed without a search; the
  // count is the search's: each operation placed once.
  History repeated{
      {write(0, 0, 1, I{1}), read(1, 2, 3, I{1}), write(0, 4, 5, I{1}), read(1, 6, 7, I{1})}};
  auto report = check_history(repeated, ModelKind::register_rw, test_options());
  REQUIRE(report);
  CHECK(report->states == 4);
  // Touching intervals (a return at the next invocation's time) are concurrent, not sequential.
  History touching{{write(0, 0, 2, I{1}), read(1, 2, 3, {}), write(0, 4, 5, I{2})}};
  CHECK(verdict_of(touching, ModelKind::register_rw) == Verdict::linearizable);
}

TEST_CASE("a stale read after a completed write is not linearizable", "[lin]") {
  History h{{write(0, 0, 1, I{1}), write(0, 2, 3, I{2}), read(1, 4, 5, I{1})}};
  auto report = check_history(h, ModelKind::register_rw, test_options());
  REQUIRE(report);
  CHECK(report->verdict == Verdict::not_linearizable);
  REQUIRE(report->failing);
  const PartitionReport& part = report->partitions[*report->failing];
  CHECK(part.longest_prefix == std::vector<std::size_t>{0, 1});
  REQUIRE(part.candidates.size() == 1);
  CHECK(part.candidates[0].operation == 2);
  CHECK_FALSE(part.candidates[0].legal_here);
  CHECK(part.state_after_prefix == "2");
  const std::string text = explain(h, *report);
  CHECK(text.find("not linearizable") != std::string::npos);
  CHECK(text.find("longest linearizable prefix found: 2 of 3") != std::string::npos);
}

TEST_CASE("concurrent operations may take effect in either order", "[lin]") {
  History h{{write(0, 0, 10, I{1}), read(1, 1, 2, I{1}), read(2, 3, 4, {})}};
  // read nil at [3,4] after read 1 at [1,2] while write 1 is still pending: not linearizable.
  CHECK(verdict_of(h, ModelKind::register_rw) == Verdict::not_linearizable);
  History ok{{write(0, 0, 10, I{1}), read(1, 1, 2, {}), read(2, 3, 4, I{1})}};
  CHECK(verdict_of(ok, ModelKind::register_rw) == Verdict::linearizable);
}

TEST_CASE("an operation with unknown outcome may or may not take effect", "[lin]") {
  // The crashed write of 5 is seen by one read...
  History seen{{write(0, 0, std::nullopt, I{5}), read(1, 10, 11, I{5})}};
  CHECK(verdict_of(seen, ModelKind::register_rw) == Verdict::linearizable);
  // ...or by no read at all.
  History unseen{{write(0, 0, std::nullopt, I{5}), read(1, 10, 11, {})}};
  CHECK(verdict_of(unseen, ModelKind::register_rw) == Verdict::linearizable);
  // But it cannot take effect before it was invoked.
  History early{{read(1, 0, 1, I{5}), write(0, 2, std::nullopt, I{5})}};
  CHECK(verdict_of(early, ModelKind::register_rw) == Verdict::not_linearizable);
  // Once seen and then overwritten, it cannot reappear.
  History twice{{write(0, 0, std::nullopt, I{5}), read(1, 10, 11, I{5}), write(1, 12, 13, I{6}),
                 read(1, 14, 15, I{5})}};
  CHECK(verdict_of(twice, ModelKind::register_rw) == Verdict::not_linearizable);
}

TEST_CASE("compare-and-set register", "[lin]") {
  History ok{{write(0, 0, 1, I{1}), cas(1, 2, 3, I{1}, I{2}), read(0, 4, 5, I{2})}};
  CHECK(verdict_of(ok, ModelKind::cas_register) == Verdict::linearizable);
  History bad{{write(0, 0, 1, I{1}), cas(1, 2, 3, I{3}, I{2})}};  // an ok cas whose from never held
  CHECK(verdict_of(bad, ModelKind::cas_register) == Verdict::not_linearizable);
  auto rejected = check_history(ok, ModelKind::register_rw, test_options());
  REQUIRE_FALSE(rejected);
  CHECK(rejected.error().what.find("no 'cas'") != std::string::npos);
}

TEST_CASE("key-value map: keys are independent", "[lin]") {
  History h{{write(0, 0, 1, I{1}, "a"), write(0, 2, 3, I{2}, "b"), read(1, 4, 5, I{1}, "a"),
             read(1, 6, 7, I{2}, "b")}};
  CHECK(verdict_of(h, ModelKind::kv) == Verdict::linearizable);
  h.operations.push_back(read(1, 8, 9, I{2}, "a"));
  auto report = check_history(h, ModelKind::kv, test_options());
  REQUIRE(report);
  CHECK(report->verdict == Verdict::not_linearizable);
  CHECK(report->partitions[*report->failing].key == "a");
}

TEST_CASE("append-only list per key", "[lin]") {
  History ok{{append(0, 0, 10, std::string("x"), "k"), append(1, 1, 11, std::string("y"), "k"),
              read(2, 12, 13, std::string("yx"), "k")}};
  CHECK(verdict_of(ok, ModelKind::append_list) == Verdict::linearizable);
  History bad{{append(0, 0, 1, std::string("x"), "k"), append(1, 2, 3, std::string("y"), "k"),
               read(2, 12, 13, std::string("yx"), "k")}};
  CHECK(verdict_of(bad, ModelKind::append_list) == Verdict::not_linearizable);
  History put{{append(0, 0, 1, std::string("x"), "k"), write(1, 2, 3, std::string("p"), "k"),
               append(1, 4, 5, std::string("y"), "k"), read(2, 6, 7, std::string("py"), "k")}};
  CHECK(verdict_of(put, ModelKind::append_list) == Verdict::linearizable);
}

TEST_CASE("equal times are concurrent", "[lin]") {
  History h{{write(0, 0, 5, I{1}), read(1, 5, 6, {})}};
  CHECK(verdict_of(h, ModelKind::register_rw) == Verdict::linearizable);
}

TEST_CASE("a state budget gives unknown, never a wrong verdict", "[lin]") {
  History h{{write(0, 0, 100, I{1}), write(1, 0, 100, I{2}), write(2, 0, 100, I{3}),
             read(3, 0, 100, I{3}), read(4, 101, 102, I{3})}};
  CheckOptions tiny;
  tiny.max_states = 1;
  // The search's budget: the reads-from check would decide these distinct values with no states.
  tiny.reads_from_check = false;
  auto report = check_history(h, ModelKind::register_rw, tiny);
  REQUIRE(report);
  CHECK(report->verdict == Verdict::unknown);
  CHECK(report->unknown_reason.find("state budget") != std::string::npos);
  CHECK(verdict_of(h, ModelKind::register_rw) == Verdict::linearizable);
}

TEST_CASE("the check is deterministic", "[lin]") {
  History h{{write(0, 0, 10, I{1}), write(1, 1, 11, I{2}), read(2, 2, 3, I{2}), read(3, 4, 5, I{1}),
             read(2, 12, 13, I{2})}};
  auto a = check_history(h, ModelKind::register_rw, test_options());
  auto b = check_history(h, ModelKind::register_rw, test_options());
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->verdict == Verdict::not_linearizable);
  CHECK(explain(h, *a) == explain(h, *b));
  CHECK(a->states == b->states);
}
