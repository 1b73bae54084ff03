// The client process of `faultline client`: what every protocol's client does alike. It
// connects to the target nodes, starts the workload once every target is connected (or the
// connect timeout passed, so time 0 of the workload is when the cluster can hear it), records
// the history to --history, and stops on SIGTERM/SIGINT. Two drivers run on it: an up-front
// schedule (open loop, or --input) and a closed-loop WorkloadDriver.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "sim/core/config_tree.h"
#include "sim/core/describe.h"
#include "sim/real/client.h"
#include "sim/real/history_io.h"
#include "sim/real/workload_client.h"
#include "tools/faultline/command_args.h"
#include "tools/faultline/commands.h"

namespace faultline::cli {

namespace asio = boost::asio;

// Prints `error: ...` to stderr and returns exit_usage.
int report_error(const Error& error);
Duration seconds(double s);
Result<ConfigTree> parse_flow(const std::string& text, const std::string& origin);
// The nodes named by --node (default: every node), as indexes.
Result<std::vector<std::uint32_t>> client_targets(const real::ClusterFile& cluster,
                                                  const ClientArgs& args);
// The workload config layers, in order: the cluster file's, --workload, --set workload.*.
Result<std::vector<ConfigTree>> workload_layers(const real::ClusterFile& cluster,
                                                const ClientArgs& args);
void print_status_line(const std::string& node, const real::StatusReply& reply);

template <class P>
struct ScheduledInput {
  Time at;
  NodeId node;
  ClientId client;
  typename P::Input input;
};

// The header of a --history file (sim/real/history_io.h): the cluster's protocol, nodes and
// config, this command line, and the client's clock origin.
real::HistoryHeader client_history_header(const real::ClusterFile& cluster,
                                          std::int64_t clock_origin_ns);

// The --history file: the header line, then one JSON line per invocation and emission. Lines
// are flushed each (flush_each_line) or by the caller every 50 ms, and always at close.
class HistoryFile {
 public:
  HistoryFile() = default;
  HistoryFile(const HistoryFile&) = delete;
  HistoryFile& operator=(const HistoryFile&) = delete;
  ~HistoryFile() { close(); }
  // Opens `path` (nothing when it is empty) and writes the header.
  Result<void> open(const std::string& path, const real::HistoryHeader& header,
                    bool flush_each_line);
  void write(const std::string& line);
  void flush();
  void close();

 private:
  std::FILE* file_ = nullptr;
  bool flush_each_line_ = false;
};

template <class P>
class ClientProcess {
 public:
  ClientProcess(const real::ClusterFile& cluster, const ClientArgs& args,
                std::vector<std::uint32_t> targets)
      : cluster_(cluster),
        args_(args),
        targets_(std::move(targets)),
        names_(cluster.node_names()),
        log_(stderr, "client"),
        client_(io_, cluster, ClientId{0}, targets_, log_),
        up_(cluster.nodes.size(), false),
        connect_deadline_(io_),
        signals_(io_, SIGTERM, SIGINT) {}

  asio::io_context& io() { return io_; }
  real::Logger& log() { return log_; }
  real::ClusterClient<P>& client() { return client_; }
  HistoryFile& history() { return history_; }
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<std::uint32_t>& targets() const { return targets_; }
  bool targets_node(NodeId node) const {
    return std::ranges::find(targets_, node.value) != targets_.end();
  }

  // Calls `begin` once, when every target is connected or the connect timeout passed, and
  // `finish` on SIGTERM/SIGINT; then runs until finish() stops the io_context.
  void run(std::function<void()> begin, std::function<void()> finish) {
    begin_ = std::move(begin);
    client_.on_link = [this](NodeId node, bool is_up) {
      up_[node.value] = is_up;
      if (std::ranges::all_of(targets_, [&](std::uint32_t t) { return up_[t]; })) start();
    };
    connect_deadline_.expires_after(
        std::chrono::nanoseconds(seconds(args_.connect_timeout_s).nanoseconds));
    connect_deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      log_.line("not every node answered within the connect timeout; starting anyway");
      start();
    });
    signals_.async_wait([finish](const boost::system::error_code& ec, int) {
      if (!ec) finish();
    });
    client_.start();
    io_.run();
    history_.close();
  }

  void stop() {
    client_.stop();
    io_.stop();
  }

 private:
  void start() {
    if (started_) return;
    started_ = true;
    connect_deadline_.cancel();
    begin_();
  }

  const real::ClusterFile& cluster_;
  const ClientArgs& args_;
  std::vector<std::uint32_t> targets_;
  std::vector<std::string> names_;
  asio::io_context io_;
  real::Logger log_;
  real::ClusterClient<P> client_;
  HistoryFile history_;
  std::vector<bool> up_;
  asio::steady_timer connect_deadline_;
  asio::signal_set signals_;
  std::function<void()> begin_;
  bool started_ = false;
};

