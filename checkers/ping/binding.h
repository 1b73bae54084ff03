// Ping's checks and its binding to the commands (tools/faultline/binding.h).
//
// Checks (what a scenario's `checks:` names):
//   always    count_durable: no node counts fewer tokens than its disk says it had (a restart
//             resumes from the disk; caught by bug forget_on_restart);
//   sometimes token_received: some node received a token (the run was not vacuous);
//   history   counts_monotone: the counts one node reports (Received, after a Report) never go
//             down, crashes and restarts included (caught by bug forget_on_restart).
// Benchmark: `faultline bench engine` runs 100 ping nodes against a bare std::priority_queue
// event loop doing the same pushes and pops (engine_bench.cc).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocols/ping/ping.h"
#include "sim/core/check_suite.h"
#include "tools/faultline/binding.h"

namespace faultline::ping {

std::optional<std::string> check_count_durable(const ClusterView<Ping>& view);
std::optional<std::string> check_token_received(const ClusterView<Ping>& view);
std::optional<CheckFailure> check_counts_monotone(const RunRecord<Ping>& record);

CheckSuite<Ping> check_suite(const Config& config);

// `faultline check --set model.reports=N`: every node is offered N Report inputs, each
// delivered once at any point (default 0: the tokens only).
struct ModelOptions {
  static constexpr std::string_view type_name = "ModelOptions";
  std::uint32_t reports = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("reports", self.reports);
  }
  Result<void> validate(std::uint32_t node_count) const;
};

struct Binding : BindingDefaults<Ping> {
  using ModelOptions = ping::ModelOptions;
  static CheckSuite<Ping> check_suite(const Config& config) { return ping::check_suite(config); }
  static Result<explore::Model<Ping>> model(const Config& config, std::uint32_t node_count,
                                            const ModelOptions& options);
  static std::vector<Benchmark> benchmarks();
};

// `faultline bench engine`'s first row (engine_bench.cc).
int run_engine_benchmark(const Benchmark::Context& context);
// `faultline bench ping-scale`: the engine from 10^3 to 10^6 nodes (engine_bench.cc).
int run_scale_benchmark(const Benchmark::Context& context);

}  // namespace faultline::ping
