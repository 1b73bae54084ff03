// Raft node tests on the hand-driven harness: elections, replication, sessions, recovery from
// disk, snapshots and InstallSnapshot, membership, config validation, and the wire codec.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/raft/protocol.h"
#include "sim/core/codec.h"
#include "tests/protocols/raft/steps.h"

using namespace faultline;
using namespace faultline::raft;
using faultline::raft::testing::Harness;
using faultline::raft::testing::put;

namespace {

std::vector<ClientReply> replies(Harness& h) {
  std::vector<ClientReply> out;
  for (const auto& [node, output] : h.outputs())
    if (const auto* r = std::get_if<ClientReply>(&output)) out.push_back(*r);
  return out;
}

Harness elected(Config config = {}, std::uint32_t nodes = 3) {
  Harness h(std::move(config), nodes);
  h.input(NodeId{0}, Campaign{});
  h.deliver_all();
  return h;
}

}  // namespace

TEST_CASE("a campaign elects the node, which commits its no-op on every follower") {
  Harness h = elected();
  REQUIRE(h.node(0).is_leader());
  CHECK(h.node(0).current_term() == Term{1});
  CHECK(h.node(0).committed_in_term());
  h.fire(NodeId{0}, HeartbeatTimer{});  // carries the commit index to the followers
  h.deliver_all();
  for (std::uint32_t i = 0; i < 3; ++i) {
    CHECK(h.node(i).last_index() == Index{1});
    CHECK(h.node(i).commit_index() == Index{1});
    CHECK(h.disk(i)->current_term == Term{1});
  }
  CHECK(h.disk(1)->voted_for == NodeId{0});  // the vote was persisted
}

TEST_CASE("a put commits on a majority and is answered once, a retry gets the recorded answer") {
  Harness h = elected();
  h.input(NodeId{0}, put(7, 1, "x", "a"));
  h.deliver_all();
  auto r = replies(h);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == ReplyStatus::ok);
  CHECK(r[0].index == Index{2});
  // The same (client, seq) again: no new entry, the same answer.
  h.input(NodeId{0}, ClientRequest{7, 1, 1, Put{"x", "a"}});
  h.deliver_all();
  r = replies(h);
  REQUIRE(r.size() == 2);
  CHECK(r[1].index == Index{2});
  CHECK(h.node(0).last_index() == Index{2});
  CHECK(h.node(0).state().data.at("x") == "a");
}

TEST_CASE("a follower redirects to the leader") {
  Harness h = elected();
  h.input(NodeId{2}, put(1, 1, "x", "a"));
  const auto r = replies(h);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == ReplyStatus::not_leader);
  CHECK(r[0].leader_hint == NodeId{0});
}

TEST_CASE("cas applies only when the expected value matches") {
  Harness h = elected();
  h.input(NodeId{0}, ClientRequest{1, 1, 0, Cas{"x", std::nullopt, "a"}});
  h.deliver_all();
  h.input(NodeId{0}, ClientRequest{1, 2, 0, Cas{"x", std::string("b"), "c"}});
  h.deliver_all();
  const auto r = replies(h);
  REQUIRE(r.size() == 2);
  CHECK(r[0].result.ok);
  CHECK_FALSE(r[1].result.ok);
  CHECK(r[1].result.value == std::optional<std::string>("a"));
}

TEST_CASE("a read-index read waits for a quorum's heartbeat acknowledgement") {
  Harness h = elected();
  h.input(NodeId{0}, put(1, 1, "x", "a"));
  h.deliver_all();
  h.outputs().clear();
  h.input(NodeId{0}, ClientRequest{2, 1, 0, Get{"x"}});
  CHECK(replies(h).empty());  // not before the round is confirmed
  h.deliver_all();
  const auto r = replies(h);
  REQUIRE(r.size() == 1);
  CHECK(r[0].result.value == std::optional<std::string>("a"));
}

TEST_CASE(
    "an isolated leader cannot answer a read-index read, with read_without_quorum it answers "
    "stale") {
  for (const Bug bug : {Bug::none, Bug::read_without_quorum}) {
    Config config;
    config.bug = bug;
    Harness h = elected(config);
    h.input(NodeId{0}, ClientRequest{2, 1, 0, Get{"x"}});
    h.network().clear();  // the heartbeat round is lost: n0 is cut off
    CHECK(replies(h).size() == (bug == Bug::none ? 0u : 1u));
  }
}

