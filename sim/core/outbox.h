// Outbox: the effects one handler call recorded, as data (DESIGN.md 3).
//
// Effects are kept by kind so that apply() (apply.h) can give them their one meaning in a
// fixed order. Invariants: at most one persist per handler call (the last one wins, since a
// Durable is a whole state); timer effects keep their order; sends keep their order.
// Drivers reuse one Outbox across events (clear() keeps capacity), so handlers don't allocate.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "sim/core/ids.h"
#include "sim/core/time.h"

namespace faultline {

template <class P>
class Outbox {
 public:
  using Message = typename P::Message;
  using Timer = typename P::Timer;
  using Durable = typename P::Durable;
  using Output = typename P::Output;

  struct Send {
    NodeId target;
    Message message;
  };
  struct TimerEffect {
    Timer timer;
    std::optional<DurationRange> after;  // none: cancel the timer
  };

  void persist(Durable durable) { persist_ = std::move(durable); }
  void send(NodeId target, Message message) { sends_.push_back(Send{target, std::move(message)}); }
  void set_timer(Timer timer, DurationRange after) {
    timers_.push_back(TimerEffect{std::move(timer), after});
  }
  void set_timer(Timer timer, Duration after) {
    set_timer(std::move(timer), DurationRange::exactly(after));
  }
  void cancel_timer(Timer timer) { timers_.push_back(TimerEffect{std::move(timer), std::nullopt}); }
  void emit(Output output) { outputs_.push_back(std::move(output)); }

  // The node's own clock, as it reads during this handler call: the driver sets it before the
  // call (the simulator: the scenario's skew and drift applied to virtual time; the socket
  // runtime: the system's real-time clock; the model checker, which has no time: 0). A node
  // may stamp what it writes with it (last-write-wins) but must not wait on it: timers do that.
  Time clock() const { return clock_; }
  void set_clock(Time clock) { clock_ = clock; }

  const std::optional<Durable>& persisted() const { return persist_; }
  // Moves the persisted Durable out (a driver that keeps only the latest of several handler
  // calls' Durables, such as the socket runtime's group commit, frees the others at once).
  std::optional<Durable> take_persisted() { return std::exchange(persist_, std::nullopt); }
  const std::vector<Send>& sends() const { return sends_; }
  // Mutable, for apply() on an Outbox rvalue (apply.h), which moves the Durable and the messages
  // out to the driver; clear() then resets them.
  std::optional<Durable>& persisted() { return persist_; }
  std::vector<Send>& sends() { return sends_; }
  const std::vector<TimerEffect>& timers() const { return timers_; }
  const std::vector<Output>& outputs() const { return outputs_; }
  bool empty() const { return !persist_ && sends_.empty() && timers_.empty() && outputs_.empty(); }

  void clear() {
    persist_.reset();
    sends_.clear();
    timers_.clear();
    outputs_.clear();
  }

 private:
  std::optional<Durable> persist_;
  std::vector<Send> sends_;
  std::vector<TimerEffect> timers_;
  std::vector<Output> outputs_;
  Time clock_;
};

}  // namespace faultline
