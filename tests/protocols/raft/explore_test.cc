// Raft under the model checker: each of Raft's bug switches is found by `explore` within a stated
// budget, by the property the issue names, and its counterexample replays to the same violation;
// the correct protocol passes the same budgets; and the client history (Model::client_history)
// records one invocation per call and is part of the state.
//
// Budgets (sim/explore/README.md, "Raft under the model checker"):
//   vote_without_log_check, forget_vote_on_restart: bfs, 1 crash, 1 write;
//   accept_stale_append_entries: bfs, 1 write, no faults (caught by a transition property);
//   commit_previous_term_by_count: the guided strategy, 4 timer firings, one entry per message,
//     no client requests (the no-op each leader appends is enough);
//   read_without_quorum: 1 write and 1 read, 2 timer firings, caught by `linearizable` on the
//     client history.
#include <catch2/catch.hpp>

#include <functional>

#include "checkers/raft/binding.h"
#include "sim/explore/counterexample.h"
#include "sim/explore/explorer.h"
#include "sim/explore/replay.h"

namespace faultline::explore {
namespace {

using raft::Raft;

struct RaftCase {
  Model<Raft> model;
  std::vector<Property<Raft>> properties;
};

RaftCase raft_case(raft::Bug bug, std::uint32_t writes, std::uint32_t reads = 0) {
  raft::Config config;
  config.bug = bug;
  auto model = *raft::Binding::model(config, 3, raft::ModelOptions{writes, reads});
  raft::Binding::finish_model(model);
  return RaftCase{std::move(model), raft::check_suite(config).properties};
}

SearchResult search(const RaftCase& c, Strategy strategy, std::uint64_t states_max = 0,
                    std::uint32_t depth_max = 0) {
  SearchOptions options;
  options.strategy = strategy;
  options.states_max = states_max;
  options.depth_max = depth_max;
  return explore(c.model, c.properties, options);
}

// The counterexample survives the file round trip and replays (with the client history bound
// again, as `faultline check --replay` does) to the same property at its last step.
void require_replays(const RaftCase& c, const SearchResult& r, Strategy strategy) {
  REQUIRE(r.violation);
  const Counterexample file = make_counterexample(c.model, *r.violation, {}, strategy);
  const auto parsed = counterexample_from_json(to_json(file));
  REQUIRE(parsed.has_value());
  const auto replayed =
      replay_counterexample<Raft>(*parsed, c.properties, &raft::Binding::finish_model);
  REQUIRE(replayed.has_value());
  CHECK_FALSE(replayed->divergence);
  CHECK(replayed->reproduced);
  CHECK(replayed->property == std::optional<std::string>(r.violation->property));
  CHECK(replayed->violation_step == r.violation->steps.size());
}

TEST_CASE(
    "raft explore: vote_without_log_check and forget_vote_on_restart are found in 8 steps with one "
    "crash",
    "[explore][raft]") {
  // vote_without_log_check: a node missing a committed entry wins (leader completeness);
  // forget_vote_on_restart: vote, crash, restart, vote again (two leaders in one term).
  const auto [bug, property] =
      GENERATE(std::make_pair(raft::Bug::vote_without_log_check, "leader_completeness"),
               std::make_pair(raft::Bug::forget_vote_on_restart, "election_safety"));
  RaftCase c = raft_case(bug, 1);
  c.model.crashes_max = 1;
  const SearchResult r = search(c, Strategy::bfs, 0, 12);
  REQUIRE(r.violation);
  CHECK(r.violation->property == property);
  CHECK(r.violation->steps.size() == 8);
  require_replays(c, r, Strategy::bfs);
}

// A leader that takes a deposed leader's AppendEntries overwrites its own log: n0 wins term 1,
// n1 wins term 2 with n2's vote, then n0's AppendEntries of term 1 reaches n1. No fault budget
// is needed; the shortest schedule is 7 steps, and a transition property names it.
TEST_CASE("raft explore: accept_stale_append_entries breaks leader_append_only in 7 steps",
          "[explore][raft]") {
  const RaftCase c = raft_case(raft::Bug::accept_stale_append_entries, 1);
  const SearchResult r = search(c, Strategy::bfs);
  REQUIRE(r.violation);
  CHECK(r.violation->property == "leader_append_only");
  CHECK(r.states_unique == 13688);  // the client history is part of the state
  REQUIRE(r.violation->steps.size() == 7);
  CHECK(r.violation->steps[0].text == "timer n0 ElectionTimer{}");
  CHECK(r.violation->steps[3].text == "timer n1 ElectionTimer{}");
  CHECK(r.violation->steps[6].text.rfind("deliver n0 -> n1 AppendEntries{term=1, prev_index=0",
                                         0) == 0);
  CHECK(r.violation->detail.rfind("n1, leader of term 2, overwrote its log at index 1", 0) == 0);
  require_replays(c, r, Strategy::bfs);

  const SearchResult correct = search(raft_case(raft::Bug::none, 1), Strategy::bfs, 0, 9);
  CHECK_FALSE(correct.violation);
  CHECK(correct.bound == Bound::depth);
  CHECK(correct.steps_checked > 0);  // leaders did step, and every step held
}

TEST_CASE("raft explore: commit_previous_term_by_count (Figure 8) is found by the guided strategy",
          "[explore][raft]") {
  RaftCase c = raft_case(raft::Bug::commit_previous_term_by_count, 0);
  c.model.config.batch_entries_max = 1;
  c.model.timers_max = 4;
  const SearchResult r = search(c, Strategy::guided, 5'000'000);
  REQUIRE(r.violation);
  CHECK(r.violation->property == "leader_completeness");
  // Four elections: a term-1 leader, a term-2 leader that never replicates, the term-1 leader
  // again in term 3 counting its old entry as committed, and a term-4 leader without it.
  CHECK(r.violation->steps.size() == 18);
  CHECK(r.states_unique < 5'000'000);
  require_replays(c, r, Strategy::guided);
}

TEST_CASE("raft explore: read_without_quorum is caught by linearizability of the client history",
          "[explore][raft]") {
  RaftCase c = raft_case(raft::Bug::read_without_quorum, 1, 1);
  c.model.timers_max = 2;
  const SearchResult r = search(c, Strategy::guided, 5'000'000);
  REQUIRE(r.violation);
  CHECK(r.violation->property == "linearizable");
  CHECK(r.violation->steps.size() == 12);
  CHECK(r.violation->steps.back().text.find("Get{key=\"k\"}") != std::string::npos);
  require_replays(c, r, Strategy::guided);
}

TEST_CASE("raft explore: the correct protocol passes the budgets that find every bug",
          "[explore][raft]") {
  // Bounded, not exhausted (Raft's space with timers is large): more states, in the order each
  // bug was found in, than finding the bug took (at most 0.8 M for Figure 8).
  RaftCase crash = raft_case(raft::Bug::none, 1);
  crash.model.crashes_max = 1;
  const SearchResult a = search(crash, Strategy::bfs, 300'000, 12);
  CHECK_FALSE(a.violation);
  CHECK(a.states_unique == 300'000);

  RaftCase figure8 = raft_case(raft::Bug::none, 0);
  figure8.model.config.batch_entries_max = 1;
  figure8.model.timers_max = 4;
  const SearchResult b = search(figure8, Strategy::guided, 1'000'000);
  CHECK_FALSE(b.violation);
  CHECK(b.states_unique == 1'000'000);

  RaftCase reads = raft_case(raft::Bug::none, 1, 1);
  reads.model.timers_max = 2;
  const SearchResult d = search(reads, Strategy::guided, 300'000);
  CHECK_FALSE(d.violation);
  CHECK(d.sometimes_unreached.empty());
  CHECK(d.histories_checked > 10);  // linearizable ran on many client histories, not none
}

// A search with `options` (--exact, two workers, no step memo) must find what the plain
// fingerprint search finds on Raft: a counterexample by the transition property leader_append_only
// (which makes a parallel search build a step again to judge it), and with the client history in
// the state, the same states, histories (linearizability once per distinct one) and steps.
void require_same_as_plain_search(SearchOptions options) {
  const RaftCase stale = raft_case(raft::Bug::accept_stale_append_entries, 1);
  const SearchResult a = explore(stale.model, stale.properties, options);
  REQUIRE(a.violation);
  CHECK(a.violation->property == "leader_append_only");
  CHECK(a.states_unique == 13688);
  CHECK(a.violation->steps.size() == 7);

  RaftCase reads = raft_case(raft::Bug::read_without_quorum, 1, 1);
  reads.model.timers_max = 2;
  options.strategy = Strategy::guided;
  const SearchResult b = explore(reads.model, reads.properties, options);
  const SearchResult plain = search(reads, Strategy::guided);
  REQUIRE(b.violation);
  CHECK(b.violation->property == "linearizable");
  CHECK(b.violation->steps.size() == 12);
  CHECK(b.states_unique == plain.states_unique);
  CHECK(b.histories_checked == plain.histories_checked);
  CHECK(b.steps_checked == plain.steps_checked);
}

TEST_CASE("raft explore: --exact finds the same states, histories and counterexamples",
          "[explore][raft]") {
  static_assert(exact_capable<Raft>);
  SearchOptions exact;
  exact.exact = true;
  require_same_as_plain_search(exact);
}

// The step memo (sim/explore/step_memo.h) replays remembered handler outcomes; a search that
// runs every handler must find the same (the client-history search runs without it either way).
TEST_CASE("raft explore: without the step memo, the same states and counterexamples",
          "[explore][raft]") {
  SearchOptions every_handler;
  every_handler.step_memo = false;
  require_same_as_plain_search(every_handler);
}

TEST_CASE("raft explore: two workers find the same states and counterexamples", "[explore][raft]") {
  SearchOptions two;
  two.workers = 2;
  two.run_tasks = [](std::uint32_t count, const std::function<void(std::uint32_t)>& task) {
    for (std::uint32_t w = count; w-- > 0;) task(w);  // reversed: the order must not matter
  };
  require_same_as_plain_search(two);
}

TEST_CASE("raft explore: the client history records a call once, at its first arrival",
          "[explore][raft]") {
  const RaftCase c = raft_case(raft::Bug::none, 1);
  Stepper<Raft> stepper(c.model);
  World<Raft> world = stepper.initial();
  CHECK(world.history == nullptr);
  const std::uint64_t before = world_fingerprint(world);
  // The write is offered to n0, n1 and n2 (model inputs 0, 1, 2); nobody leads, so each copy
  // is answered not_leader, which is not a client-visible result.
  stepper.step(world, Action{ActionKind::input, 0, 0});
  REQUIRE(world.history != nullptr);
  CHECK(world.history->length == 1);
  CHECK(world.history->input == std::optional<std::uint32_t>(0));
  CHECK(world_fingerprint(world) != before);
  stepper.step(world, Action{ActionKind::input, 1, 1});
  CHECK(world.history->length == 1);  // the same call offered to another node
  const History<Raft> history = history_of(c.model, world.history);
  REQUIRE(history.invocations.size() == 1);
  CHECK(history.invocations[0].client == ClientId{1});
  CHECK(history.emissions.empty());
}

}  // namespace
}  // namespace faultline::explore
