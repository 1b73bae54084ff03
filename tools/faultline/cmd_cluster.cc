// `faultline node`, `cluster up|down|status` and `client`: the socket runtime (sim/real) on the
// command line. Reads the cluster file (sim/real/cluster_file.h), dispatches on its protocol.
//
// node:         runs one node in this process until SIGTERM/SIGINT (then writes final_state.txt).
// cluster up:   starts every node that is not already running as a detached child of this binary,
//               writes <data_dir>/<id>/node.pid, waits until each listens (exit 1 if one does not).
// cluster down: SIGTERM to every running node, SIGKILL to any still alive after --grace.
// client:       --status asks nodes for their state; --input sends one input to --node; otherwise
//               it drives the protocol's workload (the simulator's Workload) against the cluster in
//               real time: closed loop when the workload reacts to outputs and asks for wake-ups
//               (Raft's clients: sim/real/workload_client.h), else as an up-front open-loop
//               schedule (2PC). --history records what it saw as JSON lines.
// Tools may read clocks: the client stamps its history with steady-clock time since it started,
// and the nodes draw timer durations from Rng(seed) (the cluster file's seed, or --seed).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "protocols/raft/protocol.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/core/config_tree.h"
#include "sim/real/client.h"
#include "sim/real/history_io.h"
#include "sim/real/process.h"
#include "sim/real/real_node.h"
#include "sim/real/workload_client.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/commands.h"

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

// Runs fn.template operator()<P>() for the cluster's protocol.
template <class Fn>
void with_protocol(const ClusterFile& cluster, Fn&& fn) {
  if (cluster.protocol == TwoPhaseCommit::name) return fn.template operator()<TwoPhaseCommit>();
  if (cluster.protocol == Raft::name) return fn.template operator()<Raft>();
  std::fprintf(stderr,
               "error: %s: protocol: '%s' has no socket runtime binding (supported: "
               "two_phase_commit, raft)\n",
               cluster.path.c_str(), cluster.protocol.c_str());
  exit_code() = exit_usage;
}

template <class P>
Result<typename P::Config> decode_protocol_config(const ClusterFile& cluster) {
  typename P::Config config{};
  if (auto ok = decode_config(cluster.config, config); !ok) return std::unexpected(ok.error());
  if constexpr (requires(const typename P::Config& c, std::uint32_t n) { c.validate(n); }) {
    if (auto ok = config.validate(static_cast<std::uint32_t>(cluster.nodes.size())); !ok)
      return fail(cluster.path + ": config", cluster.config.line, ok.error().to_string());
  }
  return config;
}

// ---- node --------------------------------------------------------------------------------

struct NodeArgs {
  std::string cluster_path;
  std::string id;
  std::optional<std::uint64_t> seed;
};

template <class P>
void run_node(const ClusterFile& cluster, std::uint32_t index, std::uint64_t seed) {
  auto config = decode_protocol_config<P>(cluster);
  if (!config) {
    report(config.error());
    exit_code() = exit_usage;
    return;
  }
  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context io;
  Logger log(stderr, cluster.nodes[index].id);
  RealNode<P> node(io, NodeSetup<P>{cluster, *config, index, seed}, log);
  if (auto ok = node.start(); !ok) {
    log.line("cannot start: " + ok.error().to_string());
    exit_code() = exit_usage;
    return;
  }
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    node.stop(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    io.stop();
  });
  io.run();
  exit_code() = exit_ok;
}

// ---- cluster up / down ---------------------------------------------------------------------

struct ClusterArgs {
  std::string path;
  double timeout_s = 10;
  double grace_s = 5;
  std::optional<std::uint64_t> seed;
};

Duration seconds(double s) { return Duration{static_cast<std::int64_t>(s * 1e9)}; }

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

// ---- client ----------------------------------------------------------------------------------

struct ClientArgs {
  std::string path;
  std::vector<std::string> nodes;
  std::vector<std::string> inputs;
  std::string workload;
  std::optional<std::uint64_t> predict;
  std::string history_path;
  bool status = false;
  bool verbose = false;
  double wait_s = 1.0;
  double connect_timeout_s = 10.0;
  double max_time_s = 0;  // closed loop: stop after this long (0: no bound)
  std::optional<std::uint64_t>
      session_base;  // closed loop, Raft: client session ids start after it
  std::optional<std::uint64_t> seed;
};

