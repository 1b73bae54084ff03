// apply(): the one definition of what effects mean, called by all three drivers.
//
// Order (etcd's Ready contract): persist first, so nothing a node says or replies can depend on
// state that a crash would lose; then timers; then messages; then outputs to clients. A driver
// implements four hooks:
//
//   void persist(NodeId, const Durable&);
//   void set_timer(NodeId, const Timer&, DurationRange);  void cancel_timer(NodeId, const Timer&);
//   void send(NodeId from, NodeId to, const Message&);
//   void emit(NodeId, const Output&);
//
// A driver whose persist can fail (the socket runtime's disk) must stop the node rather than
// return: apply() never continues past a persist that did not happen.
//
// apply() on an Outbox rvalue gives the same effects in the same order, but hands the persisted
// Durable and each message to the driver as rvalues, so a driver that keeps them (the simulator
// queues every message and stores every disk) may move instead of copy; the Outbox is left to be
// cleared. A driver with const& hooks gets them as before.
#pragma once

#include <type_traits>
#include <utility>

#include "sim/core/outbox.h"

namespace faultline {

namespace detail {

// Box: const Outbox<P> (copies) or Outbox<P> (moves the Durable and the messages out).
template <class Box, class Driver>
void apply_effects(NodeId node, Box& outbox, Driver& driver) {
  constexpr bool move = !std::is_const_v<Box>;
  const auto pass = [](auto& value) -> decltype(auto) {
    if constexpr (move)
      return std::move(value);
    else
      return std::as_const(value);
  };
  if (outbox.persisted()) driver.persist(node, pass(*outbox.persisted()));
  for (const auto& effect : outbox.timers()) {
    if (effect.after)
      driver.set_timer(node, effect.timer, *effect.after);
    else
      driver.cancel_timer(node, effect.timer);
  }
  for (auto& send : outbox.sends()) driver.send(node, send.target, pass(send.message));
  for (const auto& output : outbox.outputs()) driver.emit(node, output);
}

}  // namespace detail

template <class P, class Driver>
void apply(NodeId node, const Outbox<P>& outbox, Driver& driver) {
  detail::apply_effects(node, outbox, driver);
}

template <class P, class Driver>
void apply(NodeId node, Outbox<P>&& outbox, Driver& driver) {
  detail::apply_effects(node, outbox, driver);
}

}  // namespace faultline
