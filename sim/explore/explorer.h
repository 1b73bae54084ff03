// explore(): the model checker. Searches every interleaving of the actions World<P> defines
// (deliveries, timer firings, inputs, and within budget crashes, restarts, drops, duplicates)
// from the model's initial state, never expanding a state whose fingerprint it has seen.
//
// Checks: every `always` property on every unique state, and every `transition` property on
// every step (each successor generated, new or seen before: a step into a known state can still
// break one); the first violation stops the search and becomes the counterexample. `sometimes`
// properties are reported when no explored state reached them, so a vacuous model is visible;
// `eventually` properties are not checked here (there is no notion of time to converge in; the
// simulator's liveness phase checks them).
//
// Strategies: bfs visits states in order of depth, so its counterexample is a shortest one;
// guided is bfs that first expands the states whose node states (or client history) are new,
// which reaches deep schedules (Raft's 18-step Figure 8) bfs cannot, and is still exhaustive;
// dfs uses less memory for deep spaces but with --depth-max may prune a state first reached
// deep that is also reachable shallower; random does seeded random walks of at most depth_max
// steps (a sampler, never "exhausted").
//
// With a client history (Model::client_history), its checks run once per distinct history,
// and a failure is a violation like an `always` one.
//
// Determinism: no clocks, threads or unordered iteration; the same model and options give the
// same counts and the same counterexample. States per second is measured by the caller.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/budget.h"
#include "sim/core/property.h"
#include "sim/core/rng.h"
#include "sim/explore/exact_set.h"
#include "sim/explore/world.h"

