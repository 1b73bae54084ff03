// Each Raft checker holds on a correct run and fails on a state or history that breaks it, built
// by hand (two single-member "clusters" that both lead term 1, diverged logs), so none of them
// is vacuous. The scenario tests show each catching a bug switch end to end.
#include <catch2/catch.hpp>

#include <memory>

#include "checkers/raft/suite.h"
#include "tests/protocols/raft/steps.h"

using namespace faultline;
using namespace faultline::raft;
using faultline::raft::testing::Envelope;
using faultline::raft::testing::Harness;
using faultline::raft::testing::put;

namespace {

Harness healthy() {
  Harness h(Config{}, 3);
  h.input(NodeId{0}, Campaign{});
  h.deliver_all();
  h.input(NodeId{0}, put(1, 1, "x", "a"));
  h.deliver_all();
  h.fire(NodeId{0}, HeartbeatTimer{});
  h.deliver_all();
  return h;
}

// A node that alone leads term 1 of a one-member configuration of its own.
Node lone_leader(std::uint32_t id, std::uint32_t node_count, const std::string& value) {
  Config config;
  config.initial_members = std::vector<NodeId>{NodeId{id}};
  Node node(config, NodeId{id}, node_count, std::nullopt);
  Effects out;
  node.on_start(out);
  node.on_input(Campaign{}, out);
  node.on_input(put(1, 1, "x", value), out);
  return node;
}

}  // namespace

TEST_CASE("every always-property holds on a correct run") {
  Harness h = healthy();
  const auto view = h.view();
  CHECK_FALSE(check_election_safety(view));
  CHECK_FALSE(check_log_matching(view));
  CHECK_FALSE(check_leader_completeness(view));
  CHECK_FALSE(check_state_machine_safety(view));
  CHECK_FALSE(check_state_checksum_agreement(view));
  CHECK_FALSE(check_committed_on_quorum(view));
  CHECK_FALSE(check_leader_committed(view));
  CHECK_FALSE(check_leader_elected(view));
}

TEST_CASE("two leaders of one term, with diverged logs and states, fail every safety property") {
  std::vector<std::optional<Node>> nodes{lone_leader(0, 2, "a"), lone_leader(1, 2, "b")};
  std::vector<std::optional<Disk>> disks{nodes[0]->disk(), nodes[1]->disk()};
  const ClusterView<Raft> view{nodes, disks, Time{}};
  REQUIRE(nodes[0]->is_leader());
  REQUIRE(nodes[1]->is_leader());
  CHECK(check_election_safety(view));
  CHECK(check_log_matching(view));              // both hold term 1 at index 2, different puts
  CHECK(check_state_machine_safety(view));      // both applied through 2, different entries
  CHECK(check_state_checksum_agreement(view));  // x=a vs x=b at the same applied index
  CHECK(check_leader_completeness(view));       // each leader lacks the other's committed entry
}

TEST_CASE("history checks: two leaders of a term, an acknowledged write replaced, a stale read") {
  History<Raft> history;
  std::vector<FaultRecord> faults;
  std::vector<std::string> names{"n0", "n1", "n2"};
  Harness h = healthy();
  const RunRecord<Raft> ok_record{history, h.view(), faults, names, Time{}, Time{}};
  CHECK_FALSE(check_one_leader_per_term(ok_record));
  CHECK_FALSE(check_acknowledged_writes_durable(ok_record));

  history.emissions.push_back(
      {Time{} + Duration::from_milliseconds(1), NodeId{0}, BecameLeader{Term{5}}});
  history.emissions.push_back(
      {Time{} + Duration::from_milliseconds(2), NodeId{1}, BecameLeader{Term{5}}});
  // The client was told (client 9, seq 1) applied at index 2, but index 2 holds client 1's put.
  history.emissions.push_back({Time{} + Duration::from_milliseconds(3), NodeId{0},
                               ClientReply{9, 1, ReplyStatus::ok, {}, NodeId{0}, Index{2}}});
  const RunRecord<Raft> bad_record{history, h.view(), faults, names, Time{}, Time{}};
  CHECK(check_one_leader_per_term(bad_record));
  CHECK(check_acknowledged_writes_durable(bad_record));

  // A read that returns nil after a put of x completed is not linearizable.
  History<Raft> stale;
  const auto ms = [](std::int64_t v) { return Time{} + Duration::from_milliseconds(v); };
  stale.invocations.push_back({ms(1), NodeId{0}, ClientId{1}, put(1, 1, "x", "a"), true});
  stale.emissions.push_back(
      {ms(2), NodeId{0}, ClientReply{1, 1, ReplyStatus::ok, {}, NodeId{0}, Index{2}}});
  stale.invocations.push_back(
      {ms(3), NodeId{0}, ClientId{2}, ClientRequest{2, 1, 0, Get{"x"}}, true});
  stale.emissions.push_back(
      {ms(4), NodeId{0}, ClientReply{2, 1, ReplyStatus::ok, {}, NodeId{0}, Index{0}}});
  const RunRecord<Raft> stale_record{stale, h.view(), faults, names, Time{}, Time{}};
  const auto lin = check_suite(Config{}).history_checks.back();
  REQUIRE(lin.name == "linearizable");
  CHECK(lin.check(stale_record));
  stale.emissions.back() = {
      ms(4), NodeId{0},
      ClientReply{2, 1, ReplyStatus::ok, CommandResult{true, "a"}, NodeId{0}, Index{0}}};
  const RunRecord<Raft> fresh_record{stale, h.view(), faults, names, Time{}, Time{}};
  CHECK_FALSE(lin.check(fresh_record));
}

