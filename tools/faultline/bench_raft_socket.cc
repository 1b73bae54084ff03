// `faultline bench raft-socket`: committed writes per second of a Raft cluster on loopback, with
// every node a real process writing its durable log with fdatasync (the socket runtime, sim/real).
//
// It starts the nodes (`faultline node`, one process each, in a temporary directory), waits for a
// leader, and drives the Raft workload closed loop from this process: `--clients` sessions, each
// with one write outstanding (puts only, no think time), sent to the leader. After `--warmup`
// seconds it counts, for `--seconds`, the ok replies to puts (each is a write the leader committed
// and applied), and reads every node's status before and after the window for its persist count
// (one fdatasync each) and /proc for each process's CPU time. Then it stops the nodes it started
// (only those pids) and removes the directory unless --keep.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "protocols/raft/protocol.h"
#include "sim/real/client.h"
#include "sim/real/process.h"
#include "sim/real/real_node.h"
#include "sim/real/workload_client.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/bench_raft_socket.h"
#include "tools/faultline/commands.h"

namespace faultline::cli {

namespace {

using namespace faultline::real;
using Clock = std::chrono::steady_clock;

// The seed's figure: "Write Operations/s, 3-Node Cluster: 4,200" (seeds/003, Benchmark Results).
constexpr double seed_writes_per_second = 4200;

double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!stat || !std::getline(stat, text)) return 0;
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
    if (i == 15) break;
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The disk's own pace: the median time of one 4 KiB append + fdatasync in `dir` (50 samples).
double fdatasync_ms(const std::string& dir) {
  const std::string path = dir + "/fdatasync-probe";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  std::vector<char> block(4096, 'x');
  std::vector<double> samples;
  for (int i = 0; i < 50; ++i) {
    const auto start = Clock::now();
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0)
      break;
    samples.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  ::close(fd);
  std::filesystem::remove(path);
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

struct Snapshot {
  Clock::time_point at;
  std::vector<StatusReply> status;
  std::vector<double> cpu;  // nodes, then this process
};

}  // namespace

int run_raft_socket_benchmark(const RaftSocketBenchOptions& options) {
  const std::uint32_t node_count = options.nodes;
  std::string dir = options.dir;
  const bool temporary = dir.empty();
  if (temporary)
    dir = (std::filesystem::temp_directory_path() /
           ("faultline-bench-raft-" + std::to_string(::getpid())))
              .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const double disk_ms = fdatasync_ms(dir);

  // Free loopback ports: bind port 0, note the port, release.
  std::vector<std::uint16_t> ports;
  {
    asio::io_context io;
    std::vector<tcp::acceptor> held;
    for (std::uint32_t i = 0; i < node_count; ++i) {
      held.emplace_back(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      ports.push_back(held.back().local_endpoint().port());
    }
  }
  std::string yaml = "protocol: raft\nseed: 1\ndata_dir: data\nnodes:\n";
  for (std::uint32_t i = 0; i < node_count; ++i)
    yaml += "  - { id: n" + std::to_string(i) + ", address: 127.0.0.1:" + std::to_string(ports[i]) +
            " }\n";
  yaml += "config: " + options.raft_config + "\n";
  yaml += "runtime: " + options.runtime + "\n";
  const std::string cluster_path = dir + "/cluster.yaml";
  std::ofstream(cluster_path) << yaml;
  auto cluster = load_cluster_file(cluster_path);
  if (!cluster) {
    std::fprintf(stderr, "error: %s\n", cluster.error().to_string().c_str());
    return exit_usage;
  }

  std::vector<pid_t> pids;
  struct Cleanup {
    std::vector<pid_t>& pids;
    std::string dir;
    bool remove;
    ~Cleanup() {
      for (pid_t pid : pids)
        if (pid > 1) ::kill(pid, SIGTERM);
      for (pid_t pid : pids) {
        if (pid <= 1) continue;
        for (int i = 0; i < 250; ++i) {  // up to 5 s, then SIGKILL
          if (::waitpid(pid, nullptr, WNOHANG) == pid) {
            pid = 0;
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (pid > 1) {
          ::kill(pid, SIGKILL);
          ::waitpid(pid, nullptr, 0);
        }
      }
      if (remove) std::filesystem::remove_all(dir);
    }
  } cleanup{pids, dir, temporary && !options.keep};

  for (std::uint32_t i = 0; i < node_count; ++i) {
    const NodeFiles files{cluster->node_dir(i)};
    std::filesystem::create_directories(files.dir);
    auto pid = spawn_detached(self_executable(),
                              {"node", "--cluster", cluster_path, "--id", cluster->nodes[i].id},
                              files.log());
    if (!pid) {
      std::fprintf(stderr, "error: %s\n", pid.error().to_string().c_str());
      return exit_usage;
    }
    pids.push_back(*pid);
  }
  for (std::uint32_t i = 0; i < node_count; ++i)
    if (!wait_for_listener("127.0.0.1", ports[i], Duration::from_seconds(10))) {
      std::fprintf(stderr, "error: n%u did not listen:\n%s", i,
                   tail_of_file(NodeFiles{cluster->node_dir(i)}.log(), 10).c_str());
      return exit_usage;
    }
  std::optional<std::uint32_t> leader;
  for (int attempt = 0; attempt < 100 && !leader; ++attempt) {
    for (std::uint32_t i = 0; i < node_count && !leader; ++i) {
      auto reply = query_status<Raft>(*cluster, i, Duration::from_seconds(2));
      if (reply && reply->role == "leader") leader = i;
    }
    if (!leader) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!leader) {
    std::fprintf(stderr, "error: no leader within 10 s\n");
    return exit_usage;
  }

  raft::Config raft_config;
  (void)decode_config(cluster->config, raft_config);
  raft::WorkloadConfig workload_config;
  workload_config.clients = options.clients;
  workload_config.duration =
      Duration{static_cast<std::int64_t>((options.warmup_s + options.seconds + 1) * 1e9)};
  workload_config.think_time = DurationRange{Duration{}, Duration{}};
  workload_config.read_percent = 0;
  workload_config.cas_percent = 0;
  workload_config.keys = 16;
  workload_config.request_timeout = Duration::from_seconds(2);
  workload_config.first_target = NodeId{*leader};
  raft::Workload workload(workload_config, raft_config, node_count, Rng(1).fork("workload"));

  asio::io_context io;
  Logger quiet(nullptr, "bench");
  std::vector<std::uint32_t> targets;
  for (std::uint32_t i = 0; i < node_count; ++i) targets.push_back(i);
  ClusterClient<Raft> client(io, *cluster, ClientId{0}, targets, quiet);
  client.keep_history = false;
  WorkloadDriver<Raft> driver(io, client, workload);

  bool counting = false;
  std::uint64_t writes = 0;
  std::uint64_t other_replies = 0;
  std::map<std::uint64_t, std::int64_t> sent_at;  // (client, seq) -> first attempt's send time
  std::vector<std::int64_t> latencies;
  client.on_invocation = [&](const Invocation<Raft>& inv) {
    if (const auto* r = std::get_if<raft::ClientRequest>(&inv.input); r && r->attempt == 0)
      sent_at[(r->client << 32) | r->seq] = inv.time.nanoseconds;
  };
  client.on_emission = [&](const Emission<Raft>& em) {
    if (const auto* reply = std::get_if<raft::ClientReply>(&em.output)) {
      const auto it = sent_at.find((reply->client << 32) | reply->seq);
      if (reply->status == raft::ReplyStatus::ok && reply->index != raft::Index{}) {
        if (counting) {
          ++writes;
          if (it != sent_at.end()) latencies.push_back(em.time.nanoseconds - it->second);
        }
        if (it != sent_at.end()) sent_at.erase(it);
      } else if (counting) {
        ++other_replies;
      }
    }
    driver.on_emission(em);
  };

  std::vector<Snapshot> snapshots(2);
  std::size_t replies_pending = 0;
  const auto take = [&](Snapshot& snapshot) {
    snapshot.at = Clock::now();
    snapshot.status.assign(node_count, StatusReply{});
    snapshot.cpu.clear();
    for (pid_t pid : pids) snapshot.cpu.push_back(cpu_seconds(pid));
    snapshot.cpu.push_back(cpu_seconds(::getpid()));
    for (std::uint32_t i = 0; i < node_count; ++i) {
      ++replies_pending;
      client.request_status(i, [&, i](Result<StatusReply> reply) {
        --replies_pending;
        if (reply) snapshot.status[i] = std::move(*reply);
      });
    }
  };
  asio::steady_timer phase(io);
  std::vector<bool> up(node_count, false);
  bool started = false;
  client.on_link = [&](NodeId node, bool is_up) {
    up[node.value] = is_up;
    if (started || !std::ranges::all_of(up, [](bool b) { return b; })) return;
    started = true;
    driver.start();
    phase.expires_after(
        std::chrono::nanoseconds(static_cast<std::int64_t>(options.warmup_s * 1e9)));
    phase.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      counting = true;
      take(snapshots[0]);
      phase.expires_after(
          std::chrono::nanoseconds(static_cast<std::int64_t>(options.seconds * 1e9)));
      phase.async_wait([&](const boost::system::error_code& ec2) {
        if (ec2) return;
        counting = false;
        take(snapshots[1]);
        phase.expires_after(std::chrono::seconds(3));  // for the status replies
        phase.async_wait([&](const boost::system::error_code&) { io.stop(); });
      });
    });
  };
  asio::steady_timer stopper(io);
  std::function<void()> check_done;
  check_done = [&] {
    if (snapshots[1].at != Clock::time_point{} && replies_pending == 0) return io.stop();
    stopper.expires_after(std::chrono::milliseconds(10));
    stopper.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) check_done();
    });
  };
  check_done();
  client.start();
  io.run();
  driver.stop();
  client.stop();

  const double window = std::chrono::duration<double>(snapshots[1].at - snapshots[0].at).count();
  const double rate = static_cast<double>(writes) / window;
  std::sort(latencies.begin(), latencies.end());
  const auto percentile = [&](double p) {
    if (latencies.empty()) return 0.0;
    return static_cast<double>(
               latencies[static_cast<std::size_t>(p * static_cast<double>(latencies.size() - 1))]) /
           1e6;
  };
  std::printf(
      "raft-socket benchmark: %u nodes on loopback, one process each, durable log fdatasync'd "
      "before any send\n",
      node_count);
  std::printf("  client sessions      %u (one write outstanding each, puts only, no think time)\n",
              options.clients);
  std::printf(
      "  disk                 %.2f ms per 4 KiB append + fdatasync (median of 50, before the "
      "run)\n",
      disk_ms);
  std::printf("  window               %.2f s after %.1f s warm-up\n", window, options.warmup_s);
  std::printf("  committed writes     %llu  (%llu other replies)\n",
              static_cast<unsigned long long>(writes),
              static_cast<unsigned long long>(other_replies));
  std::printf("  writes/s             %.0f   (seed: %.0f; %.1fx)\n", rate, seed_writes_per_second,
              rate / seed_writes_per_second);
  std::printf("  write latency        p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", percentile(0.5),
              percentile(0.99), percentile(1.0));
  for (std::uint32_t i = 0; i < node_count; ++i) {
    const auto& a = snapshots[0].status[i];
    const auto& b = snapshots[1].status[i];
    const double persists = static_cast<double>(b.persists - a.persists);
    const double bytes = static_cast<double>(b.persisted_bytes - a.persisted_bytes);
    const double events = static_cast<double>(b.events - a.events);
    std::printf(
        "  n%u %-9s fsyncs/s %6.0f  handler calls/s %7.0f  calls per fsync %5.1f  state %5.1f KB  "
        "CPU %3.0f%%\n",
        i, b.role.c_str(), persists / window, events / window,
        persists > 0 ? events / persists : 0.0, persists > 0 ? bytes / persists / 1024 : 0.0,
        100 * (snapshots[1].cpu[i] - snapshots[0].cpu[i]) / window);
  }
  std::printf("  client (this process) CPU %3.0f%%\n",
              100 * (snapshots[1].cpu[node_count] - snapshots[0].cpu[node_count]) / window);
  if (!temporary || options.keep) std::printf("  files: %s\n", dir.c_str());
  return exit_ok;
}

}  // namespace faultline::cli