Result<ConfigTree> parse_flow(const std::string& text, const std::string& origin) {
  return scenario::parse_yaml(text, origin);
}

template <class P>
void client_status(const ClusterFile& cluster, const std::vector<std::uint32_t>& targets) {
  bool all = true;
  for (std::uint32_t i : targets) {
    auto reply = query_status<P>(cluster, i, Duration::from_seconds(3));
    if (!reply) {
      std::printf("%s: unreachable (%s)\n", cluster.nodes[i].id.c_str(),
                  reply.error().to_string().c_str());
      all = false;
      continue;
    }
    std::printf(
        "%s: %s, %s, %llu events, %llu persists (%llu bytes) since it started: %s\n",
        cluster.nodes[i].id.c_str(), reply->role.c_str(),
        reply->recovered
            ? ("recovered " + std::to_string(reply->recovered_bytes) + " bytes from disk").c_str()
            : "fresh start",
        static_cast<unsigned long long>(reply->events),
        static_cast<unsigned long long>(reply->persists),
        static_cast<unsigned long long>(reply->persisted_bytes), reply->text.c_str());
  }
  exit_code() = all ? exit_ok : exit_usage;
}

// Input schedule: the simulator's workload generates (time, node, client, input) up front.
template <class P>
struct Schedule final : WorkloadSink<P> {
  struct Item {
    Time at;
    NodeId node;
    ClientId client;
    typename P::Input input;
  };
  std::vector<Item> items;
  void submit(Time at, NodeId node, ClientId client, typename P::Input input) override {
    items.push_back(Item{at, node, client, std::move(input)});
  }
  // An up-front schedule has no clock to wake a workload with; workloads that need wake-ups are
  // driven closed loop instead (client_drive_closed_loop), except for explicit --input lists.
  void wake(Time, std::uint64_t) override { wakes_dropped += 1; }
  std::uint64_t wakes_dropped = 0;
};

// The protocol's WorkloadConfig: the cluster file's workload: layered with --workload (and
// --predict), validated.
template <class P>
requires requires {
  typename P::Workload;
  typename P::WorkloadConfig;
}
Result<typename P::WorkloadConfig> build_workload_config(const ClientArgs& args,
                                                         const ClusterFile& cluster,
                                                         std::uint32_t node_count) {
  typename P::WorkloadConfig workload{};
  if (auto ok = decode_config(cluster.workload, workload); !ok) return std::unexpected(ok.error());
  if (!args.workload.empty()) {
    auto tree = parse_flow(args.workload, "--workload");
    if (!tree) return std::unexpected(tree.error());
    if (auto ok = decode_config(*tree, workload); !ok) return std::unexpected(ok.error());
  }
  if constexpr (requires { workload.predict_count; }) {
    if (args.predict) workload.predict_count = *args.predict;
  }
  if constexpr (requires(const typename P::WorkloadConfig& w, std::uint32_t n) { w.validate(n); }) {
    if (auto ok = workload.validate(node_count); !ok)
      return fail("workload", 0, ok.error().to_string());
  }
  return workload;
}

// The protocol's simulator Workload, seeded from Rng(seed).fork("workload").
template <class P>
requires requires {
  typename P::Workload;
  typename P::WorkloadConfig;
}
Result<typename P::Workload> build_workload(const ClusterFile& cluster, const ClientArgs& args,
                                            const typename P::WorkloadConfig& workload,
                                            std::uint32_t node_count) {
  auto config = decode_protocol_config<P>(cluster);
  if (!config) return std::unexpected(config.error());
  return typename P::Workload(workload, *config, node_count,
                              Rng(args.seed.value_or(cluster.seed)).fork("workload"));
}