TEST_CASE("failover metrics: a crashed leader to the next election and commit") {
  History<Raft> history;
  const auto ms = [](std::int64_t v) { return Time{} + Duration::from_milliseconds(v); };
  history.emissions.push_back({ms(100), NodeId{0}, BecameLeader{Term{1}}});
  history.emissions.push_back({ms(105), NodeId{0}, LeaderCommitted{Term{1}, Index{1}}});
  history.emissions.push_back({ms(1300), NodeId{2}, BecameLeader{Term{2}}});
  history.emissions.push_back({ms(1310), NodeId{2}, LeaderCommitted{Term{2}, Index{2}}});
  std::vector<FaultRecord> faults{
      FaultRecord{ms(1000), FaultRecord::Kind::crash, {NodeId{0}}, "crash n0 (leader)", {}}};
  std::vector<std::string> names{"n0", "n1", "n2"};
  Harness h = healthy();
  const Metrics m =
      collect_metrics(RunRecord<Raft>{history, h.view(), faults, names, Time{}, Time{}});
  REQUIRE(m.at("election").size() == 1);
  CHECK(m.at("election")[0] == Duration::from_milliseconds(300));
  CHECK(m.at("failover")[0] == Duration::from_milliseconds(310));
}

// ---- leader_append_only ----------------------------------------------------------------------

namespace {

// The property on one step of node n: `act` runs the step on the harness.
template <class Act>
std::optional<std::string> append_only_over(Harness& h, std::uint32_t n, Act&& act) {
  const std::optional<Node> before = h.up(n) ? std::optional<Node>(h.node(n)) : std::nullopt;
  act();
  return check_leader_append_only(NodeStep<Raft>{NodeId{n}, before ? &*before : nullptr,
                                                 h.up(n) ? &h.node(n) : nullptr, nullptr, nullptr,
                                                 Time{}});
}

// n0 leads term 1 and appends a put whose AppendEntries to n1 is held back (`stale`); n1 then
// wins term 2 with n2's vote and appends its no-op at index 2 (and `extra` more puts).
struct StaleAppend {
  Harness h;
  Envelope stale;
};
StaleAppend deposed_leader_append(Bug bug, std::size_t extra) {
  Config config;
  config.bug = bug;
  StaleAppend s{Harness(config, 3), {}};
  Harness& h = s.h;
  h.input(NodeId{0}, Campaign{});
  h.deliver_all();
  h.input(NodeId{0}, put(1, 1, "x", "old"));
  for (const Envelope& e : h.network())
    if (e.to == NodeId{1} && std::holds_alternative<AppendEntries>(e.message)) s.stale = e;
  h.network().clear();  // delayed (the copy in `stale`) or lost
  h.input(NodeId{1}, Campaign{});
  h.deliver_all();
  for (std::size_t i = 0; i < extra; ++i) {
    h.input(NodeId{1}, put(2, i + 1, "y", "new"));
    h.deliver_all();
  }
  return s;
}

}  // namespace

TEST_CASE("leader_append_only holds on every step of a leader that appends, commits and compacts") {
  Config config;
  config.snapshot_threshold = 2;  // compacts every two applied entries
  Harness h(config, 3);
  CHECK_FALSE(append_only_over(
      h, 0, [&] { h.input(NodeId{0}, Campaign{}); }));  // not leader before: not checked
  h.deliver_all();
  for (int i = 0; i < 6; ++i) {
    CHECK_FALSE(append_only_over(
        h, 0, [&] { h.input(NodeId{0}, put(1, static_cast<std::uint64_t>(i + 1), "x", "v")); }));
    while (!h.network().empty()) {
      const NodeId to = h.network().front().to;
      CHECK_FALSE(append_only_over(h, to.value, [&] { h.deliver_next(); }));
    }
    CHECK_FALSE(append_only_over(h, 0, [&] { h.fire(NodeId{0}, HeartbeatTimer{}); }));
    h.deliver_all();
  }
  REQUIRE(h.node(0).is_leader());
  CHECK(h.node(0).disk().snapshot.last_index >= Index{6});  // it did compact, and that passed
  CHECK_FALSE(
      append_only_over(h, 0, [&] { h.crash(NodeId{0}); }));  // a crash is not a leader's step
}

