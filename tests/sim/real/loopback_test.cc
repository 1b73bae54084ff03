// In-process socket runtime: two RealNodes and a client on one io_context over loopback TCP
// run a rollout, with and without auth; a node survives garbage on its socket and keeps what it
// persisted; with auth, callers without the key (peers and clients), a replayed handshake and
// frames with a bad MAC are refused, each closing only its own connection.
#include <catch2/catch.hpp>

#include "protocols/two_phase_commit/log.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/real/client.h"
#include "sim/real/handshake.h"
#include "sim/real/real_node.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using namespace faultline::real::testing;
namespace tpc = faultline::two_phase_commit;
using TPC = tpc::TwoPhaseCommit;

namespace {

tpc::Config fast_config() {
  tpc::Config config;
  config.stages = {Ratio{10, 100}, Ratio{50, 100}};
  config.stage_interval = Duration::from_milliseconds(50);
  config.heartbeat_interval = Duration::from_milliseconds(50);
  config.prepare_timeout = Duration::from_milliseconds(2000);
  return config;
}

// Runs the loop until done() or the deadline; the loop checks every 5 ms.
template <class Done>
bool run_until(asio::io_context& io, Done done, std::chrono::milliseconds deadline) {
  const auto stop_at = std::chrono::steady_clock::now() + deadline;
  while (!done() && std::chrono::steady_clock::now() < stop_at)
    io.run_for(std::chrono::milliseconds(5));
  return done();
}

tpc::ObserveHealth healthy() {
  return tpc::ObserveHealth{Duration::from_milliseconds(50), Ratio{0, 1}};
}

// Each attack's bytes as sent on a fresh connection (after a client hello where the attack is
// not the hello rule itself).
std::vector<std::pair<std::string, std::vector<std::uint8_t>>> hostile_frames() {
  const auto hello = encode_frame(encode_envelope<TPC>(ClientHello{"two_phase_commit", 5}));
  auto bad_checksum = encode_frame(encode_envelope<TPC>(StatusRequest{}));
  bad_checksum.back() ^= 0x5a;
  const auto bad_version = encode_frame(encode_envelope<TPC>(StatusRequest{}), 9);
  const std::vector<std::uint8_t> oversized{0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0, 0};
  const std::string http = "GET / HTTP/1.1\r\n\r\n";
  const std::vector<std::uint8_t> garbage(http.begin(), http.end());
  const auto undecodable = encode_frame(std::vector<std::uint8_t>{0x63, 0x01});
  const auto wrong_first = encode_frame(encode_envelope<TPC>(StatusRequest{}));
  auto after_hello = [&](const std::vector<std::uint8_t>& bytes) {
    auto all = hello;
    all.insert(all.end(), bytes.begin(), bytes.end());
    return all;
  };
  return {{"bad checksum", after_hello(bad_checksum)},
          {"unknown version", after_hello(bad_version)},
          {"oversized length", after_hello(oversized)},
          {"garbage bytes", garbage},
          {"undecodable payload", after_hello(undecodable)},
          {"status before hello", wrong_first}};
}

// Sends `bytes` on a fresh connection; the node closes it: our read ends (EOF or reset) instead
// of hanging.
void send_and_expect_close(asio::io_context& io, std::uint16_t port,
                           const std::vector<std::uint8_t>& bytes) {
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  REQUIRE_FALSE(ec);
  asio::write(socket, asio::buffer(bytes), ec);
  bool closed = false;
  std::array<std::uint8_t, 64> sink{};
  socket.async_read_some(asio::buffer(sink), [&](const boost::system::error_code& e, std::size_t) {
    closed = e.failed();
  });
  CHECK(run_until(
      io, [&] { return closed; }, std::chrono::seconds(5)));
}

// A well-behaved client gets node 0's status (a 2PC coordinator).
void expect_status_answered(asio::io_context& io, const ClusterFile& cluster, const Logger& log) {
  auto status_cluster = cluster;
  ClusterClient<TPC> client(io, status_cluster, ClientId{1}, {0}, log);
  std::optional<Result<StatusReply>> reply;
  client.on_link = [&](NodeId, bool up) {
    if (up) client.request_status(0, [&](Result<StatusReply> r) { reply = std::move(r); });
  };
  client.start();
  REQUIRE(run_until(
      io, [&] { return reply.has_value(); }, std::chrono::seconds(5)));
  REQUIRE(reply->has_value());
  CHECK((*reply)->role == "coordinator");
  client.stop();
}

constexpr std::string_view secret = "loopback-test-secret-0123456789";

// A cluster file for `ports` with `auth` appended (e.g. "auth: { secret: ... }\n", or "").
ClusterFile cluster_with(const std::vector<std::uint16_t>& ports, const TempDir& dir,
                         const std::string& auth) {
  auto cluster =
      parse_cluster_file(cluster_yaml(ports, dir.path, "{}") + auth, dir.path + "/cluster.yaml");
  REQUIRE(cluster.has_value());
  return std::move(*cluster);
}
std::string auth_with(std::string_view key) {
  return "auth: { secret: " + std::string(key) + " }\n";
}

// A caller on a raw socket, driven by hand: it runs the handshake itself, sends whatever bytes a
// test wants (recording them) and reads the node's frames, while the node runs on the same
// io_context. Reads time out after 5 s (then receive() reports nothing).
class RawCaller {
 public:
  RawCaller(asio::io_context& io, std::uint16_t port) : io_(io), socket_(io) {
    boost::system::error_code ec;
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    REQUIRE_FALSE(ec);
  }
  void send(const std::vector<std::uint8_t>& bytes) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    sent_.insert(sent_.end(), bytes.begin(), bytes.end());
  }
  // The next frame's payload, or nullopt once the node closed the connection (or 5 s passed).
  std::optional<std::vector<std::uint8_t>> receive() {
    for (;;) {
      auto frame = state_->decoder.next();
      REQUIRE(frame.has_value());
      if (*frame) return std::move(**frame);
      if (state_->closed) return std::nullopt;
      state_->reading = true;
      socket_.async_read_some(asio::buffer(state_->chunk),
                              [state = state_](const boost::system::error_code& ec, std::size_t n) {
                                state->reading = false;
                                if (ec)
                                  state->closed = true;
                                else
                                  state->decoder.feed(std::span(state->chunk.data(), n));
                              });
      if (!run_until(
              io_, [&] { return !state_->reading; }, std::chrono::seconds(5)))
        return std::nullopt;
    }
  }
  // Whether the node closes the connection (every frame before that is read and dropped).
  bool closed_by_node() {
    while (receive()) {}
    return state_->closed;
  }
  // The handshake as a client with `key`; this side's frame keys.
  SessionKeys handshake(const AuthKey& key) {
    CallerHandshake caller(key, "two_phase_commit", CallerRole::client, 5, 0);
    send(encode_frame(caller.hello()));
    auto challenge = receive();
    REQUIRE(challenge.has_value());
    auto answer = caller.answer(*challenge);
    REQUIRE(answer.has_value());
    send(encode_frame(answer->proof));
    return answer->keys;
  }
  const std::vector<std::uint8_t>& sent() const { return sent_; }