namespace faultline::explore {

enum class Strategy : std::uint8_t { bfs, dfs, random, guided };

inline std::string_view to_string(Strategy s) {
  switch (s) {
    case Strategy::bfs: return "bfs";
    case Strategy::dfs: return "dfs";
    case Strategy::random: return "random";
    case Strategy::guided: return "guided";
  }
  return "";
}

struct SearchOptions {
  Strategy strategy = Strategy::bfs;
  std::uint32_t depth_max = 0;   // 0: unbounded (random walks default to 100 steps)
  std::uint64_t states_max = 0;  // unique states; 0: unbounded (random: 100000)
  std::uint64_t seed = 1;        // random strategy only
  // Wall time and memory, measured by the caller (sim/core/budget.h): asked every
  // DriverLimits::poll_events new states. None: no such limit.
  const DriverLimits* limits = nullptr;
  // Store every state (and every view, step and history the checks ran on) whole, not as a
  // 64-bit fingerprint: no collision can skip a state (exact_set.h). Needs exact_capable<P> and
  // no symmetry (a renamed state is found by fingerprint only).
  bool exact = false;
  // Parallel breadth-first search (bfs and guided only; not with exact): `workers` steppers
  // build the successors of a batch of queued states at once, and the explorer then settles
  // them one by one in the order a single worker would (so every count, queue order and
  // counterexample is the same for any number of workers). sim/explore has no threads: the
  // caller's `run_tasks(n, task)` runs task(0) .. task(n - 1), at once or not, and returns when
  // all are done.
  std::uint32_t workers = 1;
  std::function<void(std::uint32_t, const std::function<void(std::uint32_t)>&)> run_tasks;
  // Replay a handler's remembered outcome when a node meets an event it met before in the same
  // slot (step_memo.h). Off only to measure it and to test that it changes nothing.
  bool step_memo = true;
};

struct Step {
  Action action;
  NodeId from;                    // the sender, for message actions
  std::uint64_t subject_key = 0;  // fingerprint of the message, timer or input the step acts on
  std::string text;               // describe() of the step
  std::uint64_t state_after = 0;  // world fingerprint after the step
};

struct Violation {
  std::string property;
  std::string detail;
  std::uint64_t initial_state = 0;
  std::vector<Step> steps;  // from the initial state to the violating one
};

// What cut the search short: --depth-max, --states-max, or the caller's wall-time or memory
// limit (`limit`; SearchResult::limit_stop says which).
enum class Bound : std::uint8_t { none, depth, states, limit };

struct SearchResult {
  std::uint64_t states_explored = 0;  // successor states generated (revisits included)
  std::uint64_t states_unique = 0;
  std::uint32_t depth_reached = 0;
  bool exhausted = false;  // every reachable state (within the fault budget) was explored
  Bound bound = Bound::none;
  std::optional<BudgetStop> limit_stop;  // with Bound::limit: the budget and its value
  std::optional<Violation> violation;
  std::vector<std::string> sometimes_unreached;
  std::vector<std::string> eventually_unchecked;
  std::uint64_t steps_checked =
      0;  // distinct (node, slot before, slot after) steps given to transition properties
  std::uint64_t frontier_peak = 0;      // states held at once (queue or stack)
  std::uint64_t histories_checked = 0;  // distinct client histories the history checks ran on
  std::uint64_t visited_bytes = 0;
};

// Re-executes `actions` from the initial state, producing each step's text and fingerprints.
template <class P>
std::vector<Step> trace_actions(const Model<P>& model, const std::vector<Action>& actions) {
  Stepper<P> stepper(model);
  World<P> world = stepper.initial();
  std::vector<Step> steps;
  for (const Action& action : actions) {
    Step step;
    step.action = action;
    step.text = stepper.describe_action(world, action);
    switch (action.kind) {
      case ActionKind::deliver:
      case ActionKind::drop:
      case ActionKind::duplicate:
        step.from = world.messages[action.index]->from;
        step.subject_key = world.messages[action.index]->key;
        break;
      case ActionKind::timer:
        step.subject_key = world.slots[action.node]->timers[action.index].key;
        break;
      case ActionKind::input:
        step.subject_key = fingerprint(model.model_inputs[action.index].second);
        break;
      case ActionKind::crash:
      case ActionKind::restart: break;
    }
    stepper.step(world, action);
    step.state_after = world_fingerprint(world);
    steps.push_back(std::move(step));
  }
  return steps;
}

template <class P>
class Explorer {
 public:
  Explorer(const Model<P>& model, const std::vector<Property<P>>& properties, SearchOptions options)
      : model_(model),
        properties_(properties),
        options_(options),
        stepper_(model, options.step_memo),
        visited_(options.exact),
        views_checked_(options.exact),
        histories_checked_(options.exact),
        steps_checked_(options.exact),
        reached_(properties.size(), false) {
    FL_ASSERT(!options.exact || exact_capable<P>, "--exact: the protocol's values lack ==");
    FL_ASSERT(!options.exact || !model.symmetry, "--exact with symmetry");
    FL_ASSERT(options.workers >= 1, "a search needs a worker");
    FL_ASSERT(options.workers == 1 || (options.run_tasks && !options.exact),
              "parallel search: needs run_tasks, and is not exact");
    if (options.strategy == Strategy::bfs || options.strategy == Strategy::guided)
      for (std::uint32_t w = 1; w < options.workers; ++w)
        workers_.emplace_back(model, options.step_memo);
    for (const Property<P>& property : properties_)
      has_transitions_ |= property.kind == PropertyKind::transition;
  }

  SearchResult run() {
    World<P> initial = stepper_.initial();
    discover(initial, stepper_.fingerprint(initial));
    trail_.push_back(TrailEntry{kNoParent, Action{}});
    if (check(initial, 0)) return finish();
    switch (options_.strategy) {
      case Strategy::bfs: bfs(std::move(initial), false); break;
      case Strategy::guided: bfs(std::move(initial), true); break;
      case Strategy::dfs: dfs(std::move(initial)); break;
      case Strategy::random: random(std::move(initial)); break;
    }
    return finish();
  }

 private:
  static constexpr std::uint32_t kNoParent = 0xffffffffu;
  struct TrailEntry {
    std::uint32_t parent;
    Action action;
  };
  struct Queued {
    World<P> world;
    std::uint32_t trail;
    std::uint32_t depth;
  };

  // Whether a budget ends the search now (after a new state): --states-max, or the caller's
  // limits, asked every poll_events new states. Sets the bound that ended it.
  bool budget_reached() {
    if (options_.states_max != 0 && visited_.size() >= options_.states_max) {
      result_.bound = Bound::states;
      return true;
    }
    if (options_.limits == nullptr || visited_.size() % DriverLimits::poll_events != 0)
      return false;
    result_.limit_stop = options_.limits->exceeded();
    if (!result_.limit_stop) return false;
    result_.bound = Bound::limit;
    return true;
  }