template <class P>
Result<Schedule<P>> build_schedule(const ClusterFile& cluster, const ClientArgs& args,
                                   std::uint32_t node_count) {
  Schedule<P> schedule;
  if (!args.inputs.empty()) {
    if (args.nodes.size() != 1) return fail("--input needs exactly one --node");
    auto index = cluster.node_index(args.nodes[0]);
    if (!index) return std::unexpected(index.error());
    for (std::size_t i = 0; i < args.inputs.size(); ++i) {
      auto tree = parse_flow(args.inputs[i], "--input[" + std::to_string(i) + "]");
      if (!tree) return std::unexpected(tree.error());
      typename P::Input input{};
      if (auto ok = decode_config(*tree, input); !ok) return std::unexpected(ok.error());
      schedule.submit(Time{}, NodeId{*index}, ClientId{0}, std::move(input));
    }
    return schedule;
  }
  if constexpr (requires {
                  typename P::Workload;
                  typename P::WorkloadConfig;
                }) {
    auto workload = build_workload_config<P>(args, cluster, node_count);
    if (!workload) return std::unexpected(workload.error());
    auto generator = build_workload<P>(cluster, args, *workload, node_count);
    if (!generator) return std::unexpected(generator.error());
    generator->start(schedule);
    std::stable_sort(schedule.items.begin(), schedule.items.end(),
                     [](const auto& a, const auto& b) { return a.at < b.at; });
    return schedule;
  } else {
    return fail("protocol " + std::string(P::name) + " has no workload; use --input");
  }
}

// Opens `--history FILE` for writing (`history` stays null without one). On failure says why,
// sets the usage exit code and returns false.
bool open_history_file(const ClientArgs& args, std::FILE*& history) {
  if (args.history_path.empty()) return true;
  history = std::fopen(args.history_path.c_str(), "wb");
  if (history != nullptr) return true;
  std::fprintf(stderr, "error: --history %s: cannot open for writing\n", args.history_path.c_str());
  exit_code() = exit_usage;
  return false;
}

template <class P>
void client_drive(const ClusterFile& cluster, const ClientArgs& args,
                  const std::vector<std::uint32_t>& targets) {
  const auto node_count = static_cast<std::uint32_t>(cluster.nodes.size());
  auto schedule = build_schedule<P>(cluster, args, node_count);
  if (!schedule) {
    report(schedule.error());
    exit_code() = exit_usage;
    return;
  }
  std::FILE* history = nullptr;
  if (!open_history_file(args, history)) return;
  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context io;
  Logger log(stderr, "client");
  const auto names = cluster.node_names();
  ClusterClient<P> client(io, cluster, ClientId{0}, targets, log);
  std::uint64_t outputs = 0;
  client.on_invocation = [&](const Invocation<P>& inv) {
    if (history != nullptr)
      std::fprintf(history, "%s\n", invocation_line(inv, names).c_str()), std::fflush(history);
  };
  client.on_emission = [&](const Emission<P>& em) {
    ++outputs;
    if (history != nullptr)
      std::fprintf(history, "%s\n", emission_line(em, names).c_str()), std::fflush(history);
    if (args.verbose || !args.inputs.empty())
      std::printf("%s: %s\n", names[em.node.value].c_str(), describe(em.output).c_str());
  };
  // Start the schedule once every target is connected (or the connect timeout passes), so
  // time 0 of the workload is when the cluster can hear it.
  std::size_t next = 0;
  std::int64_t start_ns = 0;
  bool started = false;
  asio::steady_timer tick(io);
  asio::steady_timer connect_deadline(io);
  std::function<void()> pump;
  const auto finish = [&] {
    client.stop();
    io.stop();
  };
  pump = [&] {
    const std::int64_t now = client.now_ns() - start_ns;
    while (next < schedule->items.size() && schedule->items[next].at.nanoseconds <= now) {
      auto& item = schedule->items[next++];
      if (std::ranges::find(targets, item.node.value) == targets.end()) continue;
      client.submit(item.node, item.client, item.input);
    }
    if (next < schedule->items.size()) {
      tick.expires_after(std::chrono::nanoseconds(schedule->items[next].at.nanoseconds - now));
    } else {
      tick.expires_after(std::chrono::nanoseconds(seconds(args.wait_s).nanoseconds));
      tick.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) finish();
      });
      return;
    }
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) pump();
    });
  };
  const auto begin = [&] {
    if (started) return;
    started = true;
    connect_deadline.cancel();
    start_ns = client.now_ns();
    pump();
  };
  std::vector<bool> up(node_count, false);
  client.on_link = [&](NodeId node, bool is_up) {
    up[node.value] = is_up;
    if (std::ranges::all_of(targets, [&](std::uint32_t t) { return up[t]; })) begin();
  };
  connect_deadline.expires_after(
      std::chrono::nanoseconds(seconds(args.connect_timeout_s).nanoseconds));
  connect_deadline.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    log.line("not every node answered within the connect timeout; starting anyway");
    begin();
  });
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) finish();
  });
  client.start();
  io.run();
  if (history != nullptr) std::fclose(history);
  std::size_t undelivered = 0;
  for (const auto& inv : client.history().invocations) undelivered += inv.delivered ? 0 : 1;
  std::fprintf(
      stderr, "client: submitted %zu inputs (%zu to unreachable nodes), received %llu outputs\n",
      client.history().invocations.size(), undelivered, static_cast<unsigned long long>(outputs));
  exit_code() = exit_ok;
}

