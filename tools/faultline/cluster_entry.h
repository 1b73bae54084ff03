// `faultline node` and `faultline client` for one protocol binding B: the socket runtime
// (sim/real) on the command line.
//
// node:   runs one node of a cluster file in this process until SIGTERM/SIGINT.
// client: --status asks nodes for their state; --input sends inputs to one --node; otherwise it
//         drives the protocol's simulator Workload against the cluster in real time: closed loop
//         when the workload reacts to outputs and asks for wake-ups (Workload::closed_loop,
//         sim/real/workload_client.h), else as an up-front open-loop schedule. --history records
//         what it saw as JSON lines. The workload config is the cluster file's `workload:`, then
//         --workload, then --set workload.key=value; the binding's prepare_client() has the last
//         word (it may read the running nodes' states, e.g. to pick unused client ids).
// Tools may read clocks: the client stamps its history with steady-clock time since it started,
// and the nodes draw timer durations from Rng(seed) (the cluster file's seed, or --seed).
#pragma once

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/codec.h"
#include "sim/core/config_tree.h"
#include "sim/core/describe.h"
#include "sim/real/client.h"
#include "sim/real/history_io.h"
#include "sim/real/real_node.h"
#include "sim/real/workload_client.h"
#include "tools/faultline/binding.h"
#include "tools/faultline/client_process.h"
#include "tools/faultline/command_args.h"
#include "tools/faultline/commands.h"

namespace faultline::cli {

// The cluster file's protocol config, validated for its nodes; errors name the file.
template <Protocol P>
Result<typename P::Config> cluster_config(const real::ClusterFile& cluster) {
  auto config =
      decode_protocol_config<P>(cluster.config, static_cast<std::uint32_t>(cluster.nodes.size()));
  if (!config && config.error().where.rfind(cluster.path, 0) != 0)
    config.error().where = cluster.path + ": " + config.error().where;
  return config;
}

template <Protocol P>
int run_node(const real::ClusterFile& cluster, std::uint32_t index, std::uint64_t seed) {
  auto config = cluster_config<P>(cluster);
  if (!config) return report_error(config.error());
  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context io;
  real::Logger log(stderr, cluster.nodes[index].id);
  real::RealNode<P> node(io, real::NodeSetup<P>{cluster, *config, index, seed}, log);
  if (auto ok = node.start(); !ok) {
    log.line("cannot start: " + ok.error().to_string());
    return exit_usage;
  }
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    node.stop(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    io.stop();
  });
  io.run();
  return exit_ok;
}

template <Protocol P>
int client_status(const real::ClusterFile& cluster, const std::vector<std::uint32_t>& targets) {
  bool all = true;
  for (std::uint32_t i : targets) {
    auto reply = real::query_status<P>(cluster, i, Duration::from_seconds(3));
    if (!reply) {
      std::printf("%s: unreachable (%s)\n", cluster.nodes[i].id.c_str(),
                  reply.error().to_string().c_str());
      all = false;
      continue;
    }
    print_status_line(cluster.nodes[i].id, *reply);
  }
  return all ? exit_ok : exit_usage;
}

// Reads the state of every target that answers a status request, decoded as a Node.
template <Protocol P>
FetchNodeStates<P> node_state_fetcher(const real::ClusterFile& cluster,
                                      const typename P::Config& config,
                                      const std::vector<std::uint32_t>& targets) {
  return [&cluster, config, targets]() -> Result<std::vector<typename P::Node>> {
    const auto node_count = static_cast<std::uint32_t>(cluster.nodes.size());
    std::vector<typename P::Node> nodes;
    for (std::uint32_t i : targets) {
      auto reply = real::query_status<P>(cluster, i, Duration::from_seconds(3));
      if (!reply) continue;
      typename P::Node node(config, NodeId{i}, node_count, std::nullopt);
      ByteReader reader(reply->node_state);
      decode_into(reader, node);
      if (!reader.ok())
        return fail(cluster.nodes[i].id, 0, "status reply: the node state does not decode");
      nodes.push_back(std::move(node));
    }
    return nodes;
  };
}

