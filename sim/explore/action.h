// The transitions of the model checker: Action names one (deliver, drop or duplicate a message,
// fire a timer, deliver a model input, crash or restart a node), enabled_actions() lists those
// enabled in a world, and describe_action() says in one line what one does.
//
// Invariants: enabled_actions() lists actions in a fixed order (deliveries, drops, duplicates,
// timers, inputs, crashes, restarts; each by index), which BFS tries in turn, so counterexamples
// are deterministic (README.md, "Actions"); identical copies of a message give one action, as
// they lead to one state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/describe.h"
#include "sim/explore/model.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

enum class ActionKind : std::uint8_t { deliver, drop, duplicate, timer, crash, restart, input };

inline std::string_view to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::deliver: return "deliver";
    case ActionKind::drop: return "drop";
    case ActionKind::duplicate: return "duplicate";
    case ActionKind::timer: return "timer";
    case ActionKind::crash: return "crash";
    case ActionKind::restart: return "restart";
    case ActionKind::input: return "input";
  }
  return "";
}

// One transition. `index` is into the world's messages (deliver, drop, duplicate), the node's
// timers (timer) or the model inputs (input); `node` is the node it happens at.
struct Action {
  ActionKind kind = ActionKind::deliver;
  std::uint32_t node = 0;
  std::uint32_t index = 0;
  friend bool operator==(const Action&, const Action&) = default;
};

// Every action enabled in `world`, in a fixed order (the order BFS tries them), into `out`.
template <class P>
void enabled_actions(const Model<P>& model, const World<P>& world, std::vector<Action>& out) {
  out.clear();
  const auto& messages = world.messages;
  const auto distinct = [&](std::uint32_t i) {
    return i == 0 || !same_message(*messages[i - 1], *messages[i]);
  };
  for (std::uint32_t i = 0; i < messages.size(); ++i)
    if (distinct(i))
      out.push_back(
          Action{ActionKind::deliver, messages[i]->to.value, i});  // copies lead to one state
  if (world.drops < model.drops_max)
    for (std::uint32_t i = 0; i < messages.size(); ++i)
      if (distinct(i)) out.push_back(Action{ActionKind::drop, messages[i]->to.value, i});
  if (world.duplicates < model.duplicates_max)
    for (std::uint32_t i = 0; i < messages.size(); ++i)
      if (distinct(i)) out.push_back(Action{ActionKind::duplicate, messages[i]->to.value, i});
  if (model.timers_max == 0 || world.timers < model.timers_max)
    for (std::uint32_t n = 0; n < world.slots.size(); ++n)
      for (std::uint32_t t = 0; t < world.slots[n]->timers.size(); ++t)
        out.push_back(Action{ActionKind::timer, n, t});
  for (std::uint32_t j = 0; j < model.model_inputs.size(); ++j)
    if (world.inputs_done[j] == 0 && world.up(model.model_inputs[j].first.value))
      out.push_back(Action{ActionKind::input, model.model_inputs[j].first.value, j});
  if (world.crashes < model.crashes_max)
    for (std::uint32_t n = 0; n < world.slots.size(); ++n)
      if (world.up(n)) out.push_back(Action{ActionKind::crash, n, 0});
  for (std::uint32_t n = 0; n < world.slots.size(); ++n)
    if (!world.up(n)) out.push_back(Action{ActionKind::restart, n, 0});
}

// One line saying what `action` does in `world` (call before the step).
template <class P>
std::string describe_action(const Model<P>& model, const World<P>& world, const Action& action) {
  const std::string node = "n" + std::to_string(action.node);
  switch (action.kind) {
    case ActionKind::deliver:
    case ActionKind::drop:
    case ActionKind::duplicate: {
      const InFlight<P>& m = *world.messages[action.index];
      std::string text = std::string(to_string(action.kind)) + " n" + std::to_string(m.from.value) +
                         " -> n" + std::to_string(m.to.value) + " " + describe(m.message);
      if (action.kind == ActionKind::deliver && !world.up(m.to.value))
        text += " (n" + std::to_string(m.to.value) + " is down: lost)";
      return text;
    }
    case ActionKind::timer:
      return "timer " + node + " " + describe(world.slots[action.node]->timers[action.index].timer);
    case ActionKind::crash:
      return "crash " + node + " (" + std::string(world.slots[action.node]->node->role()) + ")";
    case ActionKind::restart: return "restart " + node;
    case ActionKind::input:
      return "input " + node + " " + describe(model.model_inputs[action.index].second);
  }
  return "";
}

}  // namespace faultline::explore