// Client sessions across client processes. A protocol whose workload names its clients' sessions
// with fixed ids (Raft's clients are 1..clients, each starting at seq 1) needs each client
// process to use ids no earlier process used against the same cluster: a node drops a request
// whose seq is below its session's (an old retry), so a reused id would wait forever. The
// binding shifts the workload's ids by a base on the way out and back on the way in; the history
// records the ids the nodes saw.
template <class P>
struct ClientSessions {
  static constexpr bool shifted = false;
};

template <>
struct ClientSessions<Raft> {
  static constexpr bool shifted = true;
  // The highest session id any reachable node knows (applied, or still in its log): the base.
  static Result<std::uint64_t> highest_known(const ClusterFile& cluster,
                                             const std::vector<std::uint32_t>& targets) {
    auto config = decode_protocol_config<Raft>(cluster);
    if (!config) return std::unexpected(config.error());
    std::uint64_t highest = 0;
    bool any = false;
    for (std::uint32_t i : targets) {
      auto reply = query_status<Raft>(cluster, i, Duration::from_seconds(3));
      if (!reply) continue;
      raft::Node node(*config, NodeId{i}, static_cast<std::uint32_t>(cluster.nodes.size()),
                      std::nullopt);
      ByteReader reader(reply->node_state);
      decode_into(reader, node);
      if (!reader.ok())
        return fail(cluster.nodes[i].id, 0, "status reply: the node state does not decode");
      any = true;
      if (!node.state().sessions.empty())
        highest = std::max(highest, node.state().sessions.rbegin()->first);
      for (raft::Index k = node.first_index(); k <= node.last_index(); ++k)
        if (const auto* c = std::get_if<raft::ClientCommand>(&node.entry_at(k).command))
          highest = std::max(highest, c->client);
    }
    if (!any)
      return fail(
          "no node answered a status request, so the client cannot pick unused session ids (use "
          "--session-base)");
    return highest;
  }
  static void to_wire(ClientId& client, raft::Input& input, std::uint64_t base) {
    client.value = static_cast<std::uint32_t>(client.value + base);
    if (auto* request = std::get_if<raft::ClientRequest>(&input)) request->client += base;
  }
  // A reply to a session of another client process becomes client 0, which the workload ignores.
  static void from_wire(raft::Output& output, std::uint64_t base, std::uint64_t clients) {
    if (auto* reply = std::get_if<raft::ClientReply>(&output))
      reply->client =
          reply->client > base && reply->client <= base + clients ? reply->client - base : 0;
  }
};

