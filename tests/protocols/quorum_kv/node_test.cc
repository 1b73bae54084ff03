// The quorum key-value store's nodes driven by hand, one event at a time: quorum writes and
// reads, the seed's 503 when a quorum is not available, the gateway's fixed window, the
// registry's detector, ghosts retired and spares spawned, full state transfer, a retried write
// applied once, write-back reads, and the bug switches that break them.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "protocols/quorum_kv/protocol.h"

namespace faultline::quorum_kv {
namespace {

// Every node of a layout, and the messages in flight, delivered in order on demand; a node in
// `down` receives nothing (its messages are dropped).
struct Cluster {
  explicit Cluster(Config c, std::uint32_t spares = 0)
      : config(c), node_count(c.layout_nodes() + spares) {
    const std::uint32_t n = node_count;
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
    if (out.persisted()) disks[id.value] = *out.persisted();
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
      if (down.contains(m.to.value) || down.contains(m.from.value)) continue;
      run(m.to, [&](Node& node, Effects& out) { node.on_message(m.from, m.message, out); });
    }
  }
  // A registry tick (and every live replica's heartbeat before it), delivered.
  void tick() {
    for (std::uint32_t i = first_replica_node.value; i < nodes.size(); ++i)
      if (!down.contains(i)) timer(NodeId{i}, HeartbeatTimer{});
    timer(registry_node, TickTimer{});
    deliver_all();
  }
  void restart(std::uint32_t node) {
    down.erase(node);
    nodes[node] = Node(config, NodeId{node}, node_count, disks.at(node));
    run(NodeId{node}, [&](Node& n, Effects& out) { n.on_start(out); });
  }
  std::vector<Reply> replies() const {
    std::vector<Reply> r;
    for (const auto& o : outputs)
      if (const auto* p = std::get_if<Reply>(&o)) r.push_back(*p);
    return r;
  }
  Reply write(std::uint32_t client, std::uint64_t number, const std::string& key) {
    const RequestId id{client, number};
    input(gateway_node, Write{id, key, value_of(id), 0});
    deliver_all();
    return replies().back();
  }
  Reply read(std::uint32_t client, std::uint64_t number, const std::string& key) {
    input(gateway_node, Read{RequestId{client, number}, key, 0});
    deliver_all();
    return replies().back();
  }
  Config config;
  std::uint32_t node_count;
  std::vector<Node> nodes;
  std::map<std::uint32_t, Store> disks;
  std::set<std::uint32_t> down;
  std::deque<InFlight> flight;
  std::vector<Output> outputs;
};

Config two_followers() {
  Config c;
  c.followers = 2;
  c.read_repair = ReadRepair::sync;
  return c;
}

TEST_CASE("quorum_kv: a write is acknowledged with W copies and read back") {
  Cluster cluster(two_followers());
  const Reply w = cluster.write(1, 1, "cart");
  CHECK(w.status == Status::ok);
  CHECK(w.version == Version{1});
  for (std::uint32_t n = 3; n <= 5; ++n)
    CHECK(cluster.disks.at(n).version_of("cart") == Version{1});
  const Reply r = cluster.read(2, 1, "cart");
  CHECK(r.status == Status::ok);
  CHECK(r.value == value_of(RequestId{1, 1}));
  CHECK(cluster.read(2, 2, "absent").version == Version{});
}

TEST_CASE("quorum_kv: two followers dead -> the seed's 'Write quorum not available' (503)") {
  Config config = two_followers();
  config.heartbeat_timeout = config.heartbeat_interval;  // dead after two silent ticks
  Cluster cluster(config);
  cluster.down = {4, 5};
  for (int i = 0; i < 3; ++i) cluster.tick();
  CHECK(cluster.write(1, 1, "k").status == Status::unavailable);
  CHECK(cluster.read(1, 2, "k").status == Status::unavailable);  // R=2, the leader alone
}

TEST_CASE("quorum_kv: the gateway admits rate_limit_max per window, then 429 until the next") {
  Config config = two_followers();
  config.rate_limit = true;
  config.rate_limit_max = 3;
  Cluster cluster(config);
  for (std::uint64_t i = 1; i <= 3; ++i) CHECK(cluster.read(1, i, "k").status == Status::ok);
  CHECK(cluster.read(1, 4, "k").status == Status::rate_limited);
  CHECK(cluster.read(2, 1, "k").status == Status::ok);  // per client
  cluster.timer(gateway_node, WindowTimer{});
  CHECK(cluster.read(1, 5, "k").status == Status::ok);
}

TEST_CASE("quorum_kv: a retried write is answered, not applied again") {
  Cluster cluster(two_followers());
  CHECK(cluster.write(1, 1, "k").version == Version{1});
  CHECK(cluster.write(2, 1, "k").version == Version{2});
  const Reply again = cluster.write(1, 1, "k");
  CHECK(again.status == Status::ok);
  CHECK(again.version == Version{1});
  CHECK(cluster.disks.at(3).version_of("k") == Version{2});
}

TEST_CASE("quorum_kv: a follower back from a crash is caught up before it counts") {
  Config config = two_followers();
  config.heartbeat_timeout = config.heartbeat_interval;
  Cluster cluster(config);
  cluster.down = {5};
  for (int i = 0; i < 3; ++i) cluster.tick();
  CHECK(cluster.write(1, 1, "a").status == Status::ok);  // leader + n4
  cluster.restart(5);
  cluster.deliver_all();
  CHECK(cluster.nodes[5].claimed() == Identity{2});  // welcomed back
  cluster.tick();
  CHECK(cluster.disks.at(5).version_of("a") == Version{1});
  const auto& ready = cluster.nodes[coordinator_node.value].ready();
  CHECK(std::any_of(ready.begin(), ready.end(),
                    [](const ReadyMark& m) { return m.node == NodeId{5}; }));
}

TEST_CASE("quorum_kv: spawn gives a dead follower's identity to a spare, the old node retires") {
  Config config = two_followers();
  config.heartbeat_timeout = config.heartbeat_interval;
  Cluster cluster(config, 1);
  CHECK(cluster.write(1, 1, "a").status == Status::ok);
  cluster.down = {5};
  for (int i = 0; i < 3; ++i) cluster.tick();
  cluster.input(registry_node, Spawn{});
  cluster.deliver_all();
  CHECK(cluster.nodes[6].claimed() == Identity{2});
  cluster.tick();
  CHECK(cluster.disks.at(6).version_of("a") == Version{1});  // full state transfer
  cluster.restart(5);
  cluster.deliver_all();
  CHECK_FALSE(cluster.nodes[5].claimed().has_value());
  CHECK_FALSE(cluster.nodes[5].store().identity.has_value());  // it is a spare now
}

TEST_CASE("quorum_kv: bug ack_before_quorum answers ok before any follower stored the write") {
  Config config = two_followers();
  config.bug = Bug::ack_before_quorum;
  Cluster cluster(config);
  cluster.deliver_all();
  cluster.input(gateway_node, Write{RequestId{1, 1}, "k", 7, 0});
  // Deliver only up to the leader's answer: the puts to the followers stay in flight.
  for (int step = 0; step < 2; ++step) {
    const auto m = cluster.flight.front();
    cluster.flight.pop_front();
    cluster.run(m.to, [&](Node& node, Effects& out) { node.on_message(m.from, m.message, out); });
  }
  const auto& pending = cluster.nodes[3].pending_writes();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].acknowledged);
  CHECK(pending[0].acked.empty());
}

