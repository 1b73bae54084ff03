// Raft's binding to the commands (tools/faultline/binding.h): its check suite, its
// model-checker model with a client history checked for linearizability, the socket client's
// session ids, and its benchmarks.
//
// The model: `--set model.requests=W` client writes (client i, seq 1, put k=v<i>) and then
// `--set model.reads=R` client reads (get k). Each is offered to every node as its own input, so
// whichever node leads when it arrives takes it; the others answer not_leader, and a second copy
// reaching a later leader is deduplicated by the session. The client history records each call
// at its first arrival. Elections are driven by the timer actions (time is abstract: any armed
// timer may fire).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/raft/suite.h"
#include "protocols/raft/protocol.h"
#include "sim/explore/world.h"
#include "tools/faultline/binding.h"

namespace faultline::raft {

// `faultline check --set model.key=value`.
struct ModelOptions {
  static constexpr std::string_view type_name = "ModelOptions";
  std::uint32_t requests = 1;  // client writes, each offered to every node
  std::uint32_t reads = 0;     // client reads, after the writes
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("requests", self.requests);
    visit("reads", self.reads);
  }
  Result<void> validate(std::uint32_t node_count) const;
};

using Model = explore::Model<Raft>;

struct Binding : BindingDefaults<Raft> {
  using ModelOptions = raft::ModelOptions;

  static CheckSuite<Raft> check_suite(const Config& config) { return raft::check_suite(config); }
  static Result<Model> model(const Config& config, std::uint32_t node_count,
                             const ModelOptions& options);
  // Ok replies to clients are the client history, checked for linearizability on every state (a
  // leader that answers a read it may no longer be entitled to is caught here, not by any
  // property of the nodes). Every Raft model has it, one rebuilt from a file too.
  static void finish_model(Model& model);
  // A client process needs session ids no earlier process used against the same cluster (a node
  // drops a request whose seq is below its session's, so a reused id would wait forever): unless
  // the workload sets session_base, it starts after the highest id any reachable node knows.
  static Result<void> prepare_client(WorkloadConfig& workload, const FetchNodeStates<Raft>& fetch);
  static std::vector<Benchmark> benchmarks();
  // An election timeout that ends before the network's shortest round trip (2 x the shortest
  // one-way latency) in a cluster of two or more: no candidate ever hears its votes (error). A
  // request_timeout shorter than that round trip: every request is retried before its answer
  // can arrive (warning).
  static Result<scenario::Warnings> lint(const scenario::Scenario& scenario, const Config& config,
                                         const WorkloadConfig& workload);
  // election and failover are measured from a leader's loss (collect_metrics), so they need a
  // fault or nemesis kind that crashes, pauses, isolates or partitions a node (one_way and
  // flap included); commit_latency needs client writes, read_latency client reads, unavailable
  // any client request, from the workload or from an `input` fault.
  static std::optional<std::string> why_no_samples(std::string_view metric,
                                                   const scenario::Scenario& scenario,
                                                   const Config& config,
                                                   const WorkloadConfig& workload);
  // The key-value operations of a client history, as the suite's `linearizable` check sees
  // them (LinearizabilityMapping, the kv model).
  static std::optional<lin::ClientOperations> client_operations(
      const History<Raft>& history, std::span<const int> invocation_lines);
  // A run report's operations (LinearizabilityMapping's: a not_leader reply is no answer, the
  // retry goes on) and its panels: each node's term and commit index.
  static std::vector<cli::ReportOperation> report_operations(const History<Raft>& history);
  static void report_gauges(const Node& node, cli::ReportGaugeSink& sink);
};

// The highest client session id a node knows: applied, or still in its log.
std::uint64_t highest_session(const Node& node);

// `faultline bench raft-socket` (socket_bench.cc).
int run_socket_benchmark(const Benchmark::Context& context);

// `faultline bench raft-scale` (scale_bench.cc): events/s as the cluster grows, with incremental
// and with whole-view checks.
int run_scale_benchmark(const Benchmark::Context& context);

}  // namespace faultline::raft