 private:
  struct State {
    FrameDecoder decoder;
    std::array<std::uint8_t, 4096> chunk{};
    bool reading = false;
    bool closed = false;
  };
  asio::io_context& io_;
  tcp::socket socket_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::vector<std::uint8_t> sent_;
};

// One frame as an authenticated connection sends it: inside a record with the record's MAC.
std::vector<std::uint8_t> sealed_frame(FrameMac& mac, std::span<const std::uint8_t> payload) {
  const auto inner = encode_frame(payload);
  std::vector<std::uint8_t> record;
  append_frame(record, inner, mac.seal(inner));
  return record;
}

// A status request on an authenticated raw session is answered with a MACed status reply.
void expect_raw_status(RawCaller& caller, FrameMac& seal, FrameMac& open) {
  caller.send(sealed_frame(seal, encode_envelope<TPC>(StatusRequest{})));
  auto record = caller.receive();
  REQUIRE(record.has_value());
  REQUIRE(record->size() > frame_mac_bytes);
  const std::span<const std::uint8_t> body(record->data(), record->size() - frame_mac_bytes);
  REQUIRE(open.open(body, std::span(*record).last(frame_mac_bytes)));
  FrameDecoder frames;
  frames.feed(body);
  auto reply = frames.next();
  REQUIRE(reply.has_value());
  REQUIRE(reply->has_value());
  auto envelope = decode_envelope<TPC>(**reply);
  REQUIRE(envelope.has_value());
  CHECK(std::holds_alternative<StatusReply>(*envelope));
}