// Closed loop: the workload's clients react to what the nodes answer and time out with real
// timers (WorkloadDriver). The workload starts once every target is connected (or the connect
// timeout passed); the client exits --wait seconds after the workload has nothing outstanding and
// will issue nothing more, or after --max-time, or on SIGTERM/SIGINT.
template <class P>
void client_drive_closed_loop(const ClusterFile& cluster, const ClientArgs& args,
                              const std::vector<std::uint32_t>& targets) {
  const auto node_count = static_cast<std::uint32_t>(cluster.nodes.size());
  auto workload_config = build_workload_config<P>(args, cluster, node_count);
  auto workload = workload_config
                      ? build_workload<P>(cluster, args, *workload_config, node_count)
                      : Result<typename P::Workload>(std::unexpected(workload_config.error()));
  if (!workload) {
    report(workload.error());
    exit_code() = exit_usage;
    return;
  }
  std::uint64_t session_base = 0;
  if constexpr (ClientSessions<P>::shifted) {
    if (args.session_base) {
      session_base = *args.session_base;
    } else {
      auto first = ClientSessions<P>::highest_known(cluster, targets);
      if (!first) {
        report(first.error());
        exit_code() = exit_usage;
        return;
      }
      session_base = *first;
    }
    if (session_base + workload_config->clients >= (std::uint64_t{1} << 32)) {
      std::fprintf(stderr, "error: session ids %llu + %u clients do not fit 32 bits\n",
                   static_cast<unsigned long long>(session_base), workload_config->clients);
      exit_code() = exit_usage;
      return;
    }
  }
  std::FILE* history = nullptr;
  if (!open_history_file(args, history)) return;
  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context io;
  Logger log(stderr, "client");
  // History times count from this process's start; this line lets another process (the
  // end-to-end test) put its own clock readings, such as when it killed a node, on that axis.
  log.line("history times are nanoseconds since CLOCK_MONOTONIC " +
           std::to_string(log.origin_ns()));
  const auto names = cluster.node_names();
  ClusterClient<P> client(io, cluster, ClientId{0}, targets, log);
  client.keep_history = false;  // streamed to --history instead
  WorkloadDriver<P> driver(io, client, *workload);
  if constexpr (ClientSessions<P>::shifted) {
    log.line("client sessions " + std::to_string(session_base + 1) + ".." +
             std::to_string(session_base + workload_config->clients));
    driver.rewrite_submit = [&](ClientId& id, typename P::Input& input) {
      ClientSessions<P>::to_wire(id, input, session_base);
    };
  }
  std::uint64_t outputs = 0;
  // Lines are buffered and flushed every 50 ms and at exit (a closed-loop client may record
  // tens of thousands of lines a second); SIGTERM/SIGINT still flush everything.
  std::uint64_t invocations = 0;
  std::uint64_t undelivered = 0;
  client.on_invocation = [&](const Invocation<P>& inv) {
    ++invocations;
    undelivered += inv.delivered ? 0 : 1;
    if (history != nullptr) std::fprintf(history, "%s\n", invocation_line(inv, names).c_str());
  };
  client.on_emission = [&](const Emission<P>& em) {
    ++outputs;
    if (history != nullptr) std::fprintf(history, "%s\n", emission_line(em, names).c_str());
    if (args.verbose)
      std::printf("%s: %s\n", names[em.node.value].c_str(), describe(em.output).c_str());
    if constexpr (ClientSessions<P>::shifted) {
      Emission<P> local = em;
      ClientSessions<P>::from_wire(local.output, session_base, workload_config->clients);
      driver.on_emission(local);
    } else {
      driver.on_emission(em);
    }
  };
  asio::steady_timer flush_timer(io);
  std::function<void()> flush_every;
  flush_every = [&] {
    if (history != nullptr) std::fflush(history);
    flush_timer.expires_after(std::chrono::milliseconds(50));
    flush_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) flush_every();
    });
  };
  bool finishing = false;
  asio::steady_timer end_timer(io);
  asio::steady_timer max_timer(io);
  asio::steady_timer connect_deadline(io);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  const auto finish = [&] {
    driver.stop();
    client.stop();
    io.stop();
  };
  driver.on_progress = [&] {
    if (finishing || !driver.done()) return;
    finishing = true;
    log.line("workload done: nothing outstanding; listening " + std::to_string(args.wait_s) +
             " s more");
    end_timer.expires_after(std::chrono::nanoseconds(seconds(args.wait_s).nanoseconds));
    end_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) finish();
    });
  };
  const auto begin = [&] {
    if (driver.started()) return;
    connect_deadline.cancel();
    log.line("workload started");
    driver.start();
  };
  std::vector<bool> up(node_count, false);
  client.on_link = [&](NodeId node, bool is_up) {
    up[node.value] = is_up;
    if (std::ranges::all_of(targets, [&](std::uint32_t t) { return up[t]; })) begin();
  };
  connect_deadline.expires_after(
      std::chrono::nanoseconds(seconds(args.connect_timeout_s).nanoseconds));
  connect_deadline.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    log.line("not every node answered within the connect timeout; starting anyway");
    begin();
  });
  if (args.max_time_s > 0) {
    max_timer.expires_after(std::chrono::nanoseconds(seconds(args.max_time_s).nanoseconds));
    max_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      log.line("--max-time reached; outstanding: " + driver.outstanding());
      finish();
    });
  }
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) finish();
  });
  flush_every();
  client.start();
  io.run();
  if (history != nullptr) std::fclose(history);
  std::fprintf(
      stderr,
      "client: submitted %llu inputs (%llu to unreachable nodes), received %llu outputs, %llu "
      "wake-ups; outstanding: %s\n",
      static_cast<unsigned long long>(invocations), static_cast<unsigned long long>(undelivered),
      static_cast<unsigned long long>(outputs), static_cast<unsigned long long>(driver.wakes()),
      driver.done() ? "nothing" : driver.outstanding().c_str());
  exit_code() = exit_ok;
}