  // Evaluates the properties on a newly found state; returns true when an `always` failed.
  bool check(const World<P>& world, std::uint32_t trail) {
    // Properties are pure functions of the nodes and disks (property.h), which the slot keys
    // determine, and many states differ only in the messages in flight. A combination of slots
    // seen before already passed every `always` (the first failure ends the search) and already
    // counted for every `sometimes`, so it is evaluated once. (A 64-bit fingerprint, as for the
    // visited set: a collision would skip one evaluation.)
    const bool history_new =
        world.history != nullptr &&
        histories_checked_.insert(world.history->key, [&](std::vector<std::uint64_t>& key) {
          key.push_back(address_word(world.history));
        });
    last_view_new_ =
        views_checked_.insert(slots_fingerprint(world), [&](std::vector<std::uint64_t>& key) {
          for (const auto* slot : world.slots) key.push_back(address_word(slot));
        });
    if (history_new) {
      // A history seen before (on another path) already passed; a new one is checked once.
      if (auto failed = failed_history_check(model_, world.history, view_.fill(world))) {
        violation_ = Violation{failed->first, failed->second, 0, {}};
        violation_trail_ = trail;
        return true;
      }
      last_view_new_ = true;  // something new was told to a client: as novel as new node states
    }
    if (!last_view_new_) return false;
    const ClusterView<P> view = view_.fill(world);
    for (std::size_t i = 0; i < properties_.size(); ++i) {
      const Property<P>& property = properties_[i];
      if (property.kind == PropertyKind::always) {
        if (auto reason = property.check(view)) {
          violation_ = Violation{property.name, *reason, 0, {}};
          violation_trail_ = trail;
          return true;
        }
      } else if (property.kind == PropertyKind::sometimes && !reached_[i]) {
        if (!property.check(view)) reached_[i] = true;
      }
    }
    return false;
  }

  // Transition properties on the step `action` took node `action.node` from slot `before` to
  // slot `after` (a deliver, timer or input runs a handler there; a crash or restart changes
  // it; a drop or duplicate leaves it alone). They depend only on the node's slot before and
  // after, and hold on a step that leaves the slot as it was (property.h), so each distinct
  // (node, slot before, slot after) is evaluated once (a second fingerprint set, as for views).
  // Returns true when one failed; the step then ends the counterexample, whether or not the
  // state it leads to was seen before.
  bool check_transition(const Action& action, const NodeSlot<P>* before, const NodeSlot<P>* after,
                        std::uint32_t parent) {
    if (!step_is_new(action, before, before == after, after->key, after)) return false;
    return transition_fails(action, before, after, parent);
  }

  // Whether the transition properties have yet to judge this step: node `action.node` from slot
  // `before` to a slot whose key is `after_key` (`unchanged`: the same slot). `after` is the slot
  // itself, which only --exact needs (the parallel search, never exact, passes none).
  bool step_is_new(const Action& action, const NodeSlot<P>* before, bool unchanged,
                   std::uint64_t after_key, const NodeSlot<P>* after) {
    if (!has_transitions_ || unchanged || before->key == after_key) return false;
    const auto exact_step = [&](std::vector<std::uint64_t>& key) {
      FL_ASSERT(after != nullptr, "an exact step key needs the slot after the step");
      key.push_back(action.node);
      key.push_back(address_word(before));
      key.push_back(address_word(stepper_.intern_slot(*after)));  // `after` may be scratch
    };
    return steps_checked_.insert(step_fingerprint(action.node, before->key, after_key), exact_step);
  }

  // The transition properties on a step check_transition() found new.
  bool transition_fails(const Action& action, const NodeSlot<P>* before, const NodeSlot<P>* after,
                        std::uint32_t parent) {
    const NodeStep<P> step = node_step<P>(NodeId{action.node}, *before, *after);
    for (const Property<P>& property : properties_) {
      if (property.kind != PropertyKind::transition || !constrains_step_from(property, step.before))
        continue;
      if (auto reason = property.check_step(step)) {
        violation_ = Violation{property.name, *reason, 0, {}};
        violation_trail_ = record_trail(parent, action);
        ++result_.states_explored;
        return true;
      }
    }
    return false;
  }