// The attacks on an authenticated node's frame MAC, each on its own connection after a good
// handshake: a flipped MAC bit (the checksum is recomputed, so only the MAC can tell), and a
// good frame sent twice (the second is a replay).
void attack_frame_macs(asio::io_context& io, std::uint16_t port, const AuthKey& key) {
  {
    RawCaller caller(io, port);
    const SessionKeys keys = caller.handshake(key);
    FrameMac seal(keys.send), open(keys.receive);
    auto frame = sealed_frame(seal, encode_envelope<TPC>(StatusRequest{}));
    std::vector<std::uint8_t> payload(frame.begin() + frame_header_bytes, frame.end());
    payload.back() ^= 0x01;
    caller.send(encode_frame(payload));
    CHECK(caller.closed_by_node());
  }
  {
    RawCaller caller(io, port);
    const SessionKeys keys = caller.handshake(key);
    FrameMac seal(keys.send), open(keys.receive);
    expect_raw_status(caller, seal, open);
    FrameMac replay(keys.send);  // the same frame again: sequence 0 where 1 is due
    caller.send(sealed_frame(replay, encode_envelope<TPC>(StatusRequest{})));
    CHECK(caller.closed_by_node());
  }
}

// A one-node cluster (a one-node 2PC commits alone once healthy), committed and synced.
std::unique_ptr<RealNode<TPC>> committed_node(asio::io_context& io, const ClusterFile& cluster,
                                              const Logger& log) {
  auto node =
      std::make_unique<RealNode<TPC>>(io, NodeSetup<TPC>{cluster, fast_config(), 0, 1}, log);
  REQUIRE(node->start().has_value());
  ClusterClient<TPC> client(io, cluster, ClientId{0}, {0}, log);
  client.start();
  REQUIRE(run_until(
      io, [&] { return client.connected(0); }, std::chrono::seconds(5)));
  client.submit(NodeId{0}, ClientId{1}, healthy());
  REQUIRE(run_until(
      io,
      [&] { return node->node().committed_state().canary_weight_bps == 5000 && node->synced(); },
      std::chrono::seconds(10)));
  client.stop();
  return node;
}

