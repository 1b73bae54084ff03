// In-process socket runtime: two RealNodes and a client on one io_context over loopback TCP
// run a rollout; a node survives garbage on its socket and keeps what it persisted.
#include <catch2/catch.hpp>

#include "protocols/two_phase_commit/log.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/real/client.h"
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

}  // namespace

TEST_CASE("loopback: a two-node cluster in one process commits every stage over TCP") {
  TempDir dir;
  const auto ports = free_ports(2);
  auto cluster =
      parse_cluster_file(cluster_yaml(ports, dir.path, "{}"), dir.path + "/cluster.yaml");
  REQUIRE(cluster.has_value());
  asio::io_context io;
  Logger log(nullptr, "test");
  RealNode<TPC> n0(io, NodeSetup<TPC>{*cluster, fast_config(), 0, 1}, log);
  RealNode<TPC> n1(io, NodeSetup<TPC>{*cluster, fast_config(), 1, 1}, log);
  REQUIRE(n1.start().has_value());
  REQUIRE(n0.start().has_value());
  ClusterClient<TPC> client(io, *cluster, ClientId{0}, {0, 1}, log);
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

TEST_CASE(
    "loopback: bad frames close only their connection, and the node keeps serving and its state") {
  TempDir dir;
  const auto ports = free_ports(1);
  auto cluster =
      parse_cluster_file(cluster_yaml(ports, dir.path, "{}"), dir.path + "/cluster.yaml");
  REQUIRE(cluster.has_value());
  asio::io_context io;
  Logger log(nullptr, "test");
  RealNode<TPC> node(io, NodeSetup<TPC>{*cluster, fast_config(), 0, 1}, log);
  REQUIRE(node.start().has_value());
  // A one-node cluster commits alone once healthy.
  {
    ClusterClient<TPC> client(io, *cluster, ClientId{0}, {0}, log);
    client.start();
    REQUIRE(run_until(
        io, [&] { return client.connected(0); }, std::chrono::seconds(5)));
    client.submit(NodeId{0}, ClientId{1}, healthy());
    REQUIRE(run_until(
        io,
        [&] { return node.node().committed_state().canary_weight_bps == 5000 && node.synced(); },
        std::chrono::seconds(10)));
    client.stop();
  }
  const auto before = DurableLog::read<tpc::Log>(dir.path + "/n0/durable.log");
  REQUIRE(before.has_value());

  for (const auto& [name, bytes] : hostile_frames()) {
    INFO(name);
    send_and_expect_close(io, ports[0], bytes);
    expect_status_answered(io, *cluster, log);  // the node still answers a well-behaved client
  }
  const auto after = DurableLog::read<tpc::Log>(dir.path + "/n0/durable.log");
  REQUIRE(after.has_value());
  CHECK(*after == *before);
  node.stop("test over");
}

TEST_CASE("loopback: a node refuses to start over a damaged durable file and says which") {
  TempDir dir;
  const auto ports = free_ports(1);
  auto cluster =
      parse_cluster_file(cluster_yaml(ports, dir.path, "{}"), dir.path + "/cluster.yaml");
  REQUIRE(cluster.has_value());
  std::filesystem::create_directories(dir.path + "/n0");
  // A complete record whose checksum does not match: damage, not a torn write.
  std::string text = "FLDURLG1";
  auto record = encode_frame(std::vector<std::uint8_t>{1, 2, 3});
  record.back() ^= 0x40;
  text.append(record.begin(), record.end());
  write_text(dir.path + "/n0/durable.log", text);
  asio::io_context io;
  Logger log(nullptr, "test");
  RealNode<TPC> node(io, NodeSetup<TPC>{*cluster, fast_config(), 0, 1}, log);
  auto started = node.start();
  REQUIRE_FALSE(started.has_value());
  CHECK(started.error().where == dir.path + "/n0/durable.log");
  CHECK_THAT(started.error().what, Catch::Contains("checksum"));
}
