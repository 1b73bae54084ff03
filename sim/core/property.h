// Properties: the always / sometimes / eventually model of DESIGN.md 6, shared by the
// simulator and the model checker.
//
// A property looks at a ClusterView (every node's volatile state, or none if it is down, and
// every node's durable state) and returns nothing when it holds, or a sentence saying why not.
// - always: must hold in every state (safety); the first violation fails the run.
// - sometimes: must hold in at least one state, proving the run was not vacuous.
// - eventually: must hold by the end of the liveness phase (the time it first holds after the
//   last fault heals is the convergence time).
// Properties must be pure functions of the view: the model checker deduplicates states.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sim/core/time.h"

namespace faultline {

enum class PropertyKind { always, sometimes, eventually };

inline std::string_view to_string(PropertyKind kind) {
  switch (kind) {
    case PropertyKind::always: return "always";
    case PropertyKind::sometimes: return "sometimes";
    case PropertyKind::eventually: return "eventually";
  }
  return "";
}

template <class P>
struct ClusterView {
  std::span<const std::optional<typename P::Node>> nodes;     // none: the node is down
  std::span<const std::optional<typename P::Durable>> disks;  // none: nothing persisted yet
  Time now;
};

template <class P>
struct Property {
  std::string name;
  PropertyKind kind = PropertyKind::always;
  std::function<std::optional<std::string>(const ClusterView<P>&)> check;
};

}  // namespace faultline
