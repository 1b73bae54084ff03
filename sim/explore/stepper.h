// Stepper<P>: the one step function of the model checker, which the explorer and the
// counterexample replayer both use. Builds the initial world, lists and describes the enabled
// actions (action.h), runs an action's handler and applies its effects through apply()
// (sim/core/apply.h, with the Driver of driver.h), exactly as the simulator does.
//
// Time is abstracted away: an armed timer may fire at any moment, in any order with the other
// timers and deliveries (an over-approximation of the simulator, which fires a timer only after
// its sampled delay).
//
// Invariants: the Stepper owns everything its worlds point at (interned slots, messages and
// history events), so a World must not outlive it; a successor builds only the slot its action
// changed, in a reused scratch slot (slot_store.h) that keep() interns once the state is known
// to be new, so a step that leads to a state seen before allocates nothing; a handler's outcome
// is remembered by what it was given (step_memo.h) and replayed when the same node meets the
// same event in the same slot again, unless the model records a client history (a step then
// also changes the world's history, which the memo does not hold).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/apply.h"
#include "sim/core/assert.h"
#include "sim/core/ids.h"
#include "sim/core/outbox.h"
#include "sim/explore/action.h"
#include "sim/explore/client_history.h"
#include "sim/explore/driver.h"
#include "sim/explore/messages.h"
#include "sim/explore/model.h"
#include "sim/explore/slot_store.h"
#include "sim/explore/step_memo.h"
#include "sim/explore/symmetry.h"
#include "sim/explore/world_fingerprint.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

template <class P>
class Stepper {
 public:
  // `step_memo`: replay remembered handler outcomes (step_memo.h); off only to measure it.
  explicit Stepper(const Model<P>& model, bool step_memo = true)
      : model_(model),
        slots_(model.node_count),
        history_(model),
        memo_on_(step_memo && !model.client_history.has_value()) {
    FL_ASSERT(model.node_count > 0, "a model needs nodes");
    FL_ASSERT(model.copies_max >= 1, "copies_max must be at least 1");
    FL_ASSERT(model.boot_inputs.empty() || model.boot_inputs.size() == model.node_count,
              "boot inputs per node");
    FL_ASSERT(!(model.symmetry && model.client_history),
              "a client history names nodes: no symmetry reduction with it");
    if (model.symmetry) symmetry_.emplace(*model.symmetry, model.node_count);
  }

  // The fingerprint the explorer deduplicates states by: world_fingerprint(), or with symmetry
  // the least world fingerprint over every renaming of the interchangeable nodes.
  std::uint64_t fingerprint(const World<P>& world) {
    if (!symmetry_) return world_fingerprint(world);
    return symmetry_->fingerprint(world);
  }

  const Model<P>& model() const { return model_; }

  // The initial state: every node constructed fresh and started in id order, then given its
  // boot inputs.
  World<P> initial() {
    World<P> world;
    const std::uint32_t n = model_.node_count;
    NodeSlot<P> empty;
    seal(empty);
    world.slots.assign(n, slots_.intern(empty));
    world.inputs_done.assign(model_.model_inputs.size(), 0);
    for (std::uint32_t i = 0; i < n; ++i) {
      NodeSlot<P>& slot = slots_.own(world, i);
      start(world, slot, NodeId{i});
      seal(slot);
    }
    slots_.keep(world);
    return world;
  }

  // Every action enabled in `world`, in a fixed order (the order BFS tries them).
  void actions(const World<P>& world, std::vector<Action>& out) const {
    enabled_actions(model_, world, out);
  }

  // One line saying what `action` does in `world` (call before step()).
  std::string describe_action(const World<P>& world, const Action& action) const {
    return explore::describe_action(model_, world, action);
  }

  // Applies one enabled action to `world` in place.
  void step(World<P>& world, const Action& action) {
    step_scratch(world, action);
    keep(world);
  }