// Two nodes and a client commit every stage over TCP, with the cluster file's `auth` (or none).
void two_node_rollout(const std::string& auth) {
  TempDir dir;
  const auto ports = free_ports(2);
  const ClusterFile cluster = cluster_with(ports, dir, auth);
  asio::io_context io;
  Logger log(nullptr, "test");
  RealNode<TPC> n0(io, NodeSetup<TPC>{cluster, fast_config(), 0, 1}, log);
  RealNode<TPC> n1(io, NodeSetup<TPC>{cluster, fast_config(), 1, 1}, log);
  REQUIRE(n1.start().has_value());
  REQUIRE(n0.start().has_value());
  ClusterClient<TPC> client(io, cluster, ClientId{0}, {0, 1}, log);
  client.start();
  REQUIRE(run_until(
      io, [&] { return client.connected(0) && client.connected(1); }, std::chrono::seconds(5)));
  CHECK(client.submit(NodeId{0}, ClientId{1}, healthy()));
  CHECK(client.submit(NodeId{1}, ClientId{1}, healthy()));
  REQUIRE(run_until(
      io,
      [&] {
        return n0.node().committed_state().canary_weight_bps == 5000 &&
               n1.node().committed_state().canary_weight_bps == 5000 && n1.synced();
      },
      std::chrono::seconds(10)));
  // The client heard the commits, and a predict round-trips to a served reply.
  CHECK(client.submit(NodeId{1}, ClientId{0}, tpc::Predict{77, 100}));
  REQUIRE(run_until(
      io,
      [&] {
        for (const auto& e : client.history().emissions)
          if (const auto* s = std::get_if<tpc::PredictServed>(&e.output); s && s->request_id == 77)
            return true;
        return false;
      },
      std::chrono::seconds(5)));
  bool saw_applied = false;
  for (const auto& e : client.history().emissions)
    saw_applied |= std::holds_alternative<tpc::StateApplied>(e.output);
  CHECK(saw_applied);
  // What the participant persisted is on disk (group commit: once it has synced).
  REQUIRE(run_until(
      io, [&] { return n1.synced(); }, std::chrono::seconds(5)));
  auto disk = DurableLog::read<tpc::Log>(dir.path + "/n1/durable.log");
  REQUIRE(disk.has_value());
  REQUIRE(disk->has_value());
  CHECK(**disk == n1.node().log());
  client.stop();
  n0.stop("test over");
  n1.stop("test over");
}

// Two authenticated Connections on loopback (the handshake's keys set by hand): what the
// receiver got, and why it closed.
struct MacPair {
  SessionKeys sender_keys;
  std::shared_ptr<Connection> sender;
  std::shared_ptr<Connection> receiver;
  std::vector<std::vector<std::uint8_t>> got;
  std::string closed;
  MacPair(asio::io_context& io, std::uint32_t bound) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket socket(io);
    socket.connect(acceptor.local_endpoint());
    sender = std::make_shared<Connection>(std::move(socket), bound, "sender");
    receiver = std::make_shared<Connection>(acceptor.accept(), bound, "receiver");
    sender_keys.send.fill(3);
    sender_keys.receive.fill(4);
    sender->enable_mac(sender_keys);
    receiver->enable_mac(SessionKeys{sender_keys.receive, sender_keys.send});
    sender->start([](std::vector<std::uint8_t>) {}, [](const std::string&) {});
    receiver->start(
        [this](std::vector<std::uint8_t> payload) { got.push_back(std::move(payload)); },
        [this](const std::string& reason) { closed = reason; });
  }
  ~MacPair() {
    sender->close("test over");
    receiver->close("test over");
  }
};

}  // namespace

TEST_CASE("loopback: a two-node cluster in one process commits every stage over TCP") {
  two_node_rollout("");
}

TEST_CASE(
    "loopback: with auth, a two-node cluster commits every stage, peers and client authenticated") {
  two_node_rollout(auth_with(secret));
}

TEST_CASE(
    "loopback: bad frames close only their connection, and the node keeps serving and its state") {
  TempDir dir;
  const auto ports = free_ports(1);
  const ClusterFile cluster = cluster_with(ports, dir, "");
  asio::io_context io;
  Logger log(nullptr, "test");
  auto node = committed_node(io, cluster, log);
  const auto before = DurableLog::read<tpc::Log>(dir.path + "/n0/durable.log");
  REQUIRE(before.has_value());

  for (const auto& [name, bytes] : hostile_frames()) {
    INFO(name);
    send_and_expect_close(io, ports[0], bytes);
    expect_status_answered(io, cluster, log);  // the node still answers a well-behaved client
  }
  const auto after = DurableLog::read<tpc::Log>(dir.path + "/n0/durable.log");
  REQUIRE(after.has_value());
  CHECK(*after == *before);
  node->stop("test over");
}