  // Records a successor: returns its trail index if it is new, or none if seen before.
  std::optional<std::uint32_t> discover(World<P>& world, std::uint32_t parent,
                                        const Action& action) {
    return discover(world, stepper_.fingerprint(world), parent, action);
  }

  // As above, for a successor whose fingerprint is `fingerprint`.
  std::optional<std::uint32_t> discover(World<P>& world, std::uint64_t fingerprint,
                                        std::uint32_t parent, const Action& action) {
    ++result_.states_explored;
    if (!discover(world, fingerprint)) return std::nullopt;
    return record_trail(parent, action);
  }

  // Appends the step `action` from trail entry `parent`; returns the new entry's index.
  std::uint32_t record_trail(std::uint32_t parent, const Action& action) {
    FL_ASSERT(trail_.size() < kNoParent, "more states than a 32-bit trail index holds");
    trail_.push_back(TrailEntry{parent, action});
    return static_cast<std::uint32_t>(trail_.size() - 1);
  }

  // Whether `world` (whose fingerprint is `fingerprint`) is new: inserts it into the visited set.
  // With --exact its key names interned slots, so the world is kept first.
  bool discover(World<P>& world, std::uint64_t fingerprint) {
    return visited_.insert(fingerprint, [&](std::vector<std::uint64_t>& key) {
      stepper_.keep(world);
      world_exact_key(world, key);
    });
  }

  // Breadth-first search. Guided (Strategy::guided) keeps two queues: a state whose combination
  // of node states (its view) or whose client history no state before it had goes to `fresh`,
  // every other to `stale`, and `stale` is expanded only while `fresh` is empty. Every
  // reachable state is still expanded (exhaustive when it ends unbounded), but schedules that
  // keep changing what the nodes know come first, as a greybox fuzzer prefers inputs with new
  // coverage; the counterexample is short but not necessarily shortest. Plain bfs uses `fresh`
  // alone, so it visits states in order of depth.
  void bfs(World<P> initial, bool guided) {
    std::deque<Queued> fresh;
    std::deque<Queued> stale;
    fresh.push_back(Queued{std::move(initial), 0, 0});
    while (!fresh.empty() || !stale.empty()) {
      if (!workers_.empty()) {
        if (expand_batch(guided ? &stale : nullptr, fresh, stale)) return;
        continue;
      }
      std::deque<Queued>& from = fresh.empty() ? stale : fresh;
      Queued current = std::move(from.front());
      from.pop_front();
      stepper_.actions(current.world, actions_);
      if (options_.depth_max != 0 && current.depth >= options_.depth_max) {
        if (!actions_.empty()) result_.bound = Bound::depth;
        continue;
      }
      if (expand(current, guided ? &stale : nullptr, fresh)) return;
    }
  }

  // Builds every successor of `current` (actions_, in order) and settles each: its transition
  // checks, its visited-set insert, and for a new state its checks and its place in a queue
  // (`stale`, when guided and its view is not new; else `fresh`). Successors are built (in
  // reused `ahead_` worlds: most successors were seen before, and only new ones are copied) and
  // their visited-set entries prefetched `lag` successors before they are settled, so the probes'
  // cache misses overlap steps. When steps keep their slots interned (the step memo:
  // stepper.h) every successor is built first; otherwise a successor lives in the stepper's
  // scratch bank i % 2 until the step after next, so the lag is one. Settling stays in action
  // order, so counts, queues and counterexamples are those of settling each right after
  // building it. Returns true when the search ends (a violation or a budget).
  bool expand(const Queued& current, std::deque<Queued>* stale, std::deque<Queued>& fresh) {
    const std::size_t count = actions_.size();
    const std::size_t lag = stepper_.steps_keep_slots() ? count : 1;
    const std::size_t ring = std::min(count, lag + 1);
    if (ahead_.size() < ring) ahead_.resize(ring);
    for (std::size_t i = 0; i < count + lag; ++i) {
      if (i < count) {
        Ahead& built = ahead_[i % ring];
        built.world = current.world;
        stepper_.use_scratch_bank(static_cast<std::uint32_t>(i % 2));
        stepper_.step_scratch(built.world, actions_[i]);
        built.fingerprint = stepper_.fingerprint(built.world);
        visited_.prefetch(built.fingerprint);
      }
      if (i < lag || i - lag >= count) continue;
      Ahead& next = ahead_[(i - lag) % ring];
      if (settle(current, actions_[i - lag], next.world, next.fingerprint, stale, fresh))
        return true;
    }
    return false;
  }