// The workload config: the cluster file's, then --workload, then --set workload.key=value,
// validated, then completed by the binding from the running cluster.
template <ProtocolBinding B>
Result<typename B::ProtocolTag::WorkloadConfig> client_workload_config(
    const real::ClusterFile& cluster, const ClientArgs& args,
    const typename B::ProtocolTag::Config& config, const std::vector<std::uint32_t>& targets) {
  using P = typename B::ProtocolTag;
  auto layers = workload_layers(cluster, args);
  if (!layers) return std::unexpected(layers.error());
  typename P::WorkloadConfig workload{};
  for (const ConfigTree& layer : *layers)
    if (auto ok = decode_config(layer, workload); !ok) return std::unexpected(ok.error());
  const auto node_count = static_cast<std::uint32_t>(cluster.nodes.size());
  if (auto ok = workload.validate(node_count); !ok)
    return fail("workload", 0, ok.error().to_string());
  if (auto ok = B::prepare_client(workload, node_state_fetcher<P>(cluster, config, targets)); !ok)
    return std::unexpected(ok.error());
  if (auto ok = workload.validate(node_count); !ok)  // what prepare_client set, too
    return fail("workload", 0, ok.error().to_string());
  return workload;
}

// Input schedule: the simulator's workload generates (time, node, client, input) up front. An
// open-loop workload may ask for wake-ups to submit its inputs in batches (two_phase_commit's
// does); no output decides them, so fill() runs those wake-ups at once, in time order.
template <Protocol P>
struct Schedule final : WorkloadSink<P> {
  std::vector<ScheduledInput<P>> items;  // in time order after fill()
  void submit(Time at, NodeId node, ClientId client, typename P::Input input) override {
    items.push_back(ScheduledInput<P>{at, node, client, std::move(input)});
  }
  void wake(Time at, std::uint64_t token) override { wakes_.push_back(Wake{at, token}); }

  // Every input the workload will submit: its start, then each wake-up it asks for, earliest
  // first (the first asked among equal times).
  void fill(typename P::Workload& workload) {
    workload.start(*this);
    while (!wakes_.empty()) {
      const auto next = std::min_element(wakes_.begin(), wakes_.end(),
                                         [](const Wake& a, const Wake& b) { return a.at < b.at; });
      const Wake wake = *next;
      wakes_.erase(next);
      workload.on_wake(wake.at, wake.token, *this);
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const auto& a, const auto& b) { return a.at < b.at; });
  }

 private:
  struct Wake {
    Time at;
    std::uint64_t token;
  };
  std::vector<Wake> wakes_;
};

// The --input list, to the one --node, at time 0.
template <Protocol P>
Result<std::vector<ScheduledInput<P>>> explicit_inputs(const real::ClusterFile& cluster,
                                                       const ClientArgs& args) {
  if (args.nodes.size() != 1) return fail("--input needs exactly one --node");
  auto index = cluster.node_index(args.nodes[0]);
  if (!index) return std::unexpected(index.error());
  std::vector<ScheduledInput<P>> inputs;
  for (std::size_t i = 0; i < args.inputs.size(); ++i) {
    auto tree = parse_flow(args.inputs[i], "--input[" + std::to_string(i) + "]");
    if (!tree) return std::unexpected(tree.error());
    typename P::Input input{};
    if (auto ok = decode_config(*tree, input); !ok) return std::unexpected(ok.error());
    inputs.push_back(ScheduledInput<P>{Time{}, NodeId{*index}, ClientId{0}, std::move(input)});
  }
  return inputs;
}

template <ProtocolBinding B>
int run_client(const real::ClusterFile& cluster, const ClientArgs& args) {
  using P = typename B::ProtocolTag;
  auto targets = client_targets(cluster, args);
  if (!targets) return report_error(targets.error());
  if (args.status) return client_status<P>(cluster, *targets);
  if (!args.inputs.empty()) {
    auto inputs = explicit_inputs<P>(cluster, args);
    if (!inputs) return report_error(inputs.error());
    return drive_schedule<P>(cluster, args, *targets, std::move(*inputs));
  }
  auto config = cluster_config<P>(cluster);
  if (!config) return report_error(config.error());
  auto workload_config = client_workload_config<B>(cluster, args, *config, *targets);
  if (!workload_config) return report_error(workload_config.error());
  const auto node_count = static_cast<std::uint32_t>(cluster.nodes.size());
  typename P::Workload workload(*workload_config, *config, node_count,
                                Rng(args.seed.value_or(cluster.seed)).fork("workload"));
  if constexpr (P::Workload::closed_loop) {
    return drive_closed_loop<P>(cluster, args, *targets, workload);
  } else {
    Schedule<P> schedule;
    schedule.fill(workload);
    return drive_schedule<P>(cluster, args, *targets, std::move(schedule.items));
  }
}

}  // namespace faultline::cli
