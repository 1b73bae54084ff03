// FaultTimeline: when each node was stopped (crashed or paused) and when the network was cut, as
// read from a run's fault log, for history checks that excuse what a fault explains ("the
// slice was missing because its node was down") and for timing checks ("detected within 11 s
// of the crash").
//
// Invariants: a node's stops are disjoint intervals [from, to) in time order, `to` being the
// restart or resume that ended them (the run's end if none did); cuts start at a partition
// record (partitions, isolations, one-way cuts) and end at the next heal or at the liveness
// phase (which heals without a record of its own). Built once, queried many times.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/core/check_suite.h"
#include "sim/core/ids.h"
#include "sim/core/time.h"

namespace faultline {

class FaultTimeline {
 public:
  struct Stop {
    NodeId node;
    Time from;
    Time to;
    bool crash = false;  // else a pause
  };

  FaultTimeline(const std::vector<FaultRecord>& faults, Time end) {
    std::vector<Stop> open;
    Time cut_since;
    bool cut = false;
    for (const FaultRecord& f : faults) {
      using Kind = FaultRecord::Kind;
      if (f.kind == Kind::crash || f.kind == Kind::pause)
        for (NodeId node : f.nodes) {
          if (f.kind == Kind::crash) close(open, node, f.time, false);  // a crash ends a pause
          open.push_back(Stop{node, f.time, end, f.kind == Kind::crash});
        }
      if (f.kind == Kind::restart || f.kind == Kind::resume)
        for (NodeId node : f.nodes) close(open, node, f.time, f.kind == Kind::restart);
      if (f.kind == Kind::partition && !cut) {
        cut = true;
        cut_since = f.time;
      }
      if ((f.kind == Kind::heal || f.kind == Kind::liveness_start) && cut) {
        cut = false;
        cuts_.push_back({cut_since, f.time});
      }
    }
    stops_.insert(stops_.end(), open.begin(), open.end());
    if (cut) cuts_.push_back({cut_since, end});
    std::ranges::sort(stops_, {}, &Stop::from);
  }

  struct Interval {
    Time from;
    Time to;
  };

  const std::vector<Stop>& stops() const { return stops_; }
  const std::vector<Interval>& cuts() const { return cuts_; }

  // The node was neither crashed nor paused at any moment of [from, to].
  bool up_throughout(NodeId node, Time from, Time to) const {
    return std::ranges::none_of(
        stops_, [&](const Stop& s) { return s.node == node && s.from <= to && s.to > from; });
  }

  // Some cut was in force at a moment of [from, to].
  bool cut_during(Time from, Time to) const {
    return std::ranges::any_of(cuts_,
                               [&](const Interval& c) { return c.from <= to && c.to > from; });
  }

 private:
  void close(std::vector<Stop>& open, NodeId node, Time at, bool restart) {
    const auto it = std::ranges::find_if(
        open, [&](const Stop& s) { return s.node == node && s.crash == restart; });
    if (it == open.end()) return;
    it->to = at;
    stops_.push_back(*it);
    open.erase(it);
  }

  std::vector<Stop> stops_;
  std::vector<Interval> cuts_;
};

}  // namespace faultline
