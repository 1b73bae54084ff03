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
#pragma once

#include "sim/core/outbox.h"

namespace faultline {

template <class P, class Driver>
void apply(NodeId node, const Outbox<P>& outbox, Driver& driver) {
  if (outbox.persisted()) driver.persist(node, *outbox.persisted());
  for (const auto& effect : outbox.timers()) {
    if (effect.after)
      driver.set_timer(node, effect.timer, *effect.after);
    else
      driver.cancel_timer(node, effect.timer);
  }
  for (const auto& send : outbox.sends()) driver.send(node, send.target, send.message);
  for (const auto& output : outbox.outputs()) driver.emit(node, output);
}

}  // namespace faultline
