// The write-concern node driven by hand, one event at a time: write concerns, deduplication,
// MISSING_PARENT holds, the injected failure after store, the quorum guard, recovery and
// catch-up, and the bug switches that break them.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>

#include "protocols/write_concern/protocol.h"

namespace faultline::write_concern {
namespace {

// Nodes, and the messages in flight, delivered in order on demand (nothing is lost unless a
// test drops it).
struct Cluster {
  explicit Cluster(Config c, std::uint32_t n = 3) : config(c) {
    for (std::uint32_t i = 0; i < n; ++i) nodes.emplace_back(config, NodeId{i}, n, std::nullopt);
    for (std::uint32_t i = 0; i < n; ++i)
      run(NodeId{i}, [&](Node& node, Effects& out) { node.on_start(out); });
  }
  struct InFlight {
    NodeId from;
    NodeId to;
    Message message;
  };
  template <class Handler>
  void run(NodeId id, Handler&& handler) {
    Effects out;
    handler(nodes[id.value], out);
    for (const auto& send : out.sends()) flight.push_back({id, send.target, send.message});
    for (const auto& output : out.outputs()) outputs.push_back(output);
  }
  void input(NodeId id, Input in) {
    run(id, [&](Node& node, Effects& out) { node.on_input(in, out); });
  }
  void timer(NodeId id, Timer t) {
    run(id, [&](Node& node, Effects& out) { node.on_timer(t, out); });
  }
  void deliver_all() {
    while (!flight.empty()) {
      const InFlight m = flight.front();
      flight.pop_front();
      run(m.to, [&](Node& node, Effects& out) { node.on_message(m.from, m.message, out); });
    }
  }
  std::vector<PostReply> replies() const {
    std::vector<PostReply> r;
    for (const auto& o : outputs)
      if (const auto* p = std::get_if<PostReply>(&o)) r.push_back(*p);
    return r;
  }
  Config config;
  std::vector<Node> nodes;
  std::deque<InFlight> flight;
  std::vector<Output> outputs;
};

MessageId msg(std::uint64_t number) { return MessageId{1, number}; }

TEST_CASE("write_concern: w=1 answers at once, w=2 after a secondary confirms") {
  Cluster c{Config{}};
  c.input(first_primary, PostMessage{msg(1), 1});
  REQUIRE(c.replies().size() == 1);
  CHECK(c.replies()[0].status == PostStatus::ok);
  c.input(first_primary, PostMessage{msg(2), 2});
  CHECK(c.replies().size() == 1);  // waits for a confirmation
  c.deliver_all();
  REQUIRE(c.replies().size() == 2);
  CHECK(c.replies()[1].status == PostStatus::ok);
  CHECK(c.replies()[1].seq == Seq{2});
  for (const Node& node : c.nodes) CHECK(node.delivered() == Seq{2});
  CHECK(c.nodes[0].pending().empty());  // everyone confirmed both
}

TEST_CASE("write_concern: a secondary holds an entry past a gap until its parent arrives") {
  for (const Bug bug : {Bug::none, Bug::deliver_out_of_order}) {
    Config config;
    config.bug = bug;
    Node secondary(config, NodeId{1}, 3, std::nullopt);
    Effects out;
    secondary.on_message(first_primary,
                         Replicate{first_epoch, Entry{Seq{2}, msg(2), first_epoch, 1}}, out);
    if (bug == Bug::none) {
      CHECK(secondary.delivered() == Seq{});
      CHECK(secondary.delivered_ids().empty());  // msg2 is MISSING_PARENT
    } else {
      CHECK(secondary.delivered_ids() == std::vector<MessageId>{msg(2)});  // the bug
    }
    secondary.on_message(first_primary,
                         Replicate{first_epoch, Entry{Seq{1}, msg(1), first_epoch, 1}}, out);
    CHECK(secondary.delivered() == Seq{2});
    CHECK(secondary.delivered_ids() == std::vector<MessageId>{msg(1), msg(2)});
  }
}

TEST_CASE(
    "write_concern: a retried replication is stored once (the injected failure after store)") {
  for (const Bug bug : {Bug::none, Bug::no_dedup}) {
    Config config;
    config.bug = bug;
    Node secondary(config, NodeId{1}, 3, std::nullopt);
    Effects out;
    secondary.on_input(InjectFailure{1}, out);
    const Replicate r{first_epoch, Entry{Seq{1}, msg(1), first_epoch, 2}};
    secondary.on_message(first_primary, r, out);
    REQUIRE(out.sends().size() == 1);
    CHECK(std::get<ReplicateAck>(out.sends()[0].message).result == StoreResult::injected_error);
    secondary.on_message(first_primary, r, out);  // the primary's retry
    REQUIRE(out.sends().size() == 2);
    const auto again = std::get<ReplicateAck>(out.sends()[1].message).result;
    CHECK(again == (bug == Bug::none ? StoreResult::duplicate : StoreResult::stored));
    CHECK(secondary.store().entries.size() == (bug == Bug::none ? 1u : 2u));
  }
}

TEST_CASE("write_concern: the quorum guard refuses writes while too few nodes are available") {
  Config config;
  config.quorum_level = QuorumLevel::all;
  config.unhealthy_after_misses = 2;
  Cluster c{config};
  c.flight.clear();
  // Two heartbeats without answers from anyone: both secondaries go UNHEALTHY.
  for (int i = 0; i < 3; ++i) {
    c.timer(first_primary, HeartbeatTimer{});
    c.flight.clear();
  }
  CHECK(c.nodes[0].available() == 1);
  c.input(first_primary, PostMessage{msg(1), 1});
  REQUIRE(c.replies().size() == 1);
  CHECK(c.replies()[0].status == PostStatus::unavailable);
  CHECK(c.nodes[0].store().entries.empty());
}

TEST_CASE("write_concern: a returning secondary catches up on the recovery notice") {
  for (const Bug bug : {Bug::none, Bug::skip_catchup_on_recovery}) {
    Config config;
    config.bug = bug;
    config.unhealthy_after_misses = 2;
    Cluster c{config};
    c.flight.clear();
    for (int i = 0; i < 3; ++i) {  // n2 never answers: UNHEALTHY
      c.timer(first_primary, HeartbeatTimer{});
      std::erase_if(c.flight, [](const auto& m) { return m.to == NodeId{2}; });
      c.deliver_all();
    }
    c.input(first_primary, PostMessage{msg(1), 1});
    c.input(first_primary, PostMessage{msg(2), 2});
    c.deliver_all();
    CHECK(c.nodes[2].delivered() == Seq{});
    c.timer(first_primary, HeartbeatTimer{});  // n2 answers this one
    c.deliver_all();
    CHECK(c.nodes[2].delivered() == (bug == Bug::none ? Seq{2} : Seq{}));
  }
}

TEST_CASE("write_concern: ack_before_replicate acknowledges w=2 before any confirmation") {
  Config config;
  config.bug = Bug::ack_before_replicate;
  Cluster c{config};
  c.input(first_primary, PostMessage{msg(1), 2});
  REQUIRE(c.replies().size() == 1);
  CHECK(c.replies()[0].status == PostStatus::ok);
  CHECK(c.nodes[1].store().entries.empty());  // nothing has arrived anywhere yet
}

// ---- failover --------------------------------------------------------------------------------

Config failover_config() {
  Config config;
  config.failover = true;
  config.suspect_after_misses = 1;
  config.unhealthy_after_misses = 2;
  return config;
}

// n0 writes msg(1) (w=1) and msg(2) (w=2); only n2 receives them; then n0 falls silent and the
// secondaries' watches run: n1 (behind) stands first, at its fourth tick (unhealthy_after_misses
// 2, plus 2 for its node number).
Cluster lagging_n1(Config config) {
  Cluster c{config};
  c.flight.clear();
  c.input(first_primary, PostMessage{msg(1), 1});
  c.input(first_primary, PostMessage{msg(2), 2});
  std::deque<Cluster::InFlight> to_n2;
  for (const auto& m : c.flight)
    if (m.to == NodeId{2}) to_n2.push_back(m);
  c.flight = to_n2;
  c.deliver_all();  // n2 stores both and acks: msg(2) is acknowledged with w=2
  c.flight.clear();
  return c;
}

TEST_CASE("write_concern: a voter more up to date refuses the candidate and is promoted itself") {
  Cluster c = lagging_n1(failover_config());
  CHECK(c.replies().size() == 2);
  c.timer(NodeId{2}, WatchTimer{});  // n2 has missed the primary once: it may vote
  for (int tick = 0; tick < 4; ++tick) c.timer(NodeId{1}, WatchTimer{});  // n1 stands: epoch 2
  CHECK(c.nodes[1].role() == "candidate");
  c.flight.erase(std::remove_if(c.flight.begin(), c.flight.end(),
                                [](const auto& m) { return m.to == first_primary; }),
                 c.flight.end());  // n0 is gone
  c.deliver_all();
  CHECK(c.nodes[2].is_primary());
  CHECK(c.nodes[2].store().epoch == Epoch{3});  // above the epoch it refused
  CHECK_FALSE(c.nodes[1].is_primary());
  // n1 reconciled with n2's log: both writes, in order.
  CHECK(c.nodes[1].delivered_ids() == std::vector<MessageId>{msg(1), msg(2)});
}

TEST_CASE(
    "write_concern: promote_any_secondary promotes a candidate without the majority's writes") {
  Config config = failover_config();
  config.bug = Bug::promote_any_secondary;
  Cluster c = lagging_n1(config);
  c.timer(NodeId{2}, WatchTimer{});
  for (int tick = 0; tick < 4; ++tick) c.timer(NodeId{1}, WatchTimer{});
  c.flight.erase(std::remove_if(c.flight.begin(), c.flight.end(),
                                [](const auto& m) { return m.to == first_primary; }),
                 c.flight.end());
  c.deliver_all();
  REQUIRE(c.nodes[1].is_primary());
  CHECK(c.nodes[1].store().entries.empty());  // msg(2) was on a majority: lost
}

TEST_CASE("write_concern: a voter votes once per epoch, and a stale primary steps down") {
  Cluster c{failover_config()};
  c.flight.clear();
  c.timer(NodeId{2}, WatchTimer{});
  Effects out;
  c.nodes[2].on_message(NodeId{1}, PromoteRequest{Epoch{2}, first_epoch, Seq{}}, out);
  c.nodes[2].on_message(NodeId{0}, PromoteRequest{Epoch{2}, first_epoch, Seq{}}, out);
  REQUIRE(out.sends().size() == 2);
  CHECK(std::get<PromoteReply>(out.sends()[0].message).granted);
  CHECK_FALSE(std::get<PromoteReply>(out.sends()[1].message).granted);
  CHECK(c.nodes[2].store().voted == Epoch{2});
  // n0, the primary of epoch 1, replicates to n2, which voted for epoch 2: fenced, and the
  // answer names epoch 2, so n0 steps down.
  c.input(first_primary, PostMessage{msg(1), 2});
  std::deque<Cluster::InFlight> to_n2;
  for (const auto& m : c.flight)
    if (m.to == NodeId{2}) to_n2.push_back(m);
  c.flight = to_n2;
  c.deliver_all();
  CHECK(c.nodes[2].store().entries.empty());
  CHECK_FALSE(c.nodes[0].is_primary());
  REQUIRE(c.replies().size() == 1);
  CHECK(c.replies()[0].status == PostStatus::not_primary);
}

}  // namespace
// Store::lower and upper (a guess at the dense index, checked, then a binary search) agree with
// std::lower_bound and upper_bound over any sorted seqs: dense, with gaps, with repeated seqs
// (the no_dedup bug), not starting at 1.
TEST_CASE("Store::lower and upper find the partition points of any sorted store") {
  rc::prop("against std::lower_bound and std::upper_bound",
           [](const std::vector<std::uint8_t>& steps, std::uint8_t start, std::uint8_t probe) {
             Store store;
             std::vector<std::uint64_t> seqs;
             std::uint64_t seq = 1 + start % 5;
             for (std::uint8_t step : steps) {
               seq += step % 4 == 0 ? 0 : (step % 4 == 3 ? 2 : 1);  // repeats, gaps, dense
               seqs.push_back(seq);
               store.entries.push_back(Entry{Seq{seq}, MessageId{1, seqs.size()}, first_epoch, 1});
             }
             const Seq at{1 + probe % (seq + 3)};
             const auto lower = std::lower_bound(seqs.begin(), seqs.end(), at.value) - seqs.begin();
             const auto upper = std::upper_bound(seqs.begin(), seqs.end(), at.value) - seqs.begin();
             RC_ASSERT(store.lower(at) == static_cast<std::size_t>(lower));
             RC_ASSERT(store.upper(at) == static_cast<std::size_t>(upper));
           });
}

}  // namespace faultline::write_concern
