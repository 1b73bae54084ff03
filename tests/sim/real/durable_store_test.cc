// DurableStore: round trip, atomic replacement, and every damaged file is an Error naming it.
// GCC 12 reports false "maybe-uninitialized" warnings when a temporary record is moved into a
// std::variant (as node.cc notes); the values here are all fully initialised.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "protocols/two_phase_commit/protocol.h"
#include "sim/real/cluster_file.h"
#include "sim/real/durable_store.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using faultline::real::testing::TempDir;
namespace tpc = faultline::two_phase_commit;

namespace {

tpc::Log sample_log() {
  tpc::Log log;
  tpc::RoutingState state{2, "v1", "v2", 500, tpc::RoutingStatus::committed};
  log.records.push_back(tpc::PreparedRecord{tpc::TxId{1}, state, true});
  log.records.push_back(tpc::CommittedRecord{tpc::TxId{1}, state});
  return log;
}

void write_raw(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("durable store: a missing file is nothing persisted yet") {
  TempDir dir;
  DurableStore store(dir.path + "/durable.bin");
  auto read = store.read<tpc::Log>();
  REQUIRE(read.has_value());
  CHECK_FALSE(read->has_value());
}

TEST_CASE("durable store: round trip and replacement leave no temp file") {
  TempDir dir;
  DurableStore store(dir.path + "/durable.bin");
  tpc::Log log = sample_log();
  REQUIRE(store.write(log).has_value());
  log.records.push_back(tpc::AbortedRecord{tpc::TxId{2}});
  REQUIRE(store.write(log).has_value());
  auto read = store.read<tpc::Log>();
  REQUIRE(read.has_value());
  REQUIRE(read->has_value());
  CHECK(**read == log);
  CHECK_FALSE(std::filesystem::exists(dir.path + "/durable.bin.tmp"));
}

TEST_CASE("durable store: a truncated file at every length is an Error naming the file") {
  TempDir dir;
  const std::string path = dir.path + "/durable.bin";
  DurableStore store(path);
  REQUIRE(store.write(sample_log()).has_value());
  auto full = read_file_bytes(path);
  REQUIRE(full.has_value());
  for (std::size_t cut = 0; cut < full->size(); ++cut) {
    write_raw(path, std::vector<std::uint8_t>(full->begin(),
                                              full->begin() + static_cast<std::ptrdiff_t>(cut)));
    auto read = store.read<tpc::Log>();
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().where == path);
    CHECK_THAT(read.error().what, Catch::Contains("truncated"));
  }
}

TEST_CASE("durable store: a flipped bit, bad magic or undecodable payload is an Error") {
  TempDir dir;
  const std::string path = dir.path + "/durable.bin";
  DurableStore store(path);
  REQUIRE(store.write(sample_log()).has_value());
  auto full = *read_file_bytes(path);
  for (std::size_t i = 0; i < full.size(); ++i) {
    auto damaged = full;
    damaged[i] ^= 0x10;
    write_raw(path, damaged);
    auto read = store.read<tpc::Log>();
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().where == path);
  }
  // A well-framed payload that is not a Log.
  REQUIRE(store.write_bytes(std::vector<std::uint8_t>{0x05, 0x09}).has_value());
  auto read = store.read<tpc::Log>();
  REQUIRE_FALSE(read.has_value());
  CHECK_THAT(read.error().what, Catch::Contains("does not decode"));
}

TEST_CASE("durable store: a stale temp file from a crash mid-write does not hide the real one") {
  TempDir dir;
  const std::string path = dir.path + "/durable.bin";
  DurableStore store(path);
  REQUIRE(store.write(sample_log()).has_value());
  write_raw(path + ".tmp", {1, 2, 3});  // a crash after writing the temp, before the rename
  auto read = store.read<tpc::Log>();
  REQUIRE(read.has_value());
  CHECK(**read == sample_log());
}

TEST_CASE("cluster file: a good file decodes, bad ones name key and line") {
  const std::string good =
      "protocol: two_phase_commit\n"
      "seed: 9\n"
      "data_dir: /tmp/x\n"
      "nodes:\n"
      "  - { id: n0, address: 127.0.0.1:7000 }\n"
      "  - { id: n1, address: 'localhost:7001' }\n"
      "config: { stage_interval: 1s }\n";
  auto cluster = parse_cluster_file(good, "c.yaml");
  REQUIRE(cluster.has_value());
  CHECK(cluster->nodes.size() == 2);
  CHECK(cluster->endpoints[1].port == 7001);
  CHECK(cluster->seed == 9);
  CHECK(cluster->data_dir == "/tmp/x");
  CHECK(cluster->config.kind == ConfigTree::Kind::map);
  CHECK(cluster->node_index("n1").value() == 1);
  CHECK_FALSE(cluster->node_index("n9").has_value());

  auto bad_port = parse_cluster_file(
      "protocol: p\nnodes:\n  - { id: n0, address: 127.0.0.1:99999 }\n", "c.yaml");
  REQUIRE_FALSE(bad_port.has_value());
  CHECK_THAT(bad_port.error().to_string(), Catch::Contains("nodes[0].address"));
  auto unknown = parse_cluster_file("protocol: p\nnodez: []\n", "c.yaml");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().line == 2);
  auto duplicate = parse_cluster_file(
      "protocol: p\nnodes:\n  - { id: a, address: h:1 }\n  - { id: a, address: h:2 }\n", "c.yaml");
  REQUIRE_FALSE(duplicate.has_value());
  CHECK_THAT(duplicate.error().what, Catch::Contains("duplicate"));
  CHECK_FALSE(parse_cluster_file("protocol: p\nnodes: []\n", "c.yaml").has_value());
  CHECK_FALSE(parse_cluster_file("[1, 2]", "c.yaml").has_value());
}