// Sends each scheduled input at its time (after the start), then listens --wait seconds more.
template <class P>
int drive_schedule(const real::ClusterFile& cluster, const ClientArgs& args,
                   const std::vector<std::uint32_t>& targets,
                   std::vector<ScheduledInput<P>> schedule) {
  ::signal(SIGPIPE, SIG_IGN);
  ClientProcess<P> process(cluster, args, targets);
  const auto header = client_history_header(cluster, process.log().origin_ns());
  if (auto ok = process.history().open(args.history_path, header, true); !ok)
    return report_error(ok.error());
  auto& client = process.client();
  std::uint64_t outputs = 0;
  client.on_invocation = [&](const Invocation<P>& inv) {
    process.history().write(real::invocation_line(inv, process.names()));
  };
  client.on_emission = [&](const Emission<P>& em) {
    ++outputs;
    process.history().write(real::emission_line(em, process.names()));
    if (args.verbose || !args.inputs.empty())
      std::printf("%s: %s\n", process.names()[em.node.value].c_str(), describe(em.output).c_str());
  };
  std::size_t next = 0;
  std::int64_t start_ns = 0;
  asio::steady_timer tick(process.io());
  std::function<void()> pump = [&] {
    const std::int64_t now = client.now_ns() - start_ns;
    for (; next < schedule.size() && schedule[next].at.nanoseconds <= now; ++next)
      if (process.targets_node(schedule[next].node))
        client.submit(schedule[next].node, schedule[next].client, schedule[next].input);
    const bool more = next < schedule.size();
    tick.expires_after(std::chrono::nanoseconds(more ? schedule[next].at.nanoseconds - now
                                                     : seconds(args.wait_s).nanoseconds));
    tick.async_wait([&, more](const boost::system::error_code& ec) {
      if (ec) return;
      if (more)
        pump();
      else
        process.stop();
    });
  };
  process.run(
      [&] {
        start_ns = client.now_ns();
        pump();
      },
      [&] { process.stop(); });
  std::size_t undelivered = 0;
  for (const auto& inv : client.history().invocations) undelivered += inv.delivered ? 0 : 1;
  std::fprintf(
      stderr, "client: submitted %zu inputs (%zu to unreachable nodes), received %llu outputs\n",
      client.history().invocations.size(), undelivered, static_cast<unsigned long long>(outputs));
  return exit_ok;
}

// Counts what a closed-loop client did, for its last line on stderr.
struct ClosedLoopCounts {
  std::uint64_t invocations = 0;
  std::uint64_t undelivered = 0;
  std::uint64_t outputs = 0;
};

void print_closed_loop_summary(const ClosedLoopCounts& counts, std::uint64_t wakes,
                               const std::string& outstanding);

// Records the history and feeds every output to the workload driver.
template <class P>
void record_closed_loop(ClientProcess<P>& process, real::WorkloadDriver<P>& driver,
                        const ClientArgs& args, ClosedLoopCounts& counts) {
  auto& client = process.client();
  client.keep_history = false;  // streamed to --history instead
  client.on_invocation = [&](const Invocation<P>& inv) {
    ++counts.invocations;
    counts.undelivered += inv.delivered ? 0 : 1;
    process.history().write(real::invocation_line(inv, process.names()));
  };
  client.on_emission = [&](const Emission<P>& em) {
    ++counts.outputs;
    process.history().write(real::emission_line(em, process.names()));
    if (args.verbose)
      std::printf("%s: %s\n", process.names()[em.node.value].c_str(), describe(em.output).c_str());
    driver.on_emission(em);
  };
}

// Closed loop: the workload's clients react to what the nodes answer and time out with real
// timers (WorkloadDriver). The client exits --wait seconds after the workload has nothing
// outstanding and will issue nothing more, or after --max-time, or on SIGTERM/SIGINT.
template <class P>
int drive_closed_loop(const real::ClusterFile& cluster, const ClientArgs& args,
                      const std::vector<std::uint32_t>& targets, typename P::Workload& workload) {
  ::signal(SIGPIPE, SIG_IGN);
  ClientProcess<P> process(cluster, args, targets);
  // Lines are flushed every 50 ms and at exit: a closed-loop client may record tens of
  // thousands of lines a second.
  const auto header = client_history_header(cluster, process.log().origin_ns());
  if (auto ok = process.history().open(args.history_path, header, false); !ok)
    return report_error(ok.error());
  // History times count from this process's start; this line lets another process (the
  // end-to-end test) put its own clock readings, such as when it killed a node, on that axis.
  process.log().line("history times are nanoseconds since CLOCK_MONOTONIC " +
                     std::to_string(process.log().origin_ns()));
  real::WorkloadDriver<P> driver(process.io(), process.client(), workload);
  ClosedLoopCounts counts;
  record_closed_loop(process, driver, args, counts);
  asio::steady_timer flush_timer(process.io());
  std::function<void()> flush_every = [&] {
    process.history().flush();
    flush_timer.expires_after(std::chrono::milliseconds(50));
    flush_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) flush_every();
    });
  };
  asio::steady_timer end_timer(process.io());
  asio::steady_timer max_timer(process.io());
  const auto finish = [&] {
    driver.stop();
    process.stop();
  };
  bool finishing = false;
  driver.on_progress = [&] {
    if (finishing || !driver.done()) return;
    finishing = true;
    process.log().line("workload done: nothing outstanding; listening " +
                       std::to_string(args.wait_s) + " s more");
    end_timer.expires_after(std::chrono::nanoseconds(seconds(args.wait_s).nanoseconds));
    end_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) finish();
    });
  };
  if (args.max_time_s > 0) {
    max_timer.expires_after(std::chrono::nanoseconds(seconds(args.max_time_s).nanoseconds));
    max_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      process.log().line("--max-time reached; outstanding: " + driver.outstanding());
      finish();
    });
  }
  flush_every();
  process.run(
      [&] {
        process.log().line("workload started");
        driver.start();
      },
      finish);
  print_closed_loop_summary(counts, driver.wakes(),
                            driver.done() ? "nothing" : driver.outstanding());
  return exit_ok;
}

}  // namespace faultline::cli