  // One successor `next` of `current` by `action`, as expand() describes.
  bool settle(const Queued& current, const Action& action, World<P>& next,
              std::uint64_t fingerprint, std::deque<Queued>* stale, std::deque<Queued>& fresh) {
    if (check_transition(action, current.world.slots[action.node], next.slots[action.node],
                         current.trail)) {
      note_depth(current.depth + 1);
      return true;
    }
    const auto id = discover(next, fingerprint, current.trail, action);
    if (!id) return false;
    return admit(current, next, *id, stale, fresh, 0);
  }

  // A new successor `next` of `current`, trail entry `id`: kept, checked and queued. `pending`
  // counts states taken off the queues but not yet expanded (a parallel batch), so the frontier
  // peak is the one a single worker has.
  bool admit(const Queued& current, World<P>& next, std::uint32_t id, std::deque<Queued>* stale,
             std::deque<Queued>& fresh, std::size_t pending) {
    stepper_.keep(next);
    note_depth(current.depth + 1);
    if (check(next, id)) return true;
    if (budget_reached()) return true;
    (stale != nullptr && !last_view_new_ ? *stale : fresh)
        .push_back(Queued{next, id, current.depth + 1});
    result_.frontier_peak =
        std::max<std::uint64_t>(result_.frontier_peak, fresh.size() + stale_size(stale) + pending);
    return false;
  }

  // ---- parallel breadth-first search (SearchOptions::workers) ----------------------------

  // What a worker learned of one successor: enough to settle it without building it again,
  // unless it is new (or its step is new to the transition properties).
  struct Built {
    std::uint64_t fingerprint;
    std::uint64_t after_key;  // the acting node's slot key after the step
    bool unchanged;           // the step left that slot as it was (the same interned slot)
  };
  struct Expansion {
    std::vector<Action> actions;
    std::vector<Built> successors;  // one per action, unless the state is at depth_max
  };
  struct Worker {
    Worker(const Model<P>& model, bool step_memo) : stepper(model, step_memo) {}
    Stepper<P> stepper;
    World<P> next;
  };
  static constexpr std::size_t kBatchStates = 512;

  // Takes up to kBatchStates states off the queue bfs would take from next, has the workers
  // (this explorer's stepper as worker 0) build their successors at once, then settles them in
  // queue order. From `stale` (guided, `fresh` empty), a single worker would turn back to
  // `fresh` as soon as a state lands there: the rest of the batch goes back, unsettled.
  bool expand_batch(std::deque<Queued>* guided_stale, std::deque<Queued>& fresh,
                    std::deque<Queued>& stale) {
    const bool from_stale = fresh.empty();
    std::deque<Queued>& from = from_stale ? stale : fresh;
    batch_.clear();
    while (!from.empty() && batch_.size() < kBatchStates) {
      batch_.push_back(std::move(from.front()));
      from.pop_front();
    }
    build_batch();
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      if (from_stale && !fresh.empty()) {
        for (std::size_t j = batch_.size(); j-- > i;) stale.push_front(std::move(batch_[j]));
        return false;
      }
      if (settle_built(i, guided_stale, fresh)) return true;
    }
    return false;
  }

  void build_batch() {
    expansions_.resize(std::max(expansions_.size(), batch_.size()));
    const auto count = static_cast<std::uint32_t>(workers_.size() + 1);
    options_.run_tasks(count, [&](std::uint32_t w) {
      FL_ASSERT(w < count, "run_tasks: no such worker");
      for (std::size_t i = w; i < batch_.size(); i += count)
        build_one(w == 0 ? stepper_ : workers_[w - 1].stepper,
                  w == 0 ? next_ : workers_[w - 1].next, batch_[i], expansions_[i]);
    });
  }