TEST_CASE("a restarted node recovers term, vote, log and, after the next commit, its state") {
  Harness h = elected();
  h.input(NodeId{0}, put(1, 1, "x", "a"));
  h.deliver_all();
  h.crash(NodeId{1});
  h.restart(NodeId{1});
  CHECK(h.node(1).current_term() == Term{1});
  CHECK(h.node(1).last_index() == Index{2});
  CHECK(h.node(1).commit_index() == Index{0});  // volatile: re-learned from the leader
  h.fire(NodeId{0}, HeartbeatTimer{});
  h.deliver_all();
  CHECK(h.node(1).commit_index() == Index{2});
  CHECK(h.node(1).state().data.at("x") == "a");
  CHECK(h.node(1).state().state_checksum == h.node(0).state().state_checksum);
}

TEST_CASE("forget_vote_on_restart loses the vote, the correct node keeps it") {
  for (const Bug bug : {Bug::none, Bug::forget_vote_on_restart}) {
    Config config;
    config.bug = bug;
    Harness h = elected(config);
    h.crash(NodeId{1});
    h.restart(NodeId{1});
    CHECK(h.node(1).disk().voted_for.has_value() == (bug == Bug::none));
  }
}

TEST_CASE("a follower that missed compacted entries gets the leader's snapshot") {
  Config config;
  config.snapshot_threshold = 5;
  Harness h = elected(config);
  h.crash(NodeId{2});
  for (std::uint64_t seq = 1; seq <= 12; ++seq) {
    h.input(NodeId{0}, put(1, seq, "k" + std::to_string(seq % 3), "v" + std::to_string(seq)));
    h.deliver_all();
  }
  CHECK(h.node(0).first_index() > Index{1});  // compacted
  h.restart(NodeId{2});
  h.fire(NodeId{0}, HeartbeatTimer{});
  h.deliver_all();
  h.fire(NodeId{0}, HeartbeatTimer{});
  h.deliver_all();
  CHECK(h.node(2).last_index() == h.node(0).last_index());
  CHECK(h.node(2).state() == h.node(0).state());
}

TEST_CASE(
    "a leader compacts only what every follower matched, so a slow follower gets entries, not the "
    "snapshot") {
  Config config;
  config.snapshot_threshold = 5;
  Harness h = elected(config);
  // n2 is slow: everything sent to it waits in `held` while n0 and n1 commit.
  std::vector<Harness::Envelope> held;
  bool snapshot_sent = false;
  const auto settle_without_n2 = [&] {
    for (int i = 0; i < 10'000; ++i) {
      for (const auto& e : h.network())
        snapshot_sent |= std::holds_alternative<InstallSnapshot>(e.message);
      for (auto& e : h.network())
        if (e.to == NodeId{2}) held.push_back(e);
      std::erase_if(h.network(), [](const auto& e) { return e.to == NodeId{2}; });
      if (h.network().empty()) return;
      h.deliver_next();
    }
  };
  for (std::uint64_t seq = 1; seq <= 6; ++seq) {
    h.input(NodeId{0}, put(1, seq, "k", "v" + std::to_string(seq)));
    settle_without_n2();
  }
  CHECK(h.node(0).commit_index() == Index{7});
  CHECK(h.node(1).first_index() > Index{1});   // a follower compacts at once
  CHECK(h.node(0).first_index() == Index{1});  // the leader keeps what n2 still needs
  CHECK(h.disk(0)->snapshot.last_index == Index{0});
  // n2 catches up from the held entries; once it matched the pending snapshot the leader compacts.
  for (auto& e : held) h.network().push_back(e);
  for (int i = 0; i < 10'000 && !h.network().empty(); ++i) {
    for (const auto& e : h.network())
      snapshot_sent |= std::holds_alternative<InstallSnapshot>(e.message);
    h.deliver_next();
  }
  CHECK_FALSE(snapshot_sent);
  CHECK(h.node(2).last_index() == Index{7});
  CHECK(h.node(0).first_index() == Index{6});  // compacted through the snapshot taken at index 5
  CHECK(h.disk(0)->snapshot.last_index == Index{5});
  CHECK(h.disk(0)->snapshot.state.get().data.at("k") == "v4");
}

TEST_CASE("a dead follower does not grow the leader's log past twice the snapshot threshold") {
  Config config;
  config.snapshot_threshold = 5;
  Harness h = elected(config);
  h.crash(NodeId{2});
  for (std::uint64_t seq = 1; seq <= 8; ++seq) {
    h.input(NodeId{0}, put(1, seq, "k", "v" + std::to_string(seq)));
    h.deliver_all();
  }
  CHECK(h.node(0).last_applied() == Index{9});
  CHECK(h.node(0).first_index() == Index{1});  // 9 applied entries: n2 may still come back for them
  h.input(NodeId{0}, put(1, 9, "k", "v9"));
  h.deliver_all();
  CHECK(h.node(0).last_applied() ==
        Index{10});  // 2 x threshold: compact through the pending snapshot
  CHECK(h.node(0).first_index() == Index{6});
  CHECK(h.disk(0)->snapshot.last_index == Index{5});
}