TEST_CASE(
    "leader_append_only catches a leader that overwrites or drops entries "
    "(accept_stale_append_entries)") {
  for (const std::size_t extra : {0u, 1u}) {
    StaleAppend correct = deposed_leader_append(Bug::none, extra);
    REQUIRE(correct.h.node(1).is_leader());
    CHECK_FALSE(append_only_over(correct.h, 1, [&] {
      correct.h.network().push_back(correct.stale);
      correct.h.deliver_next();
    }));

    StaleAppend buggy = deposed_leader_append(Bug::accept_stale_append_entries, extra);
    REQUIRE(buggy.h.node(1).is_leader());
    const auto reason = append_only_over(buggy.h, 1, [&] {
      buggy.h.network().push_back(buggy.stale);
      buggy.h.deliver_next();
    });
    REQUIRE(reason);
    CHECK(buggy.h.node(1).is_leader());  // it still leads term 2, with term 1's entry at index 2
    CHECK(buggy.h.node(1).entry_at(Index{2}).term == Term{1});
    if (extra == 0)
      CHECK(reason->find("n1, leader of term 2, overwrote its log at index 2") == 0);
    else
      CHECK(reason->find(
                "n1, leader of term 2, removed entries from its log: it ended at index 3") == 0);
  }
}

// ---- monitors -------------------------------------------------------------------------------

namespace {

// A one-entry log: `value` put at index 1 in `term`.
Disk one_entry_log(std::uint64_t term, const std::string& value) {
  Disk disk;
  disk.current_term = Term{term};
  const Command command = ClientCommand{1, 1, Put{"x", value}};
  disk.entries.push_back(Entry{Term{term}, command, chain_checksum(0, Term{term}, command)});
  return disk;
}

std::unique_ptr<Monitor<Raft>> monitor_of(const std::string& name) {
  for (const auto& property : check_suite(Config{}).properties)
    if (property.name == name) return property.monitor();
  FAIL("no property " << name);
  return nullptr;
}

}  // namespace

// Two logs of one length but different terms at index 1 do not conflict; a third log that holds
// term 1 there with another entry conflicts with only one of them. Its monitor must find that
// whichever of the two comes first: the key keeps logs of one length apart by their checksum.
TEST_CASE("the log_matching monitor tells logs of one length apart") {
  for (const bool term_two_first : {false, true}) {
    INFO("term-2 log first: " << term_two_first);
    const Disk t1 = one_entry_log(1, "a");
    const Disk t2 = one_entry_log(2, "b");
    std::vector<std::optional<Node>> nodes(3);
    std::vector<std::optional<Disk>> disks{term_two_first ? t2 : t1, term_two_first ? t1 : t2,
                                           std::nullopt};
    const auto view = [&] { return ClusterView<Raft>{nodes, disks, Time{}}; };
    auto monitor = monitor_of("log_matching");
    const std::vector<NodeId> all{NodeId{0}, NodeId{1}, NodeId{2}};
    monitor->update(view(), all);
    REQUIRE_FALSE(check_log_matching(view()));
    disks[2] = one_entry_log(1, "c");
    const std::vector<NodeId> changed{NodeId{2}};
    CHECK(monitor->update(view(), changed));
    CHECK(check_log_matching(view()));
  }
}

// committed_on_quorum (etcd's QuorumLogInv): the leader's committed entry on one disk of three
// fails it, on two passes; a node outside the initial configuration suspends it, and its monitor
// stays off for the rest of the run once it has seen one.
TEST_CASE("committed_on_quorum: a committed entry on a minority of the disks fails it") {
  const Harness h = healthy();
  const auto healthy_view = h.view();
  REQUIRE(healthy_view.nodes[0]->commit_index() > Index{});
  CHECK_FALSE(check_committed_on_quorum(healthy_view));
  std::vector<std::optional<Node>> nodes(healthy_view.nodes.begin(), healthy_view.nodes.end());
  std::vector<std::optional<Disk>> disks(healthy_view.disks.begin(), healthy_view.disks.end());
  const auto view = [&] { return ClusterView<Raft>{nodes, disks, Time{}}; };
  disks[1] = Disk{};  // one follower lost its log: still on two disks of three
  CHECK_FALSE(check_committed_on_quorum(view()));
  disks[2] = Disk{};
  const auto reason = check_committed_on_quorum(view());
  REQUIRE(reason);
  CHECK_THAT(*reason, Catch::Contains("only 1 of 3 disks hold it (a majority is 2)"));
  const std::vector<NodeId> all{NodeId{0}, NodeId{1}, NodeId{2}};
  CHECK(monitor_of("committed_on_quorum")->update(view(), all));

  // n2 in a configuration of its own: not judged, and the monitor stops for good.
  auto monitor = monitor_of("committed_on_quorum");
  const std::optional<Node> in_initial = nodes[2];
  nodes[2] = lone_leader(2, 3, "z");
  CHECK_FALSE(check_committed_on_quorum(view()));
  CHECK_FALSE(monitor->update(view(), all));
  nodes[2] = in_initial;
  CHECK(check_committed_on_quorum(view()));
  CHECK_FALSE(monitor->update(view(), all));
}
