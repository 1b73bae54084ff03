// `faultline bench <protocol>-socket`: acknowledged writes per second of a cluster on loopback,
// with every node a real process writing its durable state with fdatasync (the socket runtime,
// sim/real); one harness, each protocol's row names a Traits (checkers/raft/socket_bench.cc,
// checkers/write_concern/socket_bench.cc, checkers/quorum_kv/socket_bench.cc).
//
// It starts the nodes (`faultline node`, one process each, in a temporary directory), waits for
// the node whose status role is Traits::primary_role, and drives the protocol's workload closed
// loop from this process: `clients` sessions, each with one write outstanding, no think time.
// After `warmup` it counts, for `seconds`, the replies Traits::reply calls acknowledged writes
// (with their latency from the first send Traits::first_send names), and reads every node's
// status before and after the window for its persist count (one fdatasync each) and /proc for
// each process's CPU time. Then it stops the nodes it started (only those pids) and removes the
// directory unless `keep`.
//
// Options are --set keys: nodes, clients, seconds, warmup, dir, keep, auth, rounds; config.KEY
// sets a key of the cluster's protocol config, runtime.KEY one of the cluster file's runtime:
// section. auth=on gives the cluster file an auth: key file (every connection runs the
// handshake and every write's frames carry an HMAC-SHA256 tag); auth=both measures its cost:
// `rounds` pairs of runs, with and without auth (alternating which goes first), each on a fresh
// cluster, one line per run, then the median of the rounds' ratios (with / without), so both
// sides of a ratio saw the same machine load.
//
// Traits (a struct): `using P`; `name` ("raft-socket"); `default_config` (flow YAML);
// `primary_role` (the status role to send writes to); `writes` (what the sessions send, for the
// report); `seed_writes_per_second` (the seed's figure, 0: none); optionally `nodes`, the
// default of --set nodes when the protocol's layout needs other than 3 (quorum_kv's); and
//   static P::WorkloadConfig workload(std::uint32_t clients, Duration duration,
//                                     std::uint32_t primary);
//   static std::optional<std::uint64_t> first_send(const P::Input&);  // a write's key, first send
//   static std::optional<socket_bench::Reply> reply(const P::Output&); // a reply to count
#pragma once

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
#include <sstream>
#include <thread>

#include <fmt/core.h>

#include "sim/real/client.h"
#include "sim/real/process.h"
#include "sim/real/real_node.h"
#include "sim/real/workload_client.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/binding.h"

#include <memory>
#include <optional>

#include "sim/core/config_tree.h"

namespace faultline::socket_bench {

using namespace faultline::real;
using Clock = std::chrono::steady_clock;

// A reply the benchmark counts: an acknowledged write (its latency runs from the first send of
// the same key), or another reply.
struct Reply {
  bool write = false;
  std::uint64_t key = 0;
};

template <class T>
struct SocketBench {
  using P = typename T::P;

  static constexpr int exit_ok = 0;
  static constexpr int exit_usage = 1;

  struct Options {
    static constexpr std::string_view type_name = "Options";
    std::uint32_t nodes = 3;
    std::uint32_t clients = 256;
    Duration seconds = Duration::from_seconds(10);  // the measured window
    Duration warmup = Duration::from_seconds(2);    // load before the window
    std::string dir;  // empty: a temporary directory, removed afterwards
    bool keep = false;
    std::string auth = "off";  // off, on, or both (compare)
    std::uint32_t rounds = 1;  // auth=both: pairs of runs
    template <class Self, class Visit>
    static void fields(Self& self, Visit&& visit) {
      visit("nodes", self.nodes);
      visit("clients", self.clients);
      visit("seconds", self.seconds);
      visit("warmup", self.warmup);
      visit("dir", self.dir);
      visit("keep", self.keep);
      visit("auth", self.auth);
      visit("rounds", self.rounds);
    }
  };

  struct Settings {
    Options options;
    ConfigTree config;   // the cluster file's config: (the protocol's Config)
    ConfigTree runtime;  // the cluster file's runtime:
  };

