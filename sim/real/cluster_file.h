// The cluster file: which nodes exist, where they listen, which protocol they run with which
// config, where their data lives, and the runtime's knobs. YAML, parsed by sim/scenario's
// parse_yaml and decoded with the same decode_config as scenarios, so errors name key and line:
//
//   protocol: two_phase_commit
//   seed: 7                      # timer draws: Rng(seed).fork("timers").fork(node id)
//   data_dir: data               # relative to the cluster file's directory
//   nodes:
//     - { id: n0, address: 127.0.0.1:7000 }   # list order = NodeId (n0 is 2PC's coordinator)
//     - { id: n1, address: 127.0.0.1:7001 }
//   config: { stage_interval: 2s }            # the protocol's Config
//   workload: { predict_interval: 20ms }      # the protocol's WorkloadConfig (client)
//   runtime: { reconnect_backoff_min: 50ms, reconnect_backoff_max: 2s,
//              frame_bytes_max: 1048576 }
//   auth: { key_file: cluster.key }           # or { secret: ... }: see auth.h, handshake.h
//
// Invariants after load: at least one node, ids unique and non-empty, every address is
// host:port with a port in 1..65535, data_dir absolute; `auth` holds a key of a valid size when
// the file has an `auth:` (a key file is read at load, relative to the cluster file), and a
// cluster without one has only loopback addresses (anything reachable from a network must
// authenticate its callers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/config_tree.h"
#include "sim/core/result.h"
#include "sim/core/time.h"
#include "sim/real/auth.h"

namespace faultline::real {

struct NodeEntry {
  static constexpr std::string_view type_name = "NodeEntry";
  std::string id;
  std::string address;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("address", self.address);
  }
};

struct RuntimeOptions {
  static constexpr std::string_view type_name = "RuntimeOptions";
  Duration reconnect_backoff_min = Duration::from_milliseconds(50);
  Duration reconnect_backoff_max = Duration::from_seconds(2);
  std::uint32_t frame_bytes_max = 1u << 20;
  // Per peer; beyond it new messages are dropped (like loss).
  std::uint32_t send_queue_frames_max = 4096;
  std::uint32_t group_commit_events_max = 1024;  // handler calls per batch (one persist, one fsync)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("reconnect_backoff_min", self.reconnect_backoff_min);
    visit("reconnect_backoff_max", self.reconnect_backoff_max);
    visit("frame_bytes_max", self.frame_bytes_max);
    visit("send_queue_frames_max", self.send_queue_frames_max);
    visit("group_commit_events_max", self.group_commit_events_max);
  }
};

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

struct ClusterFile {
  std::string path;  // as given
  std::string protocol;
  std::uint64_t seed = 1;
  std::string data_dir;  // absolute after load
  std::vector<NodeEntry> nodes;
  std::vector<Endpoint> endpoints;  // parsed nodes[i].address
  RuntimeOptions runtime;
  ConfigTree config;    // the protocol's Config, decoded by the caller who knows the protocol
  ConfigTree workload;  // the protocol's WorkloadConfig (may be null)
  std::optional<AuthKey> auth;  // the shared key every connection proves; none: no auth

  // The key to authenticate with, or nullptr when the cluster has no auth.
  const AuthKey* auth_key() const { return auth ? &*auth : nullptr; }

  std::vector<std::string> node_names() const;
  // The index of a node id ("n1"), or an error listing the ids.
  Result<std::uint32_t> node_index(std::string_view id) const;
  std::string node_dir(std::uint32_t index) const { return data_dir + "/" + nodes[index].id; }
};

Result<Endpoint> parse_endpoint(std::string_view address);
// Whether a host is this machine only: "localhost", 127.0.0.0/8 or ::1.
bool is_loopback_host(std::string_view host);
Result<ClusterFile> parse_cluster_file(std::string_view text, const std::string& path);
Result<ClusterFile> load_cluster_file(const std::string& path);

}  // namespace faultline::real