TEST_CASE(
    "loopback: with auth, a bad frame MAC or a replayed frame closes only its connection, and the "
    "node keeps serving and its state") {
  TempDir dir;
  const auto ports = free_ports(1);
  const ClusterFile cluster = cluster_with(ports, dir, auth_with(secret));
  asio::io_context io;
  Logger log(nullptr, "test");
  auto node = committed_node(io, cluster, log);
  const auto before = DurableLog::read<tpc::Log>(dir.path + "/n0/durable.log");
  REQUIRE(before.has_value());
  // An authenticated client stays connected through every attack on other connections.
  ClusterClient<TPC> bystander(io, cluster, ClientId{9}, {0}, log);
  int links_lost = 0;
  bystander.on_link = [&](NodeId, bool up) { links_lost += up ? 0 : 1; };
  bystander.start();
  REQUIRE(run_until(
      io, [&] { return bystander.connected(0); }, std::chrono::seconds(5)));

  attack_frame_macs(io, ports[0], *cluster.auth_key());
  for (const auto& [name, bytes] : hostile_frames()) {  // none of them a handshake: refused
    INFO(name);
    send_and_expect_close(io, ports[0], bytes);
  }
  expect_status_answered(io, cluster, log);
  CHECK(bystander.connected(0));
  CHECK(links_lost == 0);
  const auto after = DurableLog::read<tpc::Log>(dir.path + "/n0/durable.log");
  REQUIRE(after.has_value());
  CHECK(*after == *before);
  bystander.stop();
  node->stop("test over");
}

TEST_CASE("loopback: with auth, a replayed handshake is refused") {
  TempDir dir;
  const auto ports = free_ports(1);
  const ClusterFile cluster = cluster_with(ports, dir, auth_with(secret));
  asio::io_context io;
  Logger log(nullptr, "test");
  auto node = committed_node(io, cluster, log);
  const auto before = DurableLog::read<tpc::Log>(dir.path + "/n0/durable.log");
  REQUIRE(before.has_value());
  // A good session, recorded: hello, proof, a MACed status request (answered).
  RawCaller good(io, ports[0]);
  const SessionKeys keys = good.handshake(*cluster.auth_key());
  FrameMac seal(keys.send), open(keys.receive);
  expect_raw_status(good, seal, open);
  const auto counts = node->inbound_counts();

  // The same bytes on a new connection: the node's fresh nonce makes the recorded proof wrong.
  RawCaller replay(io, ports[0]);
  replay.send(good.sent());
  auto challenge = replay.receive();
  REQUIRE(challenge.has_value());
  CHECK(is_auth_payload(*challenge));
  CHECK(replay.closed_by_node());  // and nothing else came back: no status reply
  CHECK(node->inbound_counts().refused == counts.refused + 1);
  CHECK(node->inbound_counts().clients == counts.clients);
  const auto after = DurableLog::read<tpc::Log>(dir.path + "/n0/durable.log");
  REQUIRE(after.has_value());
  CHECK(*after == *before);
  expect_raw_status(good, seal, open);  // the recorded session itself is unharmed
  node->stop("test over");
}

TEST_CASE("loopback: with auth, a client with no secret or a wrong secret is refused") {
  TempDir dir;
  const auto ports = free_ports(1);
  const ClusterFile cluster = cluster_with(ports, dir, auth_with(secret));
  asio::io_context io;
  Logger log(nullptr, "test");
  RealNode<TPC> node(io, NodeSetup<TPC>{cluster, fast_config(), 0, 1}, log);
  REQUIRE(node.start().has_value());
  for (const std::string& auth : {std::string(), auth_with("a-different-secret-0123456789")}) {
    INFO("client's auth: " << auth);
    const ClusterFile theirs = cluster_with(ports, dir, auth);
    ClusterClient<TPC> client(io, theirs, ClientId{3}, {0}, log);
    std::optional<Result<StatusReply>> reply;
    client.on_link = [&](NodeId, bool up) {
      if (up) client.request_status(0, [&](Result<StatusReply> r) { reply = std::move(r); });
    };
    const auto refused = node.inbound_counts().refused;
    client.start();
    REQUIRE(run_until(
        io, [&] { return node.inbound_counts().refused > refused; }, std::chrono::seconds(5)));
    CHECK(node.inbound_counts().clients == 0);
    CHECK_FALSE((reply.has_value() && reply->has_value()));
    client.stop();
  }
  expect_status_answered(io, cluster, log);  // the key holder is admitted
  CHECK(node.inbound_counts().clients == 1);
  node.stop("test over");
}

