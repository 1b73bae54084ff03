// History<P>: what clients saw of a run, in the order it happened: every Input delivered to a
// node (with the client that sent it) and every Output a node emitted, with times. The simulator
// records virtual times, the explorer the position in its path, a real client steady-clock time
// since it started. Checkers pair invocations and emissions by the protocol's own request ids.
#pragma once

#include <vector>

#include "sim/core/ids.h"
#include "sim/core/time.h"

namespace faultline {

template <class P>
struct Invocation {
  Time time;
  NodeId node;
  ClientId client;
  typename P::Input input;
  bool delivered = true;  // false: the node was down and the input was lost
};

template <class P>
struct Emission {
  Time time;
  NodeId node;
  typename P::Output output;
};

template <class P>
struct History {
  std::vector<Invocation<P>> invocations;
  std::vector<Emission<P>> emissions;
};

}  // namespace faultline