  static ConfigTree map_tree(std::string path) {
    ConfigTree tree;
    tree.kind = ConfigTree::Kind::map;
    tree.path = std::move(path);
    return tree;
  }

  // The settings: `config.KEY=V` and `runtime.KEY=V` go to those sections, the rest are Options.
  static Result<Settings> parse_settings(const std::vector<std::string>& assignments) {
    Settings settings;
    auto config = scenario::parse_yaml(std::string(T::default_config), "config");
    FL_ASSERT(config.has_value(), "the default config of the benchmark parses");
    settings.config = std::move(*config);
    settings.runtime = map_tree("runtime");
    if constexpr (requires { T::nodes; }) settings.options.nodes = T::nodes;
    ConfigTree options = map_tree(std::string(T::name));
    for (const std::string& assignment : assignments) {
      ConfigTree* tree = &options;
      std::string_view key = assignment;
      if (key.starts_with("config."))
        tree = &settings.config, key.remove_prefix(7);
      else if (key.starts_with("runtime."))
        tree = &settings.runtime, key.remove_prefix(8);
      if (auto ok = scenario::apply_override(*tree, key); !ok)
        return fail("--set " + assignment, 0, ok.error().to_string());
    }
    if (auto ok = decode_config(options, settings.options); !ok) return std::unexpected(ok.error());
    if (settings.options.nodes == 0 || settings.options.clients == 0)
      return fail("--set", 0, "nodes and clients must be at least 1");
    const std::string& auth = settings.options.auth;
    if (auth != "off" && auth != "on" && auth != "both")
      return fail("--set auth", 0, "is off, on or both, not '" + auth + "'");
    if (settings.options.rounds == 0) return fail("--set rounds", 0, "must be at least 1");
    return settings;
  }