  // The explorer's step: as step(), but the slot the action changes stays in this node's
  // scratch slot, which `world` points at. Most successors are states seen before: they are
  // fingerprinted and dropped without storing anything. keep() interns the scratch slot of a
  // new state. The next step overwrites the scratch slots, so keep or drop `world` before it.
  void step_scratch(World<P>& world, const Action& action) {
    switch (action.kind) {
      case ActionKind::deliver: return deliver(world, action.index);
      case ActionKind::drop: return drop(world, action.index);
      case ActionKind::duplicate: return duplicate(world, action.index);
      case ActionKind::timer: return fire_timer(world, action.node, action.index);
      case ActionKind::input: return deliver_input(world, action.index);
      case ActionKind::crash: return crash(world, action.node);
      case ActionKind::restart: return restart(world, action.node);
    }
  }

  // Replaces any slot of `world` that points at a scratch slot by its interned copy.
  void keep(World<P>& world) { slots_.keep(world); }

  // Whether step_scratch() leaves every slot interned (none in a scratch bank): with the step
  // memo on, a step's new slot is interned when its outcome is remembered (crashes and
  // restarts, not remembered, intern theirs too), so a successor stays valid however many
  // steps follow it, and the explorer may build all of a state's successors before settling any.
  bool steps_keep_slots() const { return memo_on_; }

  // The interned copy of a sealed slot (a scratch slot's, for --exact's step keys).
  const NodeSlot<P>* intern_slot(const NodeSlot<P>& slot) { return slots_.intern(slot); }

  // Which of the two scratch banks (slot_store.h) the next step_scratch() builds in: a
  // successor built in one bank survives steps in the other until it is kept or dropped.
  void use_scratch_bank(std::uint32_t bank) { slots_.use_bank(bank); }

  std::size_t interned_slots() const { return slots_.size(); }
  std::size_t interned_messages() const { return sent_.table.size(); }

 private:
  // The message leaves the multiset (not in the set network); to a down node it is lost.
  void deliver(World<P>& world, std::uint32_t index) {
    FL_ASSERT(index < world.messages.size(), "deliver: no such message");
    const InFlight<P>* m = world.messages[index];
    if (!model_.sent_set) world.messages.erase(world.messages.begin() + index);
    if (!world.up(m->to.value)) return;  // the node is down: the message is lost
    const Given given{m->to.value, StepEvent::message, world.slots[m->to.value], address_word(m)};
    if (replay(world, given)) return;
    NodeSlot<P>& slot = slots_.own(world, m->to.value);
    run(world, slot, m->to,
        [&](typename P::Node& node, Outbox<P>& out) { node.on_message(m->from, m->message, out); });
    slots_.seal_unless_unchanged(world, m->to.value, slot, given.before);
    remember(world, given);
  }

  // The armed timer is disarmed, then fires (its handler may re-arm it).
  void fire_timer(World<P>& world, std::uint32_t node, std::uint32_t index) {
    FL_ASSERT(index < world.slots[node]->timers.size(), "timer: not armed");
    FL_ASSERT(world.up(node), "timer: node down");
    if (model_.timers_max != 0) ++world.timers;
    const Given given{node, StepEvent::timer, world.slots[node], index};
    if (replay(world, given)) return;
    NodeSlot<P>& slot = slots_.own(world, node);
    const typename P::Timer timer = std::move(slot.timers[index].timer);
    slot.timers.erase(slot.timers.begin() + index);
    run(world, slot, NodeId{node},
        [&](typename P::Node& n, Outbox<P>& out) { n.on_timer(timer, out); });
    slots_.seal_unless_unchanged(world, node, slot, given.before);
    remember(world, given);
  }

  // Model input `index` arrives at its node, once per path.
  void deliver_input(World<P>& world, std::uint32_t index) {
    FL_ASSERT(index < world.inputs_done.size() && world.inputs_done[index] == 0,
              "input: already delivered");
    world.inputs_done[index] = 1;
    const auto& [target, input] = model_.model_inputs[index];
    history_.record_input(world, target, index);
    const Given given{target.value, StepEvent::input, world.slots[target.value], index};
    if (replay(world, given)) return;
    NodeSlot<P>& slot = slots_.own(world, target.value);
    run(world, slot, target,
        [&](typename P::Node& node, Outbox<P>& out) { node.on_input(input, out); });
    slots_.seal_unless_unchanged(world, target.value, slot, given.before);
    remember(world, given);
  }

  // Fault actions: the network loses or copies a message, a node crashes or restarts.
  void drop(World<P>& world, std::uint32_t index) {
    FL_ASSERT(index < world.messages.size(), "drop: no such message");
    world.messages.erase(world.messages.begin() + index);
    ++world.drops;
  }

