// WorkloadDriver<P>: runs a protocol's simulator Workload (sim/core/workload.h) against a real
// cluster in real time, closed loop.
//
// It is the WorkloadSink the workload talks to: submit(at, ...) sends the input over the
// ClusterClient at `at` (at once when `at` is not in the future), wake(at, token) calls
// on_wake(now, token) back from a real timer, and every Output a node sends back is fed to
// on_output(now, node, output). Time 0 of the workload is when start() runs (the caller starts it
// once the cluster is reachable); "now" is steady-clock time since then. Pending submits and
// wakes wait in one queue ordered by (time, order of request), behind one asio timer, so a
// workload with thousands of sessions costs one timer, not thousands.
//
// The history (ClusterClient::history(), and its on_invocation/on_emission hooks) is recorded by
// the ClusterClient as inputs leave and outputs arrive, in the simulator's shape.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <variant>
#include <vector>

#include <utility>  // first: Boost 1.74 asio/awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>

#include "sim/core/workload.h"
#include "sim/real/client.h"

namespace faultline::real {

template <class P>
class WorkloadDriver final : public WorkloadSink<P> {
 public:
  using Workload = typename P::Workload;
  using Input = typename P::Input;

  // Called after every step that may have made the workload idle (see done()).
  std::function<void()> on_progress;
  // Applied to each input just before it is sent (a binding may rename client sessions).
  std::function<void(ClientId&, Input&)> rewrite_submit;

  WorkloadDriver(asio::io_context& io, ClusterClient<P>& client, Workload& workload)
      : client_(client), workload_(workload), timer_(io) {}
  WorkloadDriver(const WorkloadDriver&) = delete;
  WorkloadDriver& operator=(const WorkloadDriver&) = delete;

  void start() {
    origin_ = std::chrono::steady_clock::now();
    started_ = true;
    workload_.start(*this);
    pump();
  }
  bool started() const { return started_; }

  // Feed one output the client received (call from ClusterClient::on_emission).
  void on_emission(const Emission<P>& emission) {
    if (!started_) return;
    workload_.on_output(now(), emission.node, emission.output, *this);
    pump();
  }

  // Nothing left to send: the workload has no request outstanding and no submit is pending.
  // (Wake-ups still queued are then only timeouts of answered requests.)
  bool done() const {
    if (!started_ || submits_pending_ > 0) return false;
    return workload_.idle();
  }
  std::string outstanding() const { return workload_.outstanding(); }

  std::uint64_t submitted() const { return submitted_; }
  std::uint64_t wakes() const { return wakes_; }
  void stop() {
    stopped_ = true;
    timer_.cancel();
  }

  // ---- WorkloadSink ----
  void submit(Time at, NodeId node, ClientId client, Input input) override {
    ++submits_pending_;
    push(Item{at, sequence_++, Submission{node, client, std::move(input)}});
  }
  void wake(Time at, std::uint64_t token) override { push(Item{at, sequence_++, Wake{token}}); }

 private:
  struct Submission {
    NodeId node;
    ClientId client;
    Input input;
  };
  struct Wake {
    std::uint64_t token;
  };
  struct Item {
    Time at;
    std::uint64_t sequence;
    std::variant<Submission, Wake> what;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.at != b.at ? a.at > b.at : a.sequence > b.sequence;
    }
  };

  Time now() const {
    return Time{std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now() - origin_)
                    .count()};
  }

  void push(Item item) { queue_.push(std::move(item)); }

  // Runs everything due, in (time, request) order, then arms the timer for the next item.
  // Items pushed while running go into the same queue, so a submit "at now" from inside a
  // handler goes out in this same pass.
  void pump() {
    if (stopped_ || pumping_) return;
    pumping_ = true;
    for (;;) {
      const Time t = now();
      if (queue_.empty() || queue_.top().at > t) break;
      Item item = std::move(const_cast<Item&>(queue_.top()));  // popped right below
      queue_.pop();
      if (auto* s = std::get_if<Submission>(&item.what)) {
        --submits_pending_;
        ++submitted_;
        if (rewrite_submit) rewrite_submit(s->client, s->input);
        client_.submit(s->node, s->client, std::move(s->input));
      } else {
        ++wakes_;
        workload_.on_wake(t, std::get<Wake>(item.what).token, *this);
      }
    }
    pumping_ = false;
    if (on_progress) on_progress();
    if (stopped_ || queue_.empty()) return;
    const Time next = queue_.top().at;
    if (armed_ && armed_at_ <= next) return;  // the armed timer fires first and re-arms
    armed_ = true;
    armed_at_ = next;
    timer_.expires_at(origin_ + std::chrono::nanoseconds(next.nanoseconds));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: a later pump re-armed it, or stop()
      armed_ = false;
      pump();
    });
  }

  ClusterClient<P>& client_;
  Workload& workload_;
  asio::steady_timer timer_;
  std::priority_queue<Item, std::vector<Item>, Later> queue_;
  std::uint64_t sequence_ = 0;
  std::uint64_t submits_pending_ = 0;
  std::uint64_t submitted_ = 0;
  std::uint64_t wakes_ = 0;
  std::chrono::steady_clock::time_point origin_;  // workload time 0
  Time armed_at_;
  bool armed_ = false;
  bool started_ = false;
  bool pumping_ = false;
  bool stopped_ = false;
};

}  // namespace faultline::real