template <class P>
void run_client(const ClusterFile& cluster, const ClientArgs& args) {
  std::vector<std::uint32_t> targets;
  for (const auto& name : args.nodes) {
    auto index = cluster.node_index(name);
    if (!index) {
      report(index.error());
      exit_code() = exit_usage;
      return;
    }
    targets.push_back(*index);
  }
  if (targets.empty())
    for (std::uint32_t i = 0; i < cluster.nodes.size(); ++i) targets.push_back(i);
  if (args.status) return client_status<P>(cluster, targets);
  if constexpr (ClosedLoopWorkload<P>) {
    if (args.inputs.empty()) return client_drive_closed_loop<P>(cluster, args, targets);
  }
  client_drive<P>(cluster, args, targets);
}

}  // namespace

void add_cluster_commands(CLI::App& app) {
  auto node_args = std::make_shared<NodeArgs>();
  CLI::App* node = app.add_subcommand(
      "node", "Run one node of a cluster file in this process (the socket runtime)");
  node->add_option("--cluster", node_args->cluster_path, "Cluster file (YAML)")->required();
  node->add_option("--id", node_args->id, "The node id to run (from the cluster file's nodes)")
      ->required();
  node->add_option("--seed", node_args->seed,
                   "Seed for timer draws (default: the cluster file's seed)");
  node->callback([node_args] {
    auto cluster = load_or_report(node_args->cluster_path);
    if (!cluster) return;
    auto index = cluster->node_index(node_args->id);
    if (!index) {
      report(index.error());
      exit_code() = exit_usage;
      return;
    }
    with_protocol(*cluster, [&]<class P>() {
      run_node<P>(*cluster, *index, node_args->seed.value_or(cluster->seed));
    });
  });

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
                 "Seed for the nodes' timer draws (default: the cluster file's seed)");
  up->callback([cluster_args] { cluster_up(*cluster_args); });
  CLI::App* down =
      cluster->add_subcommand("down", "SIGTERM every running node, SIGKILL after --grace seconds");
  down->add_option("FILE", cluster_args->path, "Cluster file (YAML)")->required();
  down->add_option("--grace", cluster_args->grace_s,
                   "Seconds between SIGTERM and SIGKILL (default 5)");
  down->callback([cluster_args] { cluster_down(*cluster_args); });

  auto client_args = std::make_shared<ClientArgs>();
  CLI::App* client =
      app.add_subcommand("client", "Submit inputs to a running cluster and record the history");
  client->add_option("FILE", client_args->path, "Cluster file (YAML)")->required();
  client->add_option("--node", client_args->nodes,
                     "Talk only to this node (repeatable; default: all)");
  client->add_option("--input", client_args->inputs,
                     "One input as YAML flow text, e.g. '{predict: {request_id: 1, draw: 42}}' "
                     "(needs one --node)");
  client->add_option(
      "--workload", client_args->workload,
      "Workload keys as YAML flow text over the cluster file's workload:, e.g. '{duration: 10s}'");
  client->add_option("--predict", client_args->predict,
                     "Stop the workload after this many predict requests");
  client->add_option("--history", client_args->history_path,
                     "Record invocations and emissions as JSON lines");
  client->add_option("--wait", client_args->wait_s,
                     "Seconds to keep listening after the last input (default 1)");
  client->add_option("--connect-timeout", client_args->connect_timeout_s,
                     "Seconds to wait for every node before starting (default 10)");
  client->add_option("--seed", client_args->seed,
                     "Workload seed (default: the cluster file's seed)");
  client->add_option("--session-base", client_args->session_base,
                     "Raft: this client's sessions are base+1 .. base+clients (default: after the "
                     "highest id the nodes know)");
  client->add_option("--max-time", client_args->max_time_s,
                     "Closed-loop workloads: stop after this many seconds even if requests are "
                     "outstanding (default: no bound)");
  client->add_flag("--status", client_args->status, "Print each node's role and state, then exit");
  client->add_flag("--verbose", client_args->verbose, "Print every output as it arrives");
  client->callback([client_args] {
    auto cluster = load_or_report(client_args->path);
    if (!cluster) return;
    with_protocol(*cluster, [&]<class P>() { run_client<P>(*cluster, *client_args); });
  });
}

}  // namespace faultline::cli