  void duplicate(World<P>& world, std::uint32_t index) {
    FL_ASSERT(index < world.messages.size(), "duplicate: no such message");
    ++world.duplicates;
    insert_message(world, model_.copies_max, world.messages[index]);
  }

  // The Node is destroyed and its timers cleared; its durable value and the messages addressed
  // to it stay.
  void crash(World<P>& world, std::uint32_t node) {
    FL_ASSERT(world.up(node) && world.crashes < model_.crashes_max,
              "crash: node down or budget spent");
    NodeSlot<P>& slot = slots_.own(world, node);
    slot.node.reset();
    slot.timers.clear();
    seal(slot);
    ++world.crashes;
    intern_for_memo(world, node);
  }

  void restart(World<P>& world, std::uint32_t node) {
    FL_ASSERT(!world.up(node), "restart: node is up");
    NodeSlot<P>& slot = slots_.own(world, node);
    start(world, slot, NodeId{node});
    seal(slot);
    intern_for_memo(world, node);
  }

  using Given = typename StepMemo<P>::Given;

  // With the memo on, a step leaves no slot in a scratch bank (steps_keep_slots()): the slot it
  // changed is interned at once (a remembered outcome must name a stable slot anyway).
  void intern_for_memo(World<P>& world, std::uint32_t node) {
    if (memo_on_ && slots_.is_scratch(node, world.slots[node]))
      world.slots[node] = slots_.intern(*world.slots[node]);
  }

  // Applies the remembered outcome of `given` to `world` (the acting node's slot, then its sends
  // in order, each inserted as Driver::send inserts it); false when there is none.
  bool replay(World<P>& world, const Given& given) {
    if (!memo_on_ || slots_.is_scratch(given.node, given.before)) return false;
    const auto* outcome = memo_.find(given);
    if (outcome == nullptr) return false;
    world.slots[given.node] = outcome->after;
    for (const InFlight<P>* item : outcome->sends) insert_message(world, model_.copies_max, item);
    return true;
  }

  // Remembers what the handler that just ran from `given` did: the acting node's slot (interned
  // now, so the world points at the stored copy) and every message it sent, absorbed or not, as
  // the outbox still holds them.
  void remember(World<P>& world, const Given& given) {
    intern_for_memo(world, given.node);
    if (!memo_on_ || slots_.is_scratch(given.node, given.before)) return;
    typename StepMemo<P>::Outcome outcome{world.slots[given.node], {}};
    outcome.sends.reserve(outbox_.sends().size());
    const NodeId from{given.node};
    for (const auto& send : outbox_.sends()) {
      const std::uint64_t key = sent_.key(send.message);
      outcome.sends.push_back(sent_.intern(from, send.target, key, send.message));
    }
    memo_.add(given, std::move(outcome));
  }

  template <class Handler>
  void run(World<P>& world, NodeSlot<P>& slot, NodeId id, Handler&& handler) {
    outbox_.clear();
    handler(*slot.node, outbox_);
    Driver<P> driver{world, slot, id, model_.copies_max, sent_, history_};
    apply(id, outbox_, driver);
  }

  // A new Node built from the slot's durable value, on_start, then its boot inputs.
  void start(World<P>& world, NodeSlot<P>& slot, NodeId id) {
    std::optional<typename P::Durable> recovered;
    if (slot.disk) recovered = *slot.disk;
    slot.node.emplace(model_.config, id, model_.node_count, std::move(recovered));
    run(world, slot, id, [](typename P::Node& node, Outbox<P>& out) { node.on_start(out); });
    if (model_.boot_inputs.empty()) return;
    for (const auto& input : model_.boot_inputs[id.value])
      run(world, slot, id,
          [&](typename P::Node& node, Outbox<P>& out) { node.on_input(input, out); });
  }

  const Model<P>& model_;
  Outbox<P> outbox_;
  SlotStore<P> slots_;
  SentMessages<P> sent_;
  HistoryLog<P> history_;
  std::optional<SymmetryReduction<P>> symmetry_;  // engaged when the model has a symmetry
  StepMemo<P> memo_;
  bool memo_on_;  // off when the model records a client history (see header)
};

}  // namespace faultline::explore