TEST_CASE("loopback: with auth, a peer with no secret or a wrong secret is refused both ways") {
  TempDir dir;
  const auto ports = free_ports(2);
  const ClusterFile cluster = cluster_with(ports, dir, auth_with(secret));
  const std::string auth = GENERATE(std::string(), auth_with("a-different-secret-0123456789"));
  INFO("n1's auth: " << auth);
  const ClusterFile theirs = cluster_with(ports, dir, auth);
  asio::io_context io;
  Logger log(nullptr, "test");
  RealNode<TPC> n0(io, NodeSetup<TPC>{cluster, fast_config(), 0, 1}, log);
  RealNode<TPC> n1(io, NodeSetup<TPC>{theirs, fast_config(), 1, 1}, log);
  REQUIRE(n0.start().has_value());
  REQUIRE(n1.start().has_value());
  // Each refuses the other's outbound link (no handshake, or a proof under another key).
  REQUIRE(run_until(
      io, [&] { return n0.inbound_counts().refused > 0 && n1.inbound_counts().refused > 0; },
      std::chrono::seconds(5)));
  CHECK(n0.inbound_counts().peers == 0);
  CHECK(n1.inbound_counts().peers == 0);
  n0.stop("test over");
  n1.stop("test over");
}

TEST_CASE("loopback: authenticated connections batch frames into records, split at the bound") {
  asio::io_context io;
  constexpr std::uint32_t bound = 256;  // a record (frames + MAC) is at most this
  MacPair pair(io, bound);
  // The first frame goes out at once; the rest queue behind it and share records, split so no
  // record passes the bound.
  std::vector<std::vector<std::uint8_t>> sent;
  for (std::uint8_t i = 0; i < 40; ++i) sent.emplace_back(std::size_t{1} + i * 5u, i);
  for (const auto& payload : sent) pair.sender->send(payload);
  REQUIRE(run_until(
      io, [&] { return pair.got.size() == sent.size() || !pair.closed.empty(); },
      std::chrono::seconds(5)));
  CHECK(pair.closed.empty());
  CHECK(pair.got == sent);
}

TEST_CASE("loopback: a record whose MAC holds but which holds no frames is refused") {
  asio::io_context io;
  MacPair pair(io, 256);
  FrameMac forger(pair.sender_keys.send);  // only a key holder can do this
  const std::vector<std::uint8_t> not_frames{1, 2, 3};
  std::vector<std::uint8_t> record;
  append_frame(record, not_frames, forger.seal(not_frames));
  pair.sender->send_raw(record);
  REQUIRE(run_until(
      io, [&] { return !pair.closed.empty(); }, std::chrono::seconds(5)));
  CHECK_THAT(pair.closed, Catch::StartsWith("bad record"));
  CHECK(pair.got.empty());
}

TEST_CASE("loopback: a node refuses to start over a damaged durable file and says which") {
  TempDir dir;
  const auto ports = free_ports(1);
  const ClusterFile cluster = cluster_with(ports, dir, "");
  std::filesystem::create_directories(dir.path + "/n0");
  // A complete record whose checksum does not match: damage, not a torn write.
  std::string text = "FLDURLG1";
  auto record = encode_frame(std::vector<std::uint8_t>{1, 2, 3});
  record.back() ^= 0x40;
  text.append(record.begin(), record.end());
  write_text(dir.path + "/n0/durable.log", text);
  asio::io_context io;
  Logger log(nullptr, "test");
  RealNode<TPC> node(io, NodeSetup<TPC>{cluster, fast_config(), 0, 1}, log);
  auto started = node.start();
  REQUIRE_FALSE(started.has_value());
  CHECK(started.error().where == dir.path + "/n0/durable.log");
  CHECK_THAT(started.error().what, Catch::Contains("checksum"));
}
