// The protocol contract: everything a protocol supplies to the three drivers (the simulator,
// the model checker and the socket runtime), written down once, as the concept Protocol<P>
// (DESIGN.md 3). A protocol is a tag type P naming its value types:
//
//   struct TwoPhaseCommit {
//     static constexpr std::string_view name = "two_phase_commit";  // scenarios' `protocol:`
//     using Config = ...;          // cluster.config: a field list, plus validate(node_count)
//     using Node = ...;            // the pure, copyable state machine (below)
//     using Message = ...;         // std::variant of field-list structs; index = wire tag
//     using Timer = ...;           // a value naming a timer; setting an equal timer re-arms it
//     using Durable = ...;         // what survives a crash; persist() replaces it whole
//     using Input = ...;           // client or operator requests delivered to a node
//     using Output = ...;          // replies and events a node emits to its environment
//     using WorkloadConfig = ...;  // the scenario's `workload:`, plus validate(node_count)
//     using Workload = ...;        // the environment: see ProtocolWorkload below
//     static std::vector<std::string> role_names();  // every Node::role(), for `crash: leader`
//   };
//
// Node handlers take one event and record effects into an Outbox; they never do I/O, read a
// clock, draw randomness or touch globals. A crashed node is destroyed; a restart constructs a
// new Node from the last persisted Durable. Every value type has a field list (fields.h), which
// gives it its encoding, fingerprint, describe() text and config decoding; the Node's field
// list is its volatile state (the model checker fingerprints it).
//
// What a driver needs beyond the node (check suite, model-checker model, client sessions) is
// not part of the protocol: it is the protocol's binding (tools/faultline/binding.h).
#pragma once

#include <algorithm>
#include <charconv>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/config_tree.h"
#include "sim/core/fields.h"
#include "sim/core/ids.h"
#include "sim/core/outbox.h"
#include "sim/core/result.h"
#include "sim/core/rng.h"
#include "sim/core/workload.h"

namespace faultline {

// A configuration struct: decoded from YAML by its field list, then checked against the
// cluster's size by validate(), which names the offending key in its Error.
template <class C>
concept ValidatedConfig = HasFields<C> && std::default_initializable<C> &&
    requires(const C& config, std::uint32_t n) {
  { config.validate(n) } -> std::same_as<Result<void>>;
};

// The environment of a run. Required: construction from the workload config, the protocol
// config, the node count and the workload's own Rng stream; start() schedules the first
// inputs; on_output() sees every output a node emits (closed-loop clients react to them).
// Optional hooks (on_wake, idle, outstanding, closed_loop, script) come from WorkloadDefaults<P>
// (workload.h), which every Workload derives from.
template <class P>
concept ProtocolWorkload = std::derived_from<typename P::Workload, WorkloadDefaults<P>> &&
    std::constructible_from<typename P::Workload, const typename P::WorkloadConfig&,
                            const typename P::Config&, std::uint32_t, Rng> &&
    requires(typename P::Workload& workload, const typename P::Workload& const_workload,
             WorkloadSink<P>& sink, Time now, NodeId node, const typename P::Output& output,
             std::uint64_t token) {
  workload.start(sink);
  workload.on_output(now, node, output, sink);
  workload.on_wake(now, token, sink);
  { const_workload.idle() } -> std::same_as<bool>;
  { const_workload.outstanding() } -> std::convertible_to<std::string>;
  { P::Workload::closed_loop } -> std::convertible_to<bool>;
  { const_workload.script(now) } -> std::same_as<std::optional<WorkloadScript>>;
};

// The node: constructed from the config, its id, the cluster size and what it persisted last
// (none on the first start); each handler records its effects into the Outbox.
template <class P>
concept ProtocolNode = std::constructible_from<typename P::Node, const typename P::Config&, NodeId,
                                               std::uint32_t, std::optional<typename P::Durable>> &&
    HasFields<typename P::Node> &&
    requires(typename P::Node& node, const typename P::Node& const_node, Outbox<P>& outbox,
             NodeId source, const typename P::Message& message, const typename P::Timer& timer,
             const typename P::Input& input) {
  node.on_start(outbox);
  node.on_message(source, message, outbox);
  node.on_timer(timer, outbox);
  node.on_input(input, outbox);
  // The node's role for fault targeting ("coordinator", "leader", "participant"): one of
  // P::role_names().
  { const_node.role() } -> std::convertible_to<std::string_view>;
  { const_node == const_node } -> std::convertible_to<bool>;
};

template <class P>
concept Protocol = requires {
  { P::name } -> std::convertible_to<std::string_view>;
  { P::role_names() } -> std::convertible_to<std::vector<std::string>>;
  typename P::Message;
  typename P::Timer;
  typename P::Durable;
  typename P::Input;
  typename P::Output;
}
&&ValidatedConfig<typename P::Config>&& ValidatedConfig<typename P::WorkloadConfig>&&
    ProtocolNode<P>&& ProtocolWorkload<P>;

namespace detail {
// The node of `tree` at the key path validate() names ("request_timeout", "degrade[0].node"),
// or nullptr when the file does not give that key (its default failed, or it is no key).
inline const ConfigTree* find_key_path(const ConfigTree& tree, std::string_view path) {
  const ConfigTree* node = &tree;
  while (node != nullptr && !path.empty()) {
    const std::size_t end = std::min(path.find_first_of(".["), path.size());
    if (end > 0) node = node->find(path.substr(0, end));
    path.remove_prefix(end);
    while (node != nullptr && path.starts_with('[')) {
      std::size_t index = 0;
      const auto [rest, ec] = std::from_chars(path.data() + 1, path.data() + path.size(), index);
      if (ec != std::errc{} || rest == path.data() + path.size() || *rest != ']') return nullptr;
      node = index < node->items.size() ? &node->items[index] : nullptr;
      path.remove_prefix(static_cast<std::size_t>(rest - path.data()) + 1);
    }
    if (path.starts_with('.')) path.remove_prefix(1);
  }
  return node;
}
}  // namespace detail

// Decodes a configuration struct from `tree` and validates it for `node_count` nodes: the one
// way every driver reads a protocol's Config or WorkloadConfig. A validation error names the
// key path and line of the key validate() named when the file gives it, else the tree's path
// and line followed by that key.
template <ValidatedConfig C>
Result<C> decode_validated(const ConfigTree& tree, std::uint32_t node_count) {
  C config{};
  if (auto status = decode_config(tree, config); !status) return std::unexpected(status.error());
  if (auto status = config.validate(node_count); !status) {
    const Error& error = status.error();
    const ConfigTree* at = error.where.empty() ? nullptr : detail::find_key_path(tree, error.where);
    if (at != nullptr) return std::unexpected(Error{at->path, at->line, error.what});
    return std::unexpected(Error{tree.path, tree.line, error.to_string()});
  }
  return config;
}

template <Protocol P>
Result<typename P::Config> decode_protocol_config(const ConfigTree& tree,
                                                  std::uint32_t node_count) {
  return decode_validated<typename P::Config>(tree, node_count);
}

template <Protocol P>
Result<typename P::WorkloadConfig> decode_workload_config(const ConfigTree& tree,
                                                          std::uint32_t node_count) {
  return decode_validated<typename P::WorkloadConfig>(tree, node_count);
}

}  // namespace faultline
