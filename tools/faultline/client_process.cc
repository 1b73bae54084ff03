// The protocol-independent parts of `faultline client` (client_process.h).
#include "tools/faultline/client_process.h"

#include "sim/scenario/parse.h"

namespace faultline::cli {

int report_error(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return exit_usage;
}

Duration seconds(double s) { return Duration{static_cast<std::int64_t>(s * 1e9)}; }

Result<ConfigTree> parse_flow(const std::string& text, const std::string& origin) {
  return scenario::parse_yaml(text, origin);
}

Result<std::vector<std::uint32_t>> client_targets(const real::ClusterFile& cluster,
                                                  const ClientArgs& args) {
  std::vector<std::uint32_t> targets;
  for (const auto& name : args.nodes) {
    auto index = cluster.node_index(name);
    if (!index) return std::unexpected(index.error());
    targets.push_back(*index);
  }
  if (targets.empty())
    for (std::uint32_t i = 0; i < cluster.nodes.size(); ++i) targets.push_back(i);
  return targets;
}

Result<std::vector<ConfigTree>> workload_layers(const real::ClusterFile& cluster,
                                                const ClientArgs& args) {
  std::vector<ConfigTree> layers{cluster.workload};
  if (!args.workload.empty()) {
    auto tree = parse_flow(args.workload, "--workload");
    if (!tree) return std::unexpected(tree.error());
    layers.push_back(std::move(*tree));
  }
  if (args.settings.empty()) return layers;
  ConfigTree settings;
  settings.kind = ConfigTree::Kind::map;
  settings.path = "workload";
  for (const auto& assignment : args.settings) {
    constexpr std::string_view prefix = "workload.";
    if (!assignment.starts_with(prefix))
      return fail("--set " + assignment, 0,
                  "a client sets only workload keys (workload.key=value)");
    auto ok =
        scenario::apply_override(settings, std::string_view(assignment).substr(prefix.size()));
    if (!ok) return fail("--set " + assignment, 0, ok.error().to_string());
  }
  layers.push_back(std::move(settings));
  return layers;
}

void print_status_line(const std::string& node, const real::StatusReply& reply) {
  const std::string start =
      reply.recovered ? "recovered " + std::to_string(reply.recovered_bytes) + " bytes from disk"
                      : "fresh start";
  std::printf("%s: %s, %s, %llu events, %llu persists (%llu bytes) since it started: %s\n",
              node.c_str(), reply.role.c_str(), start.c_str(),
              static_cast<unsigned long long>(reply.events),
              static_cast<unsigned long long>(reply.persists),
              static_cast<unsigned long long>(reply.persisted_bytes), reply.text.c_str());
}

real::HistoryHeader client_history_header(const real::ClusterFile& cluster,
                                          std::int64_t clock_origin_ns) {
  real::HistoryHeader header;
  header.protocol = cluster.protocol;
  header.node_names = cluster.node_names();
  header.recorded_by = command_line();
  header.clock = "monotonic";
  header.clock_origin_ns = clock_origin_ns;
  header.config = cluster.config;
  return header;
}

Result<void> HistoryFile::open(const std::string& path, const real::HistoryHeader& header,
                               bool flush_each_line) {
  flush_each_line_ = flush_each_line;
  if (path.empty()) return {};
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) return fail("--history " + path, 0, "cannot open for writing");
  write(real::header_line(header));
  flush();
  return {};
}

void HistoryFile::write(const std::string& line) {
  if (file_ == nullptr) return;
  std::fprintf(file_, "%s\n", line.c_str());
  if (flush_each_line_) std::fflush(file_);
}

void HistoryFile::flush() {
  if (file_ != nullptr) std::fflush(file_);
}

void HistoryFile::close() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

void print_closed_loop_summary(const ClosedLoopCounts& counts, std::uint64_t wakes,
                               const std::string& outstanding) {
  std::fprintf(stderr,
               "client: submitted %llu inputs (%llu to unreachable nodes), received %llu outputs, "
               "%llu wake-ups; outstanding: %s\n",
               static_cast<unsigned long long>(counts.invocations),
               static_cast<unsigned long long>(counts.undelivered),
               static_cast<unsigned long long>(counts.outputs),
               static_cast<unsigned long long>(wakes), outstanding.c_str());
}

}  // namespace faultline::cli
