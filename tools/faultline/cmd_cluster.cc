// `faultline node`, `cluster up|down` and `client`: the socket runtime (sim/real) on the
// command line. Reads the cluster file (sim/real/cluster_file.h) and dispatches on its protocol
// through the registry (entry.h); what each protocol does is in cluster_entry.h.
//
// node:         runs one node in this process until SIGTERM/SIGINT (then writes final_state.txt).
// cluster up:   starts every node that is not already running as a detached child of this binary,
//               writes <data_dir>/<id>/node.pid, waits until each listens (exit 1 if one does not).
// cluster down: SIGTERM to every running node, SIGKILL to any still alive after --grace.
// client:       see cluster_entry.h.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "sim/real/process.h"
#include "sim/real/real_node.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/client_process.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/number_options.h"

namespace faultline::cli {

namespace {

using namespace faultline::real;

void report(const Error& error) { std::fprintf(stderr, "error: %s\n", error.to_string().c_str()); }

std::optional<ClusterFile> load_or_report(const std::string& path) {
  auto cluster = load_cluster_file(path);
  if (!cluster) {
    report(cluster.error());
    exit_code() = exit_usage;
    return std::nullopt;
  }
  return std::move(*cluster);
}

// The cluster file's protocol, or a usage error listing the known ones.
const ProtocolEntry* protocol_of(const ClusterFile& cluster) {
  auto entry = find_protocol(cluster.protocol, cluster.path + ": protocol");
  if (entry) return *entry;
  report(entry.error());
  exit_code() = exit_usage;
  return nullptr;
}

struct NodeArgs {
  std::string cluster_path;
  std::string id;
  std::optional<std::uint64_t> seed;
};

// ---- cluster up / down ---------------------------------------------------------------------

struct ClusterArgs {
  std::string path;
  double timeout_s = 10;
  double grace_s = 5;
  std::optional<std::uint64_t> seed;
};

void cluster_up(const ClusterArgs& args) {
  auto cluster = load_or_report(args.path);
  if (!cluster) return;
  const std::string absolute_path = std::filesystem::absolute(args.path).string();
  struct Started {
    std::uint32_t index;
    pid_t pid;
  };
  std::vector<Started> started;
  for (std::uint32_t i = 0; i < cluster->nodes.size(); ++i) {
    const NodeFiles files{cluster->node_dir(i)};
    if (auto ok = make_directories(files.dir); !ok) {
      report(ok.error());
      exit_code() = exit_usage;
      return;
    }
    auto existing = read_pid_file(files.pid());
    if (existing && *existing && faultline_process_alive(**existing)) {
      std::printf("%s already running (pid %d)\n", cluster->nodes[i].id.c_str(),
                  static_cast<int>(**existing));
      continue;
    }
    std::vector<std::string> node_args{"node", "--cluster", absolute_path, "--id",
                                       cluster->nodes[i].id};
    if (args.seed) node_args.insert(node_args.end(), {"--seed", std::to_string(*args.seed)});
    auto pid = spawn_detached(self_executable(), node_args, files.log());
    if (!pid) {
      report(pid.error());
      exit_code() = exit_usage;
      return;
    }
    if (auto ok = write_pid_file(files.pid(), *pid); !ok) report(ok.error());
    started.push_back({i, *pid});
  }
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::nanoseconds(seconds(args.timeout_s).nanoseconds);
  for (const Started& s : started) {
    const Endpoint& endpoint = cluster->endpoints[s.index];
    const NodeFiles files{cluster->node_dir(s.index)};
    bool listening = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(s.pid, &status, WNOHANG) == s.pid) break;  // it exited: report below
      if (wait_for_listener(endpoint.host, endpoint.port, Duration::from_milliseconds(100))) {
        listening = true;
        break;
      }
    }
    if (!listening) {
      std::fprintf(stderr, "error: %s (pid %d) is not listening on %s; the end of %s:\n%s",
                   cluster->nodes[s.index].id.c_str(), static_cast<int>(s.pid),
                   cluster->nodes[s.index].address.c_str(), files.log().c_str(),
                   tail_of_file(files.log(), 10).c_str());
      exit_code() = exit_usage;
      return;
    }
    std::printf("%s listening on %s (pid %d, log %s)\n", cluster->nodes[s.index].id.c_str(),
                cluster->nodes[s.index].address.c_str(), static_cast<int>(s.pid),
                files.log().c_str());
  }
  exit_code() = exit_ok;
}

