// Properties: the always / sometimes / eventually model of DESIGN.md 6, shared by the
// simulator and the model checker, plus transition properties over one node's step.
//
// A state property looks at a ClusterView (every node's volatile state, or none if it is down,
// and every node's durable state) and returns nothing when it holds, or a sentence saying why
// not.
// - always: must hold in every state (safety); the first violation fails the run.
// - sometimes: must hold in at least one state, proving the run was not vacuous.
// - eventually: must hold by the end of the liveness phase (the time it first holds after the
//   last fault heals is the convergence time).
// A transition property looks at a NodeStep instead: one node just before and just after it
// handled one event (a message, a timer, an input, a crash or a restart). It is safety, like
// always: it must hold on every step, and the first violation fails the run. It states what a
// single state cannot show, such as "a leader only appends to its log" (Raft paper Figure 3).
//
// Properties must be pure functions of what they are given: the model checker deduplicates
// states, and evaluates a transition property once per distinct (node, before, after) triple.
// A transition property must hold on a step that leaves the node and its disk unchanged (a
// stuttering step, as in TLA+'s [][A]_v): drivers skip those.
//
// A state property may also offer a Monitor: an incremental way for the simulator, which sees a
// run one event at a time, to tell when `check` needs evaluating again. Evaluating every property
// on the whole view after every event costs O(n^2) per event for the pairwise ones (every pair
// of logs); a monitor looks only at the nodes the event changed (sim/core/monitor.h has the
// common shapes). It decides only *when* `check` runs, never what it says: verdicts and their
// texts are `check`'s own, so a run's outcome is the same with or without monitors.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sim/core/ids.h"
#include "sim/core/time.h"

namespace faultline {

enum class PropertyKind { always, sometimes, eventually, transition };

inline std::string_view to_string(PropertyKind kind) {
  switch (kind) {
    case PropertyKind::always: return "always";
    case PropertyKind::sometimes: return "sometimes";
    case PropertyKind::eventually: return "eventually";
    case PropertyKind::transition: return "transition";
  }
  return "";
}

// Safety kinds: a violation fails the run at once (exit 2) and is a counterexample.
inline bool is_safety(PropertyKind kind) {
  return kind == PropertyKind::always || kind == PropertyKind::transition;
}

template <class P>
struct ClusterView {
  std::span<const std::optional<typename P::Node>> nodes;     // none: the node is down
  std::span<const std::optional<typename P::Durable>> disks;  // none: nothing persisted yet
  Time now;
};

// One step of one node: its state just before and just after it handled one event. A null
// node means down: `before` is null for a restart, `after` for a crash. A null disk means
// nothing was persisted yet. The pointers are valid only during the property call.
// The initial start of a run is not a step (the explorer's initial state is not reached by an
// action), so both drivers check transitions from the initial state on.
template <class P>
struct NodeStep {
  NodeId node;
  const typename P::Node* before = nullptr;
  const typename P::Node* after = nullptr;
  const typename P::Durable* disk_before = nullptr;
  const typename P::Durable* disk_after = nullptr;
  Time now;  // when the step happened (the explorer has no clock: 0)
};

// The incremental form of one state property over one run (see above). The driver calls
// update() after every event with the nodes whose node or disk the event may have changed
// (every node at the first call); it answers whether `check`'s verdict may differ from its
// verdict at the previous call, and the driver evaluates `check` again only on a yes (and always
// at the first call). Soundness: a yes may be spurious, a no when the verdict changed is a bug.
// A monitor holds per-run state: it is made fresh for each run, never shared between runs.
template <class P>
class Monitor {
 public:
  Monitor() = default;
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;
  virtual ~Monitor() = default;
  virtual bool update(const ClusterView<P>& view, std::span<const NodeId> changed) = 0;
};

// `check` is set for the state kinds, `check_step` for kind == transition (the other is empty).
template <class P>
struct Property {
  std::string name;
  PropertyKind kind = PropertyKind::always;
  std::function<std::optional<std::string>(const ClusterView<P>&)> check = {};
  std::function<std::optional<std::string>(const NodeStep<P>&)> check_step = {};
  // Transition only, optional: the property constrains only steps that start from an up node
  // for which this holds (a leader, say); empty: every step. Drivers skip the other steps, and
  // the simulator copies a node before a step only when some property constrains that step.
  std::function<bool(const typename P::Node&)> steps_from = {};
  // State kinds only, optional: makes this property's Monitor for one run; empty: the simulator
  // evaluates `check` after every event. The model checker always evaluates `check`.
  std::function<std::unique_ptr<Monitor<P>>()> monitor = {};
};

// A transition property (designated initializers keep the state `check` visibly empty).
template <class P>
Property<P> transition_property(
    std::string name, std::function<std::optional<std::string>(const NodeStep<P>&)> check_step,
    std::function<bool(const typename P::Node&)> steps_from = {}) {
  return Property<P>{.name = std::move(name),
                     .kind = PropertyKind::transition,
                     .check_step = std::move(check_step),
                     .steps_from = std::move(steps_from)};
}

// Whether transition property `property` constrains a step from `before` (null: from down).
template <class P>
bool constrains_step_from(const Property<P>& property, const typename P::Node* before) {
  return !property.steps_from || (before != nullptr && property.steps_from(*before));
}

}  // namespace faultline