TEST_CASE("quorum_kv: Store::merge keeps the highest version of each key, keys sorted") {
  rc::prop("merging items in any order gives the maximum per key",
           [](std::vector<std::uint8_t> raw) {
             Store store;
             std::map<std::string, std::uint64_t> highest;
             for (std::size_t i = 0; i < raw.size(); ++i) {
               const std::string key = "k" + std::to_string(raw[i] % 5);
               const Version version{1 + raw[i] / 5u};
               store.merge(Item{key, version, static_cast<std::int64_t>(i)});
               highest[key] = std::max(highest[key], version.value);
             }
             RC_ASSERT(store.items.size() == highest.size());
             for (std::size_t i = 0; i + 1 < store.items.size(); ++i)
               RC_ASSERT(store.items[i].key < store.items[i + 1].key);
             for (const auto& [key, version] : highest)
               RC_ASSERT(store.version_of(key).value == version);
           });
}

TEST_CASE("quorum_kv: Store::merge_sibling keeps concurrent values, drops what a value saw") {
  Store store;
  const auto sibling = [](std::int64_t value, VersionVector clock) {
    return Sibling{Item{"cart", Version{static_cast<std::uint64_t>(value)}, value},
                   std::move(clock)};
  };
  CHECK(store.merge_sibling(sibling(1, {1, 0, 0})));
  CHECK(store.merge_sibling(sibling(2, {0, 1, 0})));  // concurrent: both kept
  CHECK(store.siblings_of("cart").size() == 2);
  CHECK_FALSE(store.merge_sibling(sibling(3, {1, 0, 0})));  // one held already covers it
  CHECK(store.merge_sibling(sibling(4, {1, 1, 1})));        // saw both: replaces them
  REQUIRE(store.siblings_of("cart").size() == 1);
  CHECK(store.siblings_of("cart").front().item.value == 4);
  CHECK(store.holds_clock("cart", {1, 0, 0}));
  CHECK(store.holds_clock("cart", {1, 1, 1}));
  CHECK_FALSE(store.holds_clock("cart", {2, 0, 0}));
  CHECK_FALSE(store.holds_clock("basket", {0, 0, 0}));
}

TEST_CASE("quorum_kv: version vectors need a replica coordinator, no hints, no repair") {
  Config config;
  config.mode = Mode::leaderless;
  config.conflicts = Conflicts::version_vectors;
  config.sloppy_quorum = false;
  const auto error_of = [](const Config& c) {
    const auto ok = c.validate(c.layout_nodes());
    return ok ? std::string() : ok.error().to_string();
  };
  CHECK_THAT(error_of(config), Catch::Contains("write_coordinator: preference"));
  config.write_coordinator = WriteCoordinator::preference;
  CHECK(error_of(config).empty());
  config.sloppy_quorum = true;
  CHECK_THAT(error_of(config), Catch::Contains("sloppy_quorum: false"));
  config.sloppy_quorum = false;
  config.read_repair = ReadRepair::async;
  CHECK_THAT(error_of(config), Catch::Contains("read_repair: none"));
  config.read_repair = ReadRepair::none;
  config.mode = Mode::leader;
  CHECK_THAT(error_of(config), Catch::Contains("mode: leaderless"));
}

TEST_CASE("quorum_kv: descends is the entrywise order of version vectors") {
  CHECK(descends({1, 2, 3}, {1, 2, 3}));
  CHECK(descends({2, 2, 3}, {1, 2, 3}));
  CHECK_FALSE(descends({0, 3, 3}, {1, 2, 3}));
  CHECK_FALSE(descends({1, 2, 3}, {2, 2, 3}));
}

}  // namespace
}  // namespace faultline::quorum_kv
