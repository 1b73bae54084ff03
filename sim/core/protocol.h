// The node contract every protocol satisfies, and the only place it is written down in code
// (DESIGN.md 3). A protocol is a tag type P naming its value types:
//
//   struct TwoPhaseCommit {
//     static constexpr std::string_view name = "two_phase_commit";
//     using Config = ...;   // parsed from a scenario's cluster.config (has a field list)
//     using Node = ...;     // the pure, copyable state machine
//     using Message = ...;  // std::variant of structs with field lists; index = wire tag
//     using Timer = ...;    // a value naming a timer; setting an equal timer re-arms it
//     using Durable = ...;  // what survives a crash; persist() replaces it whole
//     using Input = ...;    // client or operator requests delivered to a node
//     using Output = ...;   // replies and events a node emits to its environment
//   };
//
// Node handlers take one event and record effects into an Outbox; they never do I/O, read a
// clock, draw randomness or touch globals. A crashed node is destroyed; a restart constructs a
// new Node from the last persisted Durable.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sim/core/fields.h"
#include "sim/core/ids.h"
#include "sim/core/outbox.h"

namespace faultline {

template <class P>
concept Protocol = requires {
  { P::name } -> std::convertible_to<std::string_view>;
  typename P::Config;
  typename P::Node;
  typename P::Message;
  typename P::Timer;
  typename P::Durable;
  typename P::Input;
  typename P::Output;
}
&&std::constructible_from<
    typename P::Node, const typename P::Config&, NodeId, std::uint32_t,
    std::optional<typename P::Durable>>&& requires(typename P::Node& node,
                                                   const typename P::Node& const_node,
                                                   const typename P::Config& config,
                                                   std::optional<typename P::Durable> recovered,
                                                   Outbox<P>& outbox, NodeId id,
                                                   const typename P::Message& message,
                                                   const typename P::Timer& timer,
                                                   const typename P::Input& input) {
  node.on_start(outbox);
  node.on_message(id, message, outbox);
  node.on_timer(timer, outbox);
  node.on_input(input, outbox);
  // The node's role for fault targeting ("coordinator", "leader", "participant").
  { const_node.role() } -> std::convertible_to<std::string_view>;
  { const_node == const_node } -> std::convertible_to<bool>;
};

}  // namespace faultline