  // Successors of one queued state, built in `stepper`'s scratch (its slots stay there: only
  // their fingerprints and keys leave).
  void build_one(Stepper<P>& stepper, World<P>& next, const Queued& current, Expansion& out) {
    stepper.use_scratch_bank(0);
    stepper.actions(current.world, out.actions);
    out.successors.clear();
    if (options_.depth_max != 0 && current.depth >= options_.depth_max) return;
    for (const Action& action : out.actions) {
      next = current.world;
      stepper.step_scratch(next, action);
      const NodeSlot<P>* before = current.world.slots[action.node];
      const NodeSlot<P>* after = next.slots[action.node];
      out.successors.push_back(Built{stepper.fingerprint(next), after->key, before == after});
    }
  }

  // Settles the successors of batch_[i] in action order, as settle() does, building a successor
  // again (in this explorer's stepper) only when it is new or its step is new.
  bool settle_built(std::size_t i, std::deque<Queued>* stale, std::deque<Queued>& fresh) {
    const Queued& current = batch_[i];
    const Expansion& expansion = expansions_[i];
    if (expansion.successors.size() != expansion.actions.size()) {  // at depth_max
      if (!expansion.actions.empty()) result_.bound = Bound::depth;
      return false;
    }
    const std::size_t pending = batch_.size() - i - 1;
    for (std::size_t k = 0; k < expansion.actions.size(); ++k) {
      const Action& action = expansion.actions[k];
      const Built& built = expansion.successors[k];
      const NodeSlot<P>* before = current.world.slots[action.node];
      std::optional<std::reference_wrapper<World<P>>> next;
      if (step_is_new(action, before, built.unchanged, built.after_key, nullptr)) {
        next = rebuild(current, action, built);
        if (transition_fails(action, before, next->get().slots[action.node], current.trail)) {
          note_depth(current.depth + 1);
          return true;
        }
      }
      ++result_.states_explored;
      if (!visited_.insert_fingerprint(built.fingerprint)) continue;
      if (!next) next = rebuild(current, action, built);
      const std::uint32_t id = record_trail(current.trail, action);
      if (admit(current, next->get(), id, stale, fresh, pending)) return true;
    }
    return false;
  }

  // A successor a worker built, built again here: the same pure step, so the same fingerprint.
  World<P>& rebuild(const Queued& current, const Action& action, const Built& built) {
    stepper_.use_scratch_bank(0);
    next_ = current.world;
    stepper_.step_scratch(next_, action);
    FL_ASSERT(stepper_.fingerprint(next_) == built.fingerprint,
              "parallel search: a step gave another state when built again");
    return next_;
  }

  static std::size_t stale_size(const std::deque<Queued>* stale) {
    return stale == nullptr ? 0 : stale->size();
  }