  static double cpu_seconds(pid_t pid) {
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
  static double fdatasync_ms(const std::string& dir) {
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

  // The benchmark's cluster: a directory, free loopback ports, a cluster file, and the node
  // processes it started (stopped, and the directory removed unless kept, when it goes).
  class BenchCluster {
   public:
    BenchCluster(const Settings& settings, bool auth) : settings_(settings), auth_(auth) {}
    BenchCluster(const BenchCluster&) = delete;
    BenchCluster& operator=(const BenchCluster&) = delete;
    ~BenchCluster() {
      stop_nodes();
      if (remove_dir_) std::filesystem::remove_all(dir_);
    }

    Result<void> create() {
      dir_ = settings_.options.dir;
      remove_dir_ = dir_.empty() && !settings_.options.keep;
      if (dir_.empty())
        dir_ = (std::filesystem::temp_directory_path() /
                ("faultline-bench-" + std::string(P::name) + "-" + std::to_string(::getpid())))
                   .string();
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      disk_ms_ = fdatasync_ms(dir_);
      if (auth_) write_key(dir_ + "/cluster.key");
      const std::string path = dir_ + "/cluster.yaml";
      std::ofstream(path) << cluster_yaml(free_ports());
      auto cluster = load_cluster_file(path);
      if (!cluster) return std::unexpected(cluster.error());
      cluster_ = std::move(*cluster);
      return {};
    }

    Result<void> start_nodes() {
      for (std::uint32_t i = 0; i < node_count(); ++i) {
        const NodeFiles files{cluster_.node_dir(i)};
        std::filesystem::create_directories(files.dir);
        auto pid = spawn_detached(
            self_executable(), {"node", "--cluster", cluster_.path, "--id", cluster_.nodes[i].id},
            files.log());
        if (!pid) return std::unexpected(pid.error());
        pids_.push_back(*pid);
      }
      for (std::uint32_t i = 0; i < node_count(); ++i)
        if (!wait_for_listener("127.0.0.1", cluster_.endpoints[i].port, Duration::from_seconds(10)))
          return fail(
              "n" + std::to_string(i), 0,
              "did not listen:\n" + tail_of_file(NodeFiles{cluster_.node_dir(i)}.log(), 10));
      return {};
    }

    Result<std::uint32_t> wait_for_primary() const {
      for (int attempt = 0; attempt < 100; ++attempt) {
        for (std::uint32_t i = 0; i < node_count(); ++i) {
          auto reply = query_status<P>(cluster_, i, Duration::from_seconds(2));
          if (reply && reply->role == T::primary_role) return i;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      return fail("no " + std::string(T::primary_role) + " within 10 s");
    }

    const ClusterFile& cluster() const { return cluster_; }
    const std::vector<pid_t>& pids() const { return pids_; }
    std::uint32_t node_count() const { return settings_.options.nodes; }
    double disk_ms() const { return disk_ms_; }
    const std::string& dir() const { return dir_; }
    bool auth() const { return auth_; }

   private:
    // Free loopback ports: bind port 0, note the port, release.
    std::vector<std::uint16_t> free_ports() const {
      asio::io_context io;
      std::vector<tcp::acceptor> held;
      std::vector<std::uint16_t> ports;
      for (std::uint32_t i = 0; i < node_count(); ++i) {
        held.emplace_back(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        ports.push_back(held.back().local_endpoint().port());
      }
      return ports;
    }

    std::string cluster_yaml(const std::vector<std::uint16_t>& ports) const {
      std::string yaml =
          "protocol: " + std::string(P::name) + "\nseed: 1\ndata_dir: data\nnodes:\n";
      for (std::uint32_t i = 0; i < node_count(); ++i)
        yaml += "  - { id: n" + std::to_string(i) +
                ", address: 127.0.0.1:" + std::to_string(ports[i]) + " }\n";
      yaml += "config: " + scenario::to_flow_yaml(settings_.config) + "\n";
      yaml += "runtime: " + scenario::to_flow_yaml(settings_.runtime) + "\n";
      if (auth_) yaml += "auth: { key_file: cluster.key }\n";
      return yaml;
    }

    // A fresh random key, as `openssl rand -hex 32 > cluster.key` would write it.
    static void write_key(const std::string& path) {
      const Nonce random = random_nonce();
      std::string text;
      for (std::uint8_t b : random) text += fmt::format("{:02x}", b);
      std::ofstream(path) << text << "\n";
      std::filesystem::permissions(
          path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }

    void stop_nodes() {
      for (pid_t pid : pids_)
        if (pid > 1) ::kill(pid, SIGTERM);
      for (pid_t pid : pids_) {
        if (pid <= 1) continue;
        bool reaped = false;
        for (int i = 0; i < 250 && !reaped; ++i) {  // up to 5 s, then SIGKILL
          reaped = ::waitpid(pid, nullptr, WNOHANG) == pid;
          if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (reaped) continue;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }

    const Settings& settings_;
    bool auth_ = false;
    std::string dir_;
    bool remove_dir_ = false;
    double disk_ms_ = 0;
    ClusterFile cluster_;
    std::vector<pid_t> pids_;
  };

  // What the measured window saw.
  struct Measurement {
    std::uint64_t writes = 0;
    std::uint64_t other_replies = 0;
    std::vector<std::int64_t> latencies_ns;  // first attempt sent -> ok reply
    std::vector<Snapshot> snapshots = std::vector<Snapshot>(2);
    double window_seconds() const {
      return std::chrono::duration<double>(snapshots[1].at - snapshots[0].at).count();
    }
  };

  // Counts acknowledged writes and their latencies while `counting`, and feeds the driver.
  static void count_replies(ClusterClient<P>& client, WorkloadDriver<P>& driver,
                            const bool& counting, Measurement& m) {
    auto sent_at = std::make_shared<std::map<std::uint64_t, std::int64_t>>();  // key -> first send
    client.on_invocation = [sent_at](const Invocation<P>& inv) {
      if (const auto key = T::first_send(inv.input))
        sent_at->try_emplace(*key, inv.time.nanoseconds);
    };
    client.on_emission = [&, sent_at](const Emission<P>& em) {
      if (const auto reply = T::reply(em.output)) {
        const auto it = sent_at->find(reply->key);
        if (reply->write && counting) {
          ++m.writes;
          if (it != sent_at->end()) m.latencies_ns.push_back(em.time.nanoseconds - it->second);
        } else if (!reply->write && counting) {
          ++m.other_replies;
        }
        if (reply->write && it != sent_at->end()) sent_at->erase(it);
      }
      driver.on_emission(em);
    };
  }

  // Drives the workload: warm-up, then the measured window between two snapshots (status of
  // every node, CPU time of every process), then 3 s at most for the second snapshot's replies.
  class LoadRun {
   public:
    LoadRun(const BenchCluster& bench, const Options& options, std::uint32_t primary)
        : bench_(bench),
          options_(options),
          workload_(
              T::workload(options.clients,
                          options.warmup + options.seconds + Duration::from_seconds(1), primary),
              typename P::Config{}, bench.node_count(), Rng(1).fork("workload")),
          log_(nullptr, "bench"),
          client_(io_, bench.cluster(), ClientId{0}, all_nodes(bench.node_count()), log_),
          driver_(io_, client_, workload_),
          phase_(io_),
          stopper_(io_) {}

    Measurement run() {
      client_.keep_history = false;
      count_replies(client_, driver_, counting_, measured_);
      std::vector<bool> up(bench_.node_count(), false);
      client_.on_link = [&](NodeId node, bool is_up) {
        up[node.value] = is_up;
        if (started_ || !std::ranges::all_of(up, [](bool b) { return b; })) return;
        started_ = true;
        driver_.start();
        after(options_.warmup, [this] { open_window(); });
      };
      wait_for_snapshots();
      client_.start();
      io_.run();
      driver_.stop();
      client_.stop();
      return std::move(measured_);
    }

   private:
    static std::vector<std::uint32_t> all_nodes(std::uint32_t count) {
      std::vector<std::uint32_t> nodes;
      for (std::uint32_t i = 0; i < count; ++i) nodes.push_back(i);
      return nodes;
    }

    void after(Duration delay, std::function<void()> then) {
      phase_.expires_after(std::chrono::nanoseconds(delay.nanoseconds));
      phase_.async_wait([then = std::move(then)](const boost::system::error_code& ec) {
        if (!ec) then();
      });
    }

    void open_window() {
      counting_ = true;
      take(measured_.snapshots[0]);
      after(options_.seconds, [this] {
        counting_ = false;
        take(measured_.snapshots[1]);
        after(Duration::from_seconds(3), [this] { io_.stop(); });  // for the status replies
      });
    }

    void take(Snapshot& snapshot) {
      snapshot.at = Clock::now();
      snapshot.status.assign(bench_.node_count(), StatusReply{});
      snapshot.cpu.clear();
      for (pid_t pid : bench_.pids()) snapshot.cpu.push_back(cpu_seconds(pid));
      snapshot.cpu.push_back(cpu_seconds(::getpid()));
      for (std::uint32_t i = 0; i < bench_.node_count(); ++i) {
        ++replies_pending_;
        client_.request_status(i, [this, &snapshot, i](Result<StatusReply> reply) {
          --replies_pending_;
          if (reply) snapshot.status[i] = std::move(*reply);
        });
      }
    }

    // Stops as soon as the second snapshot has every status reply.
    void wait_for_snapshots() {
      if (measured_.snapshots[1].at != Clock::time_point{} && replies_pending_ == 0)
        return io_.stop();
      stopper_.expires_after(std::chrono::milliseconds(10));
      stopper_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) wait_for_snapshots();
      });
    }

    const BenchCluster& bench_;
    const Options& options_;
    typename P::Workload workload_;
    asio::io_context io_;
    Logger log_;
    ClusterClient<P> client_;
    WorkloadDriver<P> driver_;
    asio::steady_timer phase_;
    asio::steady_timer stopper_;
    Measurement measured_;
    bool counting_ = false;
    bool started_ = false;
    std::size_t replies_pending_ = 0;
  };

  static double percentile_ms(const std::vector<std::int64_t>& sorted, double p) {
    if (sorted.empty()) return 0.0;
    const auto at = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return static_cast<double>(sorted[at]) / 1e6;
  }

  static void print_nodes(const BenchCluster& bench, const Measurement& m, std::ostream& out) {
    const double window = m.window_seconds();
    char line[256];
    for (std::uint32_t i = 0; i < bench.node_count(); ++i) {
      const auto& a = m.snapshots[0].status[i];
      const auto& b = m.snapshots[1].status[i];
      const double persists = static_cast<double>(b.persists - a.persists);
      const double bytes = static_cast<double>(b.persisted_bytes - a.persisted_bytes);
      const double events = static_cast<double>(b.events - a.events);
      std::snprintf(line, sizeof(line),
                    "  n%u %-9s fsyncs/s %6.0f  handler calls/s %7.0f  calls per fsync %5.1f  "
                    "state %5.1f KB  CPU %3.0f%%\n",
                    i, b.role.c_str(), persists / window, events / window,
                    persists > 0 ? events / persists : 0.0,
                    persists > 0 ? bytes / persists / 1024 : 0.0,
                    100 * (m.snapshots[1].cpu[i] - m.snapshots[0].cpu[i]) / window);
      out << line;
    }
    const std::uint32_t self = bench.node_count();
    std::snprintf(line, sizeof(line), "  client (this process) CPU %3.0f%%\n",
                  100 * (m.snapshots[1].cpu[self] - m.snapshots[0].cpu[self]) / window);
    out << line;
  }

  static void print_results(const BenchCluster& bench, const Options& options, const Measurement& m,
                            std::ostream& out) {
    const double window = m.window_seconds();
    const double rate = static_cast<double>(m.writes) / window;
    out << fmt::format(
        "{} benchmark: {} nodes on loopback, one process each, durable log fdatasync'd "
        "before any send\n",
        T::name, bench.node_count());
    out << fmt::format(
        "  client sessions      {} (one write outstanding each, {}, no think time)\n",
        options.clients, T::writes);
    out << fmt::format("  auth                 {}\n",
                       bench.auth()
                           ? "on (handshake per connection, HMAC-SHA256 tag per record of frames)"
                           : "off");
    out << fmt::format(
        "  disk                 {:.2f} ms per 4 KiB append + fdatasync (median of 50, before the "
        "run)\n",
        bench.disk_ms());
    out << fmt::format("  window               {:.2f} s after {} warm-up\n", window,
                       format_duration(options.warmup));
    out << fmt::format("  acknowledged writes  {}  ({} other replies)\n", m.writes,
                       m.other_replies);
    if (T::seed_writes_per_second > 0)
      out << fmt::format("  writes/s             {:.0f}   (seed: {:.0f}; {:.1f}x)\n", rate,
                         T::seed_writes_per_second, rate / T::seed_writes_per_second);
    else
      out << fmt::format("  writes/s             {:.0f}\n", rate);
    out << fmt::format("  write latency        p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms\n",
                       percentile_ms(m.latencies_ns, 0.5), percentile_ms(m.latencies_ns, 0.99),
                       percentile_ms(m.latencies_ns, 1.0));
    print_nodes(bench, m, out);
    if (!options.dir.empty() || options.keep) out << "  files: " << bench.dir() << "\n";
  }

  static int report(const Error& error) {
    std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
    return exit_usage;
  }

  // One run on a fresh cluster (with or without auth): start it, find the primary, load it,
  // measure, stop it. The full report goes to `details` if given.
  static Result<Measurement> measure(const Settings& settings, bool auth, std::ostream* details) {
    BenchCluster bench(settings, auth);
    if (auto ok = bench.create(); !ok) return std::unexpected(ok.error());
    if (auto ok = bench.start_nodes(); !ok) return std::unexpected(ok.error());
    auto primary = bench.wait_for_primary();
    if (!primary) return std::unexpected(primary.error());
    LoadRun load(bench, settings.options, *primary);
    Measurement measured = load.run();
    std::sort(measured.latencies_ns.begin(), measured.latencies_ns.end());
    if (details != nullptr) print_results(bench, settings.options, measured, *details);
    return measured;
  }

  // What one run of a comparison reports: writes/s, latency, CPU of the nodes and the client.
  struct RunFigures {
    double writes_per_second = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    double nodes_cpu = 0;         // percent of one core, all nodes together
    double client_cpu = 0;        // percent of one core
    double cpu_us_per_write = 0;  // nodes and client together
  };

  static RunFigures figures_of(const Measurement& m) {
    const double window = m.window_seconds();
    RunFigures f{static_cast<double>(m.writes) / window, percentile_ms(m.latencies_ns, 0.5),
                 percentile_ms(m.latencies_ns, 0.99), 0, 0};
    const auto& a = m.snapshots[0].cpu;
    const auto& b = m.snapshots[1].cpu;
    for (std::size_t i = 0; i + 1 < b.size(); ++i) f.nodes_cpu += 100 * (b[i] - a[i]) / window;
    f.client_cpu = 100 * (b.back() - a.back()) / window;
    if (m.writes > 0)
      f.cpu_us_per_write =
          (f.nodes_cpu + f.client_cpu) / 100 * window * 1e6 / static_cast<double>(m.writes);
    return f;
  }

  static double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  // auth=both: `rounds` pairs of runs, one line per run, then the ratios of the medians. Odd
  // rounds run without auth first, even rounds with it first, so a drift in the machine's load
  // does not favour one side.
  static int compare_auth(const Settings& settings, std::ostream& out) {
    const Options& o = settings.options;
    out << fmt::format(
        "{} auth cost: {} nodes, {} sessions, {} windows after {} warm-up; each round "
        "runs once without and once with auth (alternating which goes first), each on a fresh "
        "cluster\n",
        T::name, o.nodes, o.clients, format_duration(o.seconds), format_duration(o.warmup));
    out << "  round  auth  writes/s   p50 ms   p99 ms  nodes CPU  client CPU  CPU us/write\n";
    std::vector<RunFigures> runs[2];  // [0] off, [1] on
    for (std::uint32_t round = 1; round <= o.rounds; ++round)
      for (const bool second : {false, true}) {
        const bool auth = (round % 2 == 1) == second;
        auto measured = measure(settings, auth, nullptr);
        if (!measured) return report(measured.error());
        const RunFigures f = figures_of(*measured);
        runs[auth ? 1 : 0].push_back(f);
        out << fmt::format(
            "  {:5}  {:4}  {:8.0f}  {:7.2f}  {:7.2f}  {:8.0f}%  {:9.0f}%  {:12.1f}\n", round,
            auth ? "on" : "off", f.writes_per_second, f.p50_ms, f.p99_ms, f.nodes_cpu, f.client_cpu,
            f.cpu_us_per_write);
        out.flush();
      }
    // Each round's two runs ran minutes apart at most, so the median of the rounds' ratios is
    // the figure to trust on a machine whose load drifts; the ratio of medians is shown too.
    const auto ratio = [&](double RunFigures::*field) {
      std::vector<double> off, on, paired;
      for (std::size_t i = 0; i < runs[0].size(); ++i) {
        off.push_back(runs[0][i].*field);
        on.push_back(runs[1][i].*field);
        paired.push_back(on.back() / off.back());
      }
      return fmt::format("{:.3f} ({:.3f})", median(paired), median(on) / median(off));
    };
    out << fmt::format(
        "  with auth / without, median of the {} rounds' ratios (ratio of the medians): writes/s "
        "{}, p50 latency {}, p99 latency {}, nodes CPU {}, client CPU {}, CPU per write {}\n",
        o.rounds, ratio(&RunFigures::writes_per_second), ratio(&RunFigures::p50_ms),
        ratio(&RunFigures::p99_ms), ratio(&RunFigures::nodes_cpu), ratio(&RunFigures::client_cpu),
        ratio(&RunFigures::cpu_us_per_write));
    return exit_ok;
  }

  static int run(const Benchmark::Context& context) {
    auto settings = parse_settings(context.settings);
    if (!settings) return report(settings.error());
    if (settings->options.auth == "both") return compare_auth(*settings, context.out);
    auto measured = measure(*settings, settings->options.auth == "on", &context.out);
    if (!measured) return report(measured.error());
    return exit_ok;
  }
};

template <class T>
int run(const Benchmark::Context& context) {
  return SocketBench<T>::run(context);
}

}  // namespace faultline::socket_bench