TEST_CASE("membership: add a server, then remove the leader, which steps down once it commits") {
  Config config;
  config.initial_members = std::vector<NodeId>{{0}, {1}, {2}};
  Harness h = elected(config, 4);
  CHECK(h.node(3).members() == std::vector<NodeId>{{0}, {1}, {2}});
  h.input(NodeId{0}, AddServer{3});
  h.deliver_all();
  h.input(NodeId{0}, AddServer{3});  // already a member
  h.deliver_all();
  CHECK(h.node(3).members() == std::vector<NodeId>{{0}, {1}, {2}, {3}});
  h.input(NodeId{0}, RemoveServer{0});
  h.deliver_all();
  CHECK_FALSE(h.node(0).is_leader());
  CHECK(h.node(1).members() == std::vector<NodeId>{{1}, {2}, {3}});
  std::vector<MembershipStatus> statuses;
  for (const auto& [node, output] : h.outputs())
    if (const auto* m = std::get_if<MembershipReply>(&output)) statuses.push_back(m->status);
  CHECK(statuses == std::vector<MembershipStatus>{MembershipStatus::committed,
                                                  MembershipStatus::no_change,
                                                  MembershipStatus::committed});
}

TEST_CASE("config validation names the key") {
  Config c;
  c.heartbeat_interval = Duration::from_milliseconds(200);
  CHECK(c.validate(3).error().where == "heartbeat_interval");
  c = Config{};
  c.election_timeout = {Duration::from_milliseconds(300), Duration::from_milliseconds(150)};
  CHECK(c.validate(3).error().where == "election_timeout");
  c = Config{};
  c.initial_members = std::vector<NodeId>{{0}, {5}};
  CHECK(c.validate(3).error().where == "initial_members");
  CHECK(Config{}.validate(3).has_value());
}

TEST_CASE("every message round-trips through the codec, and garbage never crashes the decoder") {
  Harness h = elected();
  h.input(NodeId{0}, put(1, 1, "x", "a"));
  std::vector<Message> sent;
  for (const auto& e : h.network()) sent.push_back(e.message);
  h.deliver_all();
  sent.push_back(InstallSnapshot{
      Term{3}, Snapshot{Index{4},
                        Term{2},
                        99,
                        {{0}, {1}},
                        StateMachine{{{"x", "y"}}, {{1, Session{2, {}, Index{3}}}}, 5}}});
  for (const Message& m : sent) CHECK(decode_from_bytes<Message>(encode_to_bytes(m)) == m);
  CHECK(decode_from_bytes<Disk>(encode_to_bytes(*h.disk(0))) == *h.disk(0));
  rc::prop("random bytes decode to a value or an error",
           [](const std::vector<std::uint8_t>& bytes) {
             (void)decode_from_bytes<Message>(bytes);
             (void)decode_from_bytes<Disk>(bytes);
           });
}

TEST_CASE(
    "accept_stale_append_entries: a leader merges a deposed leader's AppendEntries, the correct "
    "node rejects it") {
  for (const Bug bug : {Bug::none, Bug::accept_stale_append_entries}) {
    Config config;
    config.bug = bug;
    Harness h = elected(config);
    h.input(NodeId{0},
            put(1, 1, "x", "old"));  // n0 (term 1) appends index 2; its AppendEntries are held back
    std::vector<Harness::Envelope> held = std::move(h.network());
    h.network().clear();
    h.input(NodeId{1}, Campaign{});
    h.deliver_all();  // n1 wins term 2 with n2's vote and appends its no-op at index 2
    REQUIRE(h.node(1).is_leader());
    REQUIRE(h.node(1).entry_at(Index{2}).term == Term{2});
    for (const auto& e : held)
      if (e.to == NodeId{1}) h.network().push_back(e);
    h.deliver_next();  // the stale AppendEntries of term 1 reaches the leader of term 2
    CHECK(h.node(1).is_leader());
    CHECK(h.node(1).current_term() == Term{2});
    CHECK(h.node(1).entry_at(Index{2}).term == Term{bug == Bug::none ? 2u : 1u});
    if (bug == Bug::none) continue;
    // The bug's leader stays usable (no assertion, no reads past its log) until the run ends.
    h.fire(NodeId{1}, HeartbeatTimer{});
    h.deliver_all();
    CHECK(h.node(1).last_index() >= Index{2});
  }
}