  void dfs(World<P> initial) {
    struct Frame {
      World<P> world;
      std::uint32_t trail;
      std::vector<Action> actions;
      std::size_t next = 0;
    };
    std::vector<Frame> stack;
    stack.push_back(Frame{std::move(initial), 0, {}, 0});
    stepper_.actions(stack.back().world, stack.back().actions);
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.next >= top.actions.size()) {
        stack.pop_back();
        continue;
      }
      const Action action = top.actions[top.next++];
      World<P>& next = next_;  // as in bfs: scratch first, a copy only for a new state
      next = top.world;
      stepper_.step_scratch(next, action);
      const auto depth = static_cast<std::uint32_t>(stack.size());
      if (check_transition(action, top.world.slots[action.node], next.slots[action.node],
                           top.trail)) {
        note_depth(depth);
        return;
      }
      const auto id = discover(next, top.trail, action);
      if (!id) continue;
      stepper_.keep(next);
      note_depth(depth);
      if (check(next, *id)) return;
      if (budget_reached()) return;
      Frame frame{next, *id, {}, 0};
      stepper_.actions(frame.world, frame.actions);
      if (options_.depth_max != 0 && depth >= options_.depth_max) {
        if (!frame.actions.empty()) result_.bound = Bound::depth;
        continue;
      }
      stack.push_back(std::move(frame));
      result_.frontier_peak = std::max<std::uint64_t>(result_.frontier_peak, stack.size());
    }
  }

  void random(World<P> initial) {
    Rng rng = Rng(options_.seed).fork("explore");
    const std::uint32_t depth_max = options_.depth_max != 0 ? options_.depth_max : 100;
    const std::uint64_t states_max = options_.states_max != 0 ? options_.states_max : 100'000;
    // Walks stop after this many consecutive walks find nothing new (the space looks covered).
    std::uint32_t stale_walks = 0;
    while (visited_.size() < states_max && stale_walks < 1000) {
      World<P> world = initial;
      std::uint32_t trail = 0;
      bool found_new = false;
      for (std::uint32_t depth = 1; depth <= depth_max; ++depth) {
        stepper_.actions(world, actions_);
        if (actions_.empty()) break;
        const Action action = actions_[rng.below(actions_.size())];
        const NodeSlot<P>* before = world.slots[action.node];
        stepper_.step(world, action);
        if (check_transition(action, before, world.slots[action.node], trail)) {
          note_depth(depth);
          return;
        }
        ++result_.states_explored;
        if (!discover(world, stepper_.fingerprint(world))) {
          // Seen: keep walking, but the trail of this walk is not recorded past here, so a
          // violation further on is reported from a fresh trail entry chain below.
          trail = record_trail(trail, action);
          continue;
        }
        found_new = true;
        trail = record_trail(trail, action);
        note_depth(depth);
        if (check(world, trail)) return;
        if (options_.limits != nullptr && budget_reached()) return;
        if (depth == depth_max) result_.bound = Bound::depth;
      }
      stale_walks = found_new ? 0 : stale_walks + 1;
    }
    if (visited_.size() >= states_max) result_.bound = Bound::states;
  }

  void note_depth(std::uint32_t depth) {
    result_.depth_reached = std::max(result_.depth_reached, depth);
  }

  SearchResult finish() {
    result_.states_unique = visited_.size();
    result_.histories_checked = histories_checked_.size();
    result_.steps_checked = steps_checked_.size();
    result_.visited_bytes = visited_.bytes() + views_checked_.bytes() + histories_checked_.bytes() +
                            steps_checked_.bytes() + trail_.capacity() * sizeof(TrailEntry);
    if (violation_) {
      std::vector<Action> actions;
      for (std::uint32_t at = violation_trail_; at != 0; at = trail_[at].parent)
        actions.push_back(trail_[at].action);
      std::reverse(actions.begin(), actions.end());
      violation_->initial_state = world_fingerprint(stepper_.initial());
      violation_->steps = trace_actions(model_, actions);
      result_.violation = std::move(violation_);
    } else {
      result_.exhausted = result_.bound == Bound::none && options_.strategy != Strategy::random;
    }
    for (std::size_t i = 0; i < properties_.size(); ++i) {
      if (properties_[i].kind == PropertyKind::sometimes && !reached_[i])
        result_.sometimes_unreached.push_back(properties_[i].name);
      if (properties_[i].kind == PropertyKind::eventually)
        result_.eventually_unchecked.push_back(properties_[i].name);
    }
    return std::move(result_);
  }

  const Model<P>& model_;
  const std::vector<Property<P>>& properties_;
  SearchOptions options_;
  Stepper<P> stepper_;
  SeenSet visited_;
  SeenSet views_checked_;      // slots_fingerprint of every state whose properties were evaluated
  SeenSet histories_checked_;  // key of every client history the history checks passed
  SeenSet steps_checked_;  // step_fingerprint of every step whose transition properties were run
  bool has_transitions_ = false;
  ViewBuffer<P> view_;
  std::vector<TrailEntry> trail_;
  std::vector<Action> actions_;
  // The successors being built (bfs: one per scratch bank; dfs: the first), reused so their
  // buffers are kept.
  World<P> next_;  // the parallel search's scratch successor (worker 0)
  struct Ahead {   // a successor built ahead of its settling (expand())
    World<P> world;
    std::uint64_t fingerprint = 0;
  };
  std::vector<Ahead> ahead_;
  std::deque<Worker> workers_;  // parallel search: workers 1 .. n - 1 (stepper_ is worker 0)
  std::vector<Queued> batch_;
  std::vector<Expansion> expansions_;  // per batch_ entry
  std::vector<bool> reached_;
  std::optional<Violation> violation_;
  std::uint32_t violation_trail_ = 0;
  bool last_view_new_ = false;  // whether the last check() saw a new combination of node states
  SearchResult result_;
};

template <class P>
SearchResult explore(const Model<P>& model, const std::vector<Property<P>>& properties,
                     SearchOptions options) {
  Explorer<P> explorer(model, properties, options);
  return explorer.run();
}

}  // namespace faultline::explore