bool wait_until_dead(const std::vector<pid_t>& pids, Duration timeout) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout.nanoseconds);
  for (;;) {
    const bool any = std::ranges::any_of(pids, faultline_process_alive);
    if (!any) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void cluster_down(const ClusterArgs& args) {
  auto cluster = load_or_report(args.path);
  if (!cluster) return;
  std::vector<pid_t> running;
  std::vector<std::string> pid_files;
  for (std::uint32_t i = 0; i < cluster->nodes.size(); ++i) {
    const NodeFiles files{cluster->node_dir(i)};
    auto pid = read_pid_file(files.pid());
    if (!pid) {
      report(pid.error());
      continue;
    }
    pid_files.push_back(files.pid());
    if (!*pid || !faultline_process_alive(**pid)) continue;
    ::kill(**pid, SIGTERM);
    running.push_back(**pid);
    std::printf("%s: SIGTERM to pid %d\n", cluster->nodes[i].id.c_str(), static_cast<int>(**pid));
  }
  if (!wait_until_dead(running, seconds(args.grace_s))) {
    for (pid_t pid : running)
      if (faultline_process_alive(pid)) {
        std::printf("pid %d: still alive after %.1fs, SIGKILL\n", static_cast<int>(pid),
                    args.grace_s);
        ::kill(pid, SIGKILL);
      }
    if (!wait_until_dead(running, Duration::from_seconds(5))) {
      std::fprintf(stderr, "error: some nodes survived SIGKILL\n");
      exit_code() = exit_usage;
      return;
    }
  }
  for (const auto& file : pid_files) std::filesystem::remove(file);
  exit_code() = exit_ok;
}

// faultline node: one node of a cluster file in this process.
void add_node_command(CLI::App& app) {
  auto node_args = std::make_shared<NodeArgs>();
  CLI::App* node = app.add_subcommand(
      "node", "Run one node of a cluster file in this process (the socket runtime)");
  node->add_option("--cluster", node_args->cluster_path, "Cluster file (YAML)")->required();
  node->add_option("--id", node_args->id, "The node id to run (from the cluster file's nodes)")
      ->required();
  node->add_option("--seed", node_args->seed,
                   "Seed for timer draws (default: the cluster file's seed)")
      ->check(unsigned_decimal());
  node->callback([node_args] {
    auto cluster = load_or_report(node_args->cluster_path);
    if (!cluster) return;
    auto index = cluster->node_index(node_args->id);
    if (!index) {
      report(index.error());
      exit_code() = exit_usage;
      return;
    }
    if (const ProtocolEntry* entry = protocol_of(*cluster))
      exit_code() = entry->node(*cluster, *index, node_args->seed.value_or(cluster->seed));
  });
}

// faultline cluster up|down: every node of a cluster file as OS processes.
void add_cluster_up_down_commands(CLI::App& app) {
  auto cluster_args = std::make_shared<ClusterArgs>();
  CLI::App* cluster =
      app.add_subcommand("cluster", "Start or stop every node of a cluster file as OS processes");
  cluster->require_subcommand(1);
  CLI::App* up = cluster->add_subcommand(
      "up", "Start every node not already running; wait until each listens");
  up->add_option("FILE", cluster_args->path, "Cluster file (YAML)")->required();
  up->add_option("--timeout", cluster_args->timeout_s,
                 "Seconds to wait for every node to listen (default 10)");
  up->add_option("--seed", cluster_args->seed,
                 "Seed for the nodes' timer draws (default: the cluster file's seed)")
      ->check(unsigned_decimal());
  up->callback([cluster_args] { cluster_up(*cluster_args); });
  CLI::App* down =
      cluster->add_subcommand("down", "SIGTERM every running node, SIGKILL after --grace seconds");
  down->add_option("FILE", cluster_args->path, "Cluster file (YAML)")->required();
  down->add_option("--grace", cluster_args->grace_s,
                   "Seconds between SIGTERM and SIGKILL (default 5)");
  down->callback([cluster_args] { cluster_down(*cluster_args); });
}

// faultline client: inputs to a running cluster, recorded as a history.
void add_client_command(CLI::App& app) {
  auto client_args = std::make_shared<ClientArgs>();
  CLI::App* client =
      app.add_subcommand("client", "Submit inputs to a running cluster and record the history");
  client->add_option("FILE", client_args->path, "Cluster file (YAML)")->required();
  client->add_option("--node", client_args->nodes,
                     "Talk only to this node (repeatable; default: all)");
  client->add_option("--input", client_args->inputs,
                     "One input as YAML flow text (the protocol's Input), e.g. "
                     "'{predict: {request_id: 1, draw: 42}}' (needs one --node)");
  client->add_option(
      "--workload", client_args->workload,
      "Workload keys as YAML flow text over the cluster file's workload:, e.g. '{duration: 10s}'");
  client->add_option("--set", client_args->settings,
                     "Set a workload key (workload.key=value) after --workload; repeatable");
  client->add_option("--history", client_args->history_path,
                     "Record invocations and emissions as JSON lines");
  client->add_option("--wait", client_args->wait_s,
                     "Seconds to keep listening after the last input (default 1)");
  client->add_option("--connect-timeout", client_args->connect_timeout_s,
                     "Seconds to wait for every node before starting (default 10)");
  client
      ->add_option("--seed", client_args->seed, "Workload seed (default: the cluster file's seed)")
      ->check(unsigned_decimal());
  client->add_option("--max-time", client_args->max_time_s,
                     "Closed-loop workloads: stop after this many seconds even if requests are "
                     "outstanding (default: no bound)");
  client->add_flag("--status", client_args->status, "Print each node's role and state, then exit");
  client->add_flag("--verbose", client_args->verbose, "Print every output as it arrives");
  client->callback([client_args] {
    auto cluster = load_or_report(client_args->path);
    if (!cluster) return;
    if (const ProtocolEntry* entry = protocol_of(*cluster))
      exit_code() = entry->client(*cluster, *client_args);
  });
}

}  // namespace

void add_cluster_commands(CLI::App& app) {
  add_node_command(app);
  add_cluster_up_down_commands(app);
  add_client_command(app);
}

}  // namespace faultline::cli
