// World<P>: one state of the model checker, the actions that lead out of it, and the one step
// function that both the explorer and the counterexample replayer use.
//
// A world state is every node's volatile value (none while crashed), every node's durable value,
// the in-flight messages as a multiset, the armed timers of every node as a set, and the fault
// budget used so far (crashes, drops, duplicates). Per-node parts live in immutable NodeSlots and
// messages in immutable InFlights, both interned by the Stepper, so a World is arrays of pointers
// and a successor builds only the slot its action changed (in a reused scratch slot, stored
// only when the state is new). Time is abstracted away: an armed timer may fire at any moment,
// in any order with the other timers and deliveries (an over-approximation of the simulator,
// which fires a timer only after its sampled delay).
//
// Invariants (kept by the Driver below, checked by FL_ASSERT):
//   - messages are sorted by (from, to, key) where key is the message's fingerprint; equal keys
//     are copies of one message, and at most `copies_max` copies are ever in flight (a send of a
//     further copy is absorbed: the network lost it, which is within the fault model);
//   - timers[n] is sorted by key and holds each Timer at most once, so re-arming an armed timer
//     leaves the state unchanged (the simulator re-arms by equality too);
//   - a down node has no Node value and no timers.
// Effects go through faultline::apply() (sim/core/apply.h), exactly as in the simulator.
//
// Client history (opt-in, Model::client_history): the world also carries the client-visible
// events of its path (each model input when it first arrives, each reply output), as Stateright
// carries a history for its linearizability tester, so history checks (linearizable) run on
// every state. A history is part of the state: two paths that leave the nodes alike but told
// clients different things are different states.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sim/core/apply.h"
#include "sim/core/assert.h"
#include "sim/core/check_suite.h"
#include "sim/core/describe.h"
#include "sim/core/fingerprint.h"
#include "sim/core/ids.h"
#include "sim/core/outbox.h"
#include "sim/core/property.h"

namespace faultline::explore {

template <class P>
struct InFlight {
  NodeId from;
  NodeId to;
  std::uint64_t key = 0;  // fingerprint(message): the canonical order and the copy identity
  typename P::Message message;
  std::uint64_t word = 0;  // (from, to, key) hashed to one word: its part of the world fingerprint

  static InFlight make(NodeId from, NodeId to, std::uint64_t key,
                       const typename P::Message& message) {
    static_assert(std::endian::native == std::endian::little,
                  "fingerprints hash little-endian words");
    const std::uint64_t words[2] = {(static_cast<std::uint64_t>(from.value) << 32) | to.value, key};
    return InFlight{from, to, key, message, XXH3_64bits(words, sizeof(words))};
  }
};

template <class P>
struct ArmedTimer {
  std::uint64_t key = 0;  // fingerprint(timer)
  typename P::Timer timer;
};

// Everything one node owns. Immutable once in a World: steps copy the one slot they change, so
// successor states (and the BFS queue) share the slots of the nodes an action did not touch.
// Slots are interned by the Stepper (one stored copy per distinct slot), so equal pointers mean
// equal slots.
template <class P>
struct NodeSlot {
  std::optional<typename P::Node> node;             // none: the node is down
  std::shared_ptr<const typename P::Durable> disk;  // null: nothing persisted yet; shared, as it
                                                    // changes far less often than the node
  std::uint64_t disk_key = 0;                       // fingerprint(*disk), set by persist
  std::vector<ArmedTimer<P>> timers;                // sorted by key, unique
  std::uint64_t key = 0;                            // fingerprint of the above (see seal())
};

// One client-visible event of a path, and (through `parent`) every one before it: a persistent
// list, interned by the Stepper, so paths with equal histories share one pointer and a world
// keeps one word for its history. `key` hashes the whole list; `length` counts its events.
template <class P>
struct HistoryEvent {
  const HistoryEvent* parent = nullptr;
  std::uint64_t key = 0;
  std::uint32_t length = 0;
  NodeId node;
  std::optional<std::uint32_t> input;  // an invocation: the model input's index; else an output
  std::optional<typename P::Output> output;
};

// The slots and messages a World points at are interned by the Stepper that built it and live
// as long as it does: a World is a few arrays of pointers, cheap to copy and to queue.
template <class P>
struct World {
  std::vector<const NodeSlot<P>*> slots;
  std::vector<const InFlight<P>*> messages;  // sorted by (from, to, key)
  std::uint32_t crashes = 0;
  std::uint32_t timers = 0;  // timer firings so far (counted only when Model::timers_max is set)
  std::uint32_t drops = 0;
  std::uint32_t duplicates = 0;
  std::vector<std::uint8_t> inputs_done;     // per model input: 1 once delivered
  const HistoryEvent<P>* history = nullptr;  // client history (Model::client_history), newest last

  bool up(std::uint32_t node) const { return slots[node]->node.has_value(); }
};

// Contiguous copies of a world's nodes and disks, as ClusterView needs. Refreshes only the
// slots that changed since the last fill (slots are interned, so a pointer names one value; use
// one ViewBuffer with the worlds of one Stepper).
template <class P>
class ViewBuffer {
 public:
  ClusterView<P> fill(const World<P>& world) {
    const std::size_t n = world.slots.size();
    if (source_.size() != n) {
      source_.assign(n, nullptr);
      nodes_.assign(n, std::nullopt);
      disks_.assign(n, std::nullopt);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (source_[i] == world.slots[i]) continue;
      source_[i] = world.slots[i];
      nodes_[i] = source_[i]->node;
      if (source_[i]->disk)
        disks_[i] = *source_[i]->disk;
      else
        disks_[i].reset();
    }
    return ClusterView<P>{std::span<const std::optional<typename P::Node>>(nodes_),
                          std::span<const std::optional<typename P::Durable>>(disks_), Time{}};
  }

 private:
  std::vector<const NodeSlot<P>*> source_;
  std::vector<std::optional<typename P::Node>> nodes_;
  std::vector<std::optional<typename P::Durable>> disks_;
};

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

// The parameters that define the transition system (everything except search bounds).
template <class P>
struct Model {
  typename P::Config config;
  std::uint32_t node_count = 0;
  // Inputs every node receives right after on_start, at the first start and after each restart
  // (the environment's standing observations, e.g. 2PC's health reports).
  std::vector<std::vector<typename P::Input>> boot_inputs;
  // Inputs delivered exactly once each, at any point, as actions (the workload's requests).
  std::vector<std::pair<NodeId, typename P::Input>> model_inputs;
  std::uint32_t crashes_max = 0;
  // Timer firings per path; 0: unbounded. Time is abstract, so an armed timer may always fire:
  // for protocols whose timers never stop (Raft's heartbeats and elections) this is the budget
  // that makes deep schedules reachable (e.g. `--timers-max 4`: four elections, no heartbeats).
  std::uint32_t timers_max = 0;
  std::uint32_t drops_max = 0;       // 0: the network never drops
  std::uint32_t duplicates_max = 0;  // 0: the network never duplicates
  std::uint32_t copies_max = 1;      // identical messages in flight at once (>= 1)
  // false: a delivery consumes the message (the multiset network). true: every message ever sent
  // stays deliverable any number of times (TLA+'s "msgs" set): duplication and reordering without
  // bound, loss as never delivering; a much smaller space for exhaustive runs.
  bool sent_set = false;

  // Symmetry reduction (opt-in; `faultline check --symmetry`). The nodes in `nodes` are
  // interchangeable: renaming them by any permutation maps a reachable state to a reachable
  // state and changes no property's verdict (2PC's participants, with the same boot inputs and
  // no model inputs). The explorer then keeps one state per orbit, deduplicating by the least
  // fingerprint over all renamings of a state (TLC's symmetry sets, Stateright's symmetry). The
  // states it keeps are real, unrenamed states, so counterexamples replay as they are.
  // `rename(node, ids)` is `node` with each node id i replaced by ids[i]; messages, timers and
  // durables must not name nodes (the explorer renames the senders and receivers of messages).
  struct Symmetry {
    std::vector<std::uint32_t> nodes;
    std::function<typename P::Node(const typename P::Node&, std::span<const NodeId>)> rename;
  };
  std::optional<Symmetry> symmetry;

  // The client history (opt-in; see the header). A model input is a client call: its first
  // arrival at any node is the invocation, and a later input equal to it is the same call
  // offered to another node (a client retrying elsewhere), not a new one. `records` picks the
  // outputs that are replies to clients; `client_of` names the client of an input. `checks`
  // run on the history of every state whose history is new, with the event order as time;
  // only checks that hold of every prefix of a correct history belong here (linearizable does;
  // a liveness check does not).
  struct ClientHistory {
    std::function<bool(const typename P::Output&)> records;
    std::function<ClientId(const typename P::Input&)> client_of;
    std::vector<HistoryCheck<P>> checks;
  };
  std::optional<ClientHistory> client_history;
};

// The History<P> (sim/core/history.h) a world's history list stands for: event k (from 1)
// happens at time k ns, so real-time order is the order of the path.
template <class P>
History<P> history_of(const Model<P>& model, const HistoryEvent<P>* newest) {
  std::vector<const HistoryEvent<P>*> events;
  for (const HistoryEvent<P>* e = newest; e != nullptr; e = e->parent) events.push_back(e);
  std::reverse(events.begin(), events.end());
  History<P> history;
  for (const HistoryEvent<P>* e : events) {
    const Time at{static_cast<std::int64_t>(e->length)};
    if (e->input) {
      const typename P::Input& input = model.model_inputs[*e->input].second;
      history.invocations.push_back(
          Invocation<P>{at, e->node, model.client_history->client_of(input), input, true});
    } else {
      history.emissions.push_back(Emission<P>{at, e->node, *e->output});
    }
  }
  return history;
}

// The first of `checks` that fails on the history (name and why), or none. An inconclusive
// verdict is not a violation (as in the simulator).
template <class P>
std::optional<std::pair<std::string, std::string>> failed_history_check(
    const Model<P>& model, const HistoryEvent<P>* newest, const ClusterView<P>& view) {
  if (!model.client_history || newest == nullptr) return std::nullopt;
  const History<P> history = history_of(model, newest);
  const std::vector<FaultRecord> faults;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < view.nodes.size(); ++i) names.push_back("n" + std::to_string(i));
  const Time end{static_cast<std::int64_t>(newest->length)};
  const RunRecord<P> record{history, view, faults, names, end, end};
  for (const HistoryCheck<P>& check : model.client_history->checks) {
    FL_ASSERT(!check.liveness, "a liveness check cannot judge a prefix of a run");
    if (auto failure = check.check(record); failure && !failure->inconclusive)
      return std::make_pair(check.name, failure->reason);
  }
  return std::nullopt;
}

// The explorer's fingerprint sink. FingerprintSink streams into an XXH3 state, whose reset and
// digest cost more than hashing a short value; the values hashed on every step (a node's fields,
// a message, a timer) are short, so KeySink collects the bytes in a buffer and hashes them in
// one call, streaming only a value longer than the buffer. XXH3's one-shot and streaming forms
// agree on the same bytes, so key_of(v) == faultline::fingerprint(v) for every value.
class KeySink {
 public:
  void write(const void* data, std::size_t size) {
    if (streaming_ || used_ + size > sizeof(buffer_)) return stream(data, size);
    std::memcpy(buffer_ + used_, data, size);
    used_ += size;
  }
  [[gnu::always_inline]] void write_block16(const std::uint8_t (&block)[16], std::size_t size) {
    if (streaming_ || used_ + 16 > sizeof(buffer_)) return stream(block, size);
    std::memcpy(buffer_ + used_, block, 16);
    used_ += size;
  }
  [[gnu::always_inline]] void write_byte(std::uint8_t b) {
    if (streaming_ || used_ == sizeof(buffer_)) return stream(&b, 1);
    buffer_[used_++] = b;
  }
  std::uint64_t digest() {
    if (!streaming_) return XXH3_64bits(buffer_, used_);
    return XXH3_64bits_digest(&state_);
  }

 private:
  void stream(const void* data, std::size_t size) {
    if (!streaming_) {
      streaming_ = true;
      XXH3_64bits_reset(&state_);
      XXH3_64bits_update(&state_, buffer_, used_);
    }
    XXH3_64bits_update(&state_, data, size);
  }
  std::uint8_t buffer_[512];
  std::size_t used_ = 0;
  bool streaming_ = false;
  XXH3_state_t state_;  // untouched unless a value outgrows the buffer
};

// A value that keeps its own fingerprint (equal to faultline::fingerprint(value)), computed when
// it was built, so hashing it again costs nothing: 2PC's Log, whose records every node copy
// shares. The explorer hashes such a value, as a Durable or as a field of a Node, by that key.
template <class T>
concept CachesFingerprint = requires(const T& value) {
  { value.cached_fingerprint() } -> std::same_as<std::uint64_t>;
};

// faultline::fingerprint(value): the cached one, or computed through KeySink.
template <class T>
std::uint64_t key_of(const T& value) {
  if constexpr (CachesFingerprint<T>) {
    return value.cached_fingerprint();
  } else {
    KeySink sink;
    faultline::encode(sink, value);
    return sink.digest();
  }
}

// Equality where the type has it; otherwise values whose keys (fingerprints) the caller already
// found equal count as equal.
template <class T>
bool same_value(const T& a, const T& b) {
  if constexpr (std::equality_comparable<T>)
    return a == b;
  else
    return true;
}

// Interning: one stored copy of each distinct value, found by its 64-bit key, so a value built
// again (a resent heartbeat, the same vote on another path, a node slot another state already
// has) costs no allocation and worlds can hold plain pointers. A key match is confirmed with
// `same`: slots compare by value, so two slots never merge on a key collision; messages by
// (from, to), their key being already their identity in the multiset. Lookup only (open
// addressing): the table's order is never observed. Values never move or die before the table.
template <class T>
class InternTable {
 public:
  InternTable() : index_(64, nullptr) {}

  template <class Same>
  const T* find(std::uint64_t key, Same&& same) const {
    const std::size_t mask = index_.size() - 1;
    for (std::size_t i = home(key, mask);; i = (i + 1) & mask) {
      const T* entry = index_[i];
      if (entry == nullptr) return nullptr;
      if (keys_[i] == key && same(*entry)) return entry;
    }
  }

  // The stored copy of `value` (whose key is `key`), adding it if new.
  template <class Same>
  const T* intern(std::uint64_t key, const T& value, Same&& same) {
    if (const T* found = find(key, same)) return found;
    return add(key, value);
  }

  // Stores `value`, which find() did not find.
  const T* add(std::uint64_t key, const T& value) {
    if ((storage_.size() + 1) * 2 > index_.size()) grow();
    storage_.push_back(value);
    place(index_, keys_, key, &storage_.back());
    return &storage_.back();
  }

  std::size_t size() const { return storage_.size(); }

 private:
  static std::size_t home(std::uint64_t key, std::size_t mask) {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> 17) & mask;
  }
  static void place(std::vector<const T*>& index, std::vector<std::uint64_t>& keys,
                    std::uint64_t key, const T* entry) {
    if (keys.size() != index.size()) keys.resize(index.size());
    const std::size_t mask = index.size() - 1;
    std::size_t i = home(key, mask);
    while (index[i] != nullptr) i = (i + 1) & mask;
    index[i] = entry;
    keys[i] = key;
  }
  void grow() {
    std::vector<const T*> index(index_.size() * 2, nullptr);
    std::vector<std::uint64_t> keys(index.size());
    for (std::size_t i = 0; i < index_.size(); ++i)
      if (index_[i] != nullptr) place(index, keys, keys_[i], index_[i]);
    index_.swap(index);
    keys_.swap(keys);
  }

  std::deque<T> storage_;        // stable addresses
  std::vector<const T*> index_;  // a power of two, at most half full
  std::vector<std::uint64_t> keys_ = std::vector<std::uint64_t>(64);  // the key of index_[i]
};

// Every message the stepper has seen sent: interned by (from, to, key), and the keys of recent
// messages by value. A protocol sends few distinct messages over and over (heartbeats, votes,
// retransmitted decisions), and comparing a message with the recent ones of its kind is cheaper
// than encoding and hashing it again; equal messages encode equally, so the key is the same.
template <class P>
class SentMessages {
 public:
  using Message = typename P::Message;

  std::uint64_t key(const Message& message) {
    if constexpr (!std::equality_comparable<Message>) {
      return key_of(message);
    } else {
      Recent& bucket = recent_[bucket_of(message)];
      for (std::size_t i = 0; i < bucket.used; ++i)
        if (bucket.entries[i].first == message) return bucket.entries[i].second;
      const std::uint64_t key = key_of(message);
      bucket.entries[bucket.next] = {message, key};  // replaces the oldest: round robin
      bucket.next = (bucket.next + 1) % kWays;
      bucket.used = std::max(bucket.used, bucket.next == 0 ? kWays : bucket.next);
      return key;
    }
  }

  InternTable<InFlight<P>> table;

 private:
  static constexpr std::size_t kBuckets = 16;
  static constexpr std::size_t kWays = 4;
  struct Recent {
    std::array<std::pair<Message, std::uint64_t>, kWays> entries{};
    std::size_t used = 0;
    std::size_t next = 0;
  };
  static std::size_t bucket_of(const Message& message) {
    if constexpr (is_variant<Message>::value)
      return message.index() % kBuckets;  // one kind per bucket
    else
      return 0;
  }
  std::array<Recent, kBuckets> recent_{};
};

// splitmix64's finalizer: a bijection on 64-bit words in which every output bit depends on
// every input bit.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

inline constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

// The client histories of a Stepper's worlds: appends an event to a world's list, interning the
// result (equal histories: one pointer). Events name nodes, so a model with a client history
// has no symmetry reduction (the Stepper refuses the combination).
template <class P>
class HistoryLog {
 public:
  explicit HistoryLog(const Model<P>& model) : model_(model) {}

  // Model input `index` arrived at `node`: an invocation, unless an equal input (the same call,
  // offered to another node) is already in the history.
  void record_input(World<P>& world, NodeId node, std::uint32_t index) {
    if (!model_.client_history) return;
    const typename P::Input& input = model_.model_inputs[index].second;
    for (const HistoryEvent<P>* e = world.history; e != nullptr; e = e->parent)
      if (e->input && equal(model_.model_inputs[*e->input].second, input)) return;
    HistoryEvent<P> event;
    event.node = node;
    event.input = index;
    append(world, event, mix64(key_of(input) ^ 0x696e766f6b65ULL));
  }

  void record_output(World<P>& world, NodeId node, const typename P::Output& output) {
    if (!model_.client_history || !model_.client_history->records(output)) return;
    HistoryEvent<P> event;
    event.node = node;
    event.output = output;
    append(world, event, mix64(key_of(output) ^ 0x7265706c79ULL));
  }

 private:
  // Equal values: by == where the type has it, else by fingerprint.
  template <class T>
  static bool equal(const T& a, const T& b) {
    if constexpr (std::equality_comparable<T>)
      return a == b;
    else
      return key_of(a) == key_of(b);
  }

  void append(World<P>& world, HistoryEvent<P>& event, std::uint64_t event_key) {
    event.parent = world.history;
    event.length = world.history == nullptr ? 1 : world.history->length + 1;
    const std::uint64_t parent_key = world.history == nullptr ? 0 : world.history->key;
    event.key = mix64(parent_key * kGolden + event_key + event.node.value);
    const auto same = [&](const HistoryEvent<P>& e) {
      return e.parent == event.parent && e.node == event.node && e.input == event.input &&
             e.output.has_value() == event.output.has_value() &&
             (!e.output || equal(*e.output, *event.output));
    };
    world.history = events_.intern(event.key, event, same);
  }

  const Model<P>& model_;
  InternTable<HistoryEvent<P>> events_;
};

// Applies one handler's effects to a world (the apply() driver hooks). Only the acting node's
// slot (already copied by the caller) and the message multiset change.
template <class P>
struct Driver {
  World<P>& world;
  NodeSlot<P>& slot;
  NodeId acting;
  std::uint32_t copies_max;
  SentMessages<P>& sent;   // where sent messages are interned
  HistoryLog<P>& history;  // where client replies are recorded

  void persist(NodeId node, const typename P::Durable& durable) {
    FL_ASSERT(node == acting, "a node persists only its own state");
    slot.disk = std::make_shared<const typename P::Durable>(durable);
    slot.disk_key = key_of(durable);
  }
  void set_timer(NodeId node, const typename P::Timer& timer, DurationRange) {
    FL_ASSERT(node == acting, "a node arms only its own timers");
    const std::uint64_t key = key_of(timer);
    auto it = std::lower_bound(slot.timers.begin(), slot.timers.end(), key,
                               [](const ArmedTimer<P>& t, std::uint64_t k) { return t.key < k; });
    if (it != slot.timers.end() && it->key == key)
      return;  // already armed: re-arming changes nothing
    slot.timers.insert(it, ArmedTimer<P>{key, timer});
  }
  void cancel_timer(NodeId node, const typename P::Timer& timer) {
    FL_ASSERT(node == acting, "a node cancels only its own timers");
    const std::uint64_t key = key_of(timer);
    std::erase_if(slot.timers, [&](const ArmedTimer<P>& t) { return t.key == key; });
  }
  void send(NodeId from, NodeId to, const typename P::Message& message) {
    FL_ASSERT(to.value < world.slots.size(), "message addressed to a node that does not exist");
    const std::uint64_t key = sent.key(message);
    const auto at = insert_position(world, copies_max, from, to, key);
    if (!at) return;  // absorbed (see header)
    // (from, to, key) is the message's identity in the multiset (equal keys are copies), so it
    // is its identity here too.
    const auto same = [&](const InFlight<P>& m) { return m.from == from && m.to == to; };
    const InFlight<P>* item = sent.table.find(key, same);
    if (item == nullptr) item = sent.table.add(key, InFlight<P>::make(from, to, key, message));
    world.messages.insert(world.messages.begin() + static_cast<std::ptrdiff_t>(*at), item);
  }
  void emit(NodeId node, const typename P::Output& output) {
    history.record_output(world, node, output);
  }

  // Where a message (from, to, key) goes in the sorted multiset (after its copies), or none when
  // `copies_max` copies are already in flight and the send is absorbed.
  static std::optional<std::size_t> insert_position(const World<P>& world, std::uint32_t copies_max,
                                                    NodeId from, NodeId to, std::uint64_t key) {
    const auto& messages = world.messages;
    const auto ends = std::tie(from, to, key);
    const auto first = std::lower_bound(
        messages.begin(), messages.end(), ends,
        [](const auto& m, const auto& e) { return std::tie(m->from, m->to, m->key) < e; });
    auto last = first;
    while (last != messages.end() && (*last)->key == key && (*last)->from == from &&
           (*last)->to == to)
      ++last;
    if (static_cast<std::uint32_t>(last - first) >= copies_max) return std::nullopt;
    return static_cast<std::size_t>(last - messages.begin());
  }

  static void insert_message(World<P>& world, std::uint32_t copies_max, const InFlight<P>* item) {
    const auto at = insert_position(world, copies_max, item->from, item->to, item->key);
    if (!at) return;  // absorbed (see header)
    world.messages.insert(world.messages.begin() + static_cast<std::ptrdiff_t>(*at), item);
  }
};

// Fingerprint keys are already uniform 64-bit hashes: hash their 8 bytes (little-endian, so the
// value is the same on every platform) rather than varint-encoding them.
template <class Sink>
[[gnu::always_inline]] inline void write_key(Sink& sink, std::uint64_t key) {
  static_assert(std::endian::native == std::endian::little,
                "keys are hashed as little-endian bytes");
  std::uint8_t block[16] = {};
  std::memcpy(block, &key, sizeof(key));
  sink.write_block16(block, 8);
}

// Hashes a Node's fields for its slot key: each field by its encoding, or by its cached
// fingerprint when it keeps one (a long log is then 8 bytes, not every record re-encoded).
template <class Sink>
struct SealVisit {
  Sink& sink;
  template <class T>
  void operator()(std::string_view, const T& field) const {
    if constexpr (CachesFingerprint<T>)
      write_key(sink, field.cached_fingerprint());
    else
      faultline::encode(sink, field);
  }
};

// Computes a slot's key from its contents; called whenever a step changed the slot.
template <class P>
void seal(NodeSlot<P>& slot) {
  KeySink sink;
  sink.write_byte(slot.node ? 1 : 0);
  static_assert(HasFields<typename P::Node>,
                "explore: the Node needs a field list (its volatile state)");
  if (slot.node) P::Node::fields(*slot.node, SealVisit<KeySink>{sink});
  sink.write_byte(slot.disk ? 1 : 0);
  write_key(sink, slot.disk_key);
  write_varint(sink, slot.timers.size());
  for (const auto& t : slot.timers) write_key(sink, t.key);
  slot.key = sink.digest();
}

// The term of a slot whose key is `key` at node `node`.
inline std::uint64_t slot_term(std::uint64_t key, std::uint32_t node) {
  return mix64(key + (node + std::uint64_t{1}) * kGolden);
}

// The terms that name no node: the budgets used and the inputs delivered. A zero counter adds
// nothing (its term is 0), so a fault-free search pays nothing for them.
template <class P>
std::uint64_t budget_terms(const World<P>& world) {
  const auto term = [](std::uint64_t count, std::uint64_t salt) {
    return count == 0 ? 0 : mix64(count ^ salt);
  };
  std::uint64_t sum = term(world.crashes, 0x6372617368657321ULL);  // distinct salts: a crash and a
  sum += term(world.drops, 0x64726f7070656421ULL);                 // drop are different states
  sum += term(world.timers, 0x74696d6572732121ULL);
  sum += term(world.duplicates, 0x6475706c69636174ULL);
  for (std::size_t j = 0; j < world.inputs_done.size(); ++j)
    if (world.inputs_done[j] != 0) sum += mix64((j + 1) * kGolden ^ 0x696e707574646f6eULL);
  if (world.history != nullptr) sum += mix64(world.history->key ^ 0x686973746f727921ULL);
  return sum;
}

// The world fingerprint: a sum (mod 2^64) of one pseudo-random term per part of the state,
// mixed once at the end. Each slot's key, tagged with its node; each in-flight message's word
// (its sender, receiver and key, hashed when it was interned), once per copy, so the sum is a
// multiset hash that needs no order; each budget counter and each delivered input, salted.
// The terms are already hashes, so this costs a few instructions per term where hashing the
// whole state again would cost hundreds; two different states collide with probability about
// 2^-64, as with any 64-bit fingerprint (README.md, "What a state is").
template <class P>
std::uint64_t world_fingerprint(const World<P>& world) {
  std::uint64_t sum = budget_terms(world);
  for (std::uint32_t i = 0; i < world.slots.size(); ++i) sum += slot_term(world.slots[i]->key, i);
  for (const auto* m : world.messages) sum += m->word;
  return mix64(sum);
}

// The fingerprint of the nodes and disks alone (the slot keys; messages and budgets left out):
// what a ClusterView, and so every property, depends on. The explorer evaluates properties once
// per distinct value of it.
template <class P>
std::uint64_t slots_fingerprint(const World<P>& world) {
  std::uint64_t sum = 0;
  for (std::uint32_t i = 0; i < world.slots.size(); ++i) sum += slot_term(world.slots[i]->key, i);
  return mix64(sum);
}

// The fingerprint of node `node` stepping from a slot whose key is `before` to one whose key is
// `after`: what a transition property's verdict depends on (property.h). Order matters, as a
// step and its reverse are different steps.
inline std::uint64_t step_fingerprint(std::uint32_t node, std::uint64_t before,
                                      std::uint64_t after) {
  return mix64(slot_term(before, node) + mix64(after ^ 0x737465702d746f21ULL));
}

// The NodeStep a transition property sees for node `id` going from slot `before` to `after`
// (pointers into the slots: valid while they are).
template <class P>
NodeStep<P> node_step(NodeId id, const NodeSlot<P>& before, const NodeSlot<P>& after) {
  return NodeStep<P>{id,
                     before.node ? &*before.node : nullptr,
                     after.node ? &*after.node : nullptr,
                     before.disk.get(),
                     after.disk.get(),
                     Time{}};
}

// A memo from 64-bit keys to fixed-length runs of 64-bit words (symmetry: a slot's keys or a
// message's words under every renaming). Lookup only; its order is never observed.
class KeyMemo {
 public:
  const std::uint64_t* find(std::uint64_t key) const {
    if (index_.empty()) return nullptr;
    const std::size_t mask = index_.size() - 1;
    for (std::size_t i = home(key, mask);; i = (i + 1) & mask) {
      if (index_[i].second == 0) return nullptr;  // 0: empty (offsets are stored plus one)
      if (index_[i].first == key) return words_.data() + index_[i].second - 1;
    }
  }
  std::uint64_t* add(std::uint64_t key, std::size_t length) {
    if ((entries_ + 1) * 2 > index_.size()) grow();
    place(index_, key, words_.size() + 1);
    ++entries_;
    words_.resize(words_.size() + length);
    return words_.data() + words_.size() - length;
  }

 private:
  using Index = std::vector<std::pair<std::uint64_t, std::size_t>>;
  static std::size_t home(std::uint64_t key, std::size_t mask) {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> 17) & mask;
  }
  static void place(Index& index, std::uint64_t key, std::size_t offset) {
    const std::size_t mask = index.size() - 1;
    std::size_t i = home(key, mask);
    while (index[i].second != 0) i = (i + 1) & mask;
    index[i] = {key, offset};
  }
  void grow() {
    Index bigger(index_.empty() ? 64 : index_.size() * 2, {0, 0});
    for (const auto& entry : index_)
      if (entry.second != 0) place(bigger, entry.first, entry.second);
    index_.swap(bigger);
  }
  Index index_;
  std::vector<std::uint64_t> words_;
  std::size_t entries_ = 0;
};

// Runs handlers and applies their effects. Owns the interned slots and messages its worlds point
// at (a World must not outlive its Stepper), one scratch slot per node that a step writes the
// changed slot into, and the reused Outbox, so that a step which leads to a state seen before
// allocates nothing.
template <class P>
class Stepper {
 public:
  explicit Stepper(const Model<P>& model)
      : model_(model), history_(model), scratch_(model.node_count) {
    FL_ASSERT(model.node_count > 0, "a model needs nodes");
    FL_ASSERT(model.copies_max >= 1, "copies_max must be at least 1");
    FL_ASSERT(model.boot_inputs.empty() || model.boot_inputs.size() == model.node_count,
              "boot inputs per node");
    FL_ASSERT(!(model.symmetry && model.client_history),
              "a client history names nodes: no symmetry reduction with it");
    if (model.symmetry) renamings_ = all_renamings(model.node_count, model.symmetry->nodes);
  }

  // The fingerprint the explorer deduplicates states by: world_fingerprint(), or with symmetry
  // the least world fingerprint over every renaming of the interchangeable nodes.
  std::uint64_t fingerprint(const World<P>& world) {
    if (renamings_.empty()) return world_fingerprint(world);
    return symmetric_fingerprint(world);
  }

  const Model<P>& model() const { return model_; }

  // The initial state: every node constructed fresh and started in id order, then given its
  // boot inputs.
  World<P> initial() {
    World<P> world;
    const std::uint32_t n = model_.node_count;
    NodeSlot<P> empty;
    seal(empty);
    world.slots.assign(n, intern(empty));
    world.inputs_done.assign(model_.model_inputs.size(), 0);
    for (std::uint32_t i = 0; i < n; ++i) {
      NodeSlot<P>& slot = own(world, i);
      start(world, slot, NodeId{i});
      seal(slot);
    }
    keep(world);
    return world;
  }

  // Every action enabled in `world`, in a fixed order (the order BFS tries them).
  void actions(const World<P>& world, std::vector<Action>& out) const {
    out.clear();
    const auto& messages = world.messages;
    const auto distinct = [&](std::uint32_t i) {
      return i == 0 || !same_message(*messages[i - 1], *messages[i]);
    };
    for (std::uint32_t i = 0; i < messages.size(); ++i)
      if (distinct(i))
        out.push_back(
            Action{ActionKind::deliver, messages[i]->to.value, i});  // copies lead to one state
    if (world.drops < model_.drops_max)
      for (std::uint32_t i = 0; i < messages.size(); ++i)
        if (distinct(i)) out.push_back(Action{ActionKind::drop, messages[i]->to.value, i});
    if (world.duplicates < model_.duplicates_max)
      for (std::uint32_t i = 0; i < messages.size(); ++i)
        if (distinct(i)) out.push_back(Action{ActionKind::duplicate, messages[i]->to.value, i});
    if (model_.timers_max == 0 || world.timers < model_.timers_max)
      for (std::uint32_t n = 0; n < world.slots.size(); ++n)
        for (std::uint32_t t = 0; t < world.slots[n]->timers.size(); ++t)
          out.push_back(Action{ActionKind::timer, n, t});
    for (std::uint32_t j = 0; j < model_.model_inputs.size(); ++j)
      if (world.inputs_done[j] == 0 && world.up(model_.model_inputs[j].first.value))
        out.push_back(Action{ActionKind::input, model_.model_inputs[j].first.value, j});
    if (world.crashes < model_.crashes_max)
      for (std::uint32_t n = 0; n < world.slots.size(); ++n)
        if (world.up(n)) out.push_back(Action{ActionKind::crash, n, 0});
    for (std::uint32_t n = 0; n < world.slots.size(); ++n)
      if (!world.up(n)) out.push_back(Action{ActionKind::restart, n, 0});
  }

  // One line saying what `action` does in `world` (call before step()).
  std::string describe_action(const World<P>& world, const Action& action) const {
    const std::string node = "n" + std::to_string(action.node);
    switch (action.kind) {
      case ActionKind::deliver:
      case ActionKind::drop:
      case ActionKind::duplicate: {
        const InFlight<P>& m = *world.messages[action.index];
        std::string text = std::string(to_string(action.kind)) + " n" +
                           std::to_string(m.from.value) + " -> n" + std::to_string(m.to.value) +
                           " " + describe(m.message);
        if (action.kind == ActionKind::deliver && !world.up(m.to.value))
          text += " (n" + std::to_string(m.to.value) + " is down: lost)";
        return text;
      }
      case ActionKind::timer:
        return "timer " + node + " " +
               describe(world.slots[action.node]->timers[action.index].timer);
      case ActionKind::crash:
        return "crash " + node + " (" + std::string(world.slots[action.node]->node->role()) + ")";
      case ActionKind::restart: return "restart " + node;
      case ActionKind::input:
        return "input " + node + " " + describe(model_.model_inputs[action.index].second);
    }
    return "";
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
      case ActionKind::deliver: {
        FL_ASSERT(action.index < world.messages.size(), "deliver: no such message");
        const InFlight<P>* m = world.messages[action.index];
        if (!model_.sent_set) world.messages.erase(world.messages.begin() + action.index);
        if (!world.up(m->to.value)) return;  // the node is down: the message is lost
        const NodeSlot<P>* before = world.slots[m->to.value];
        NodeSlot<P>& slot = own(world, m->to.value);
        run(world, slot, m->to, [&](typename P::Node& node, Outbox<P>& out) {
          node.on_message(m->from, m->message, out);
        });
        seal_unless_unchanged(world, m->to.value, slot, before);
        return;
      }
      case ActionKind::drop:
        FL_ASSERT(action.index < world.messages.size(), "drop: no such message");
        world.messages.erase(world.messages.begin() + action.index);
        ++world.drops;
        return;
      case ActionKind::duplicate: {
        FL_ASSERT(action.index < world.messages.size(), "duplicate: no such message");
        ++world.duplicates;
        Driver<P>::insert_message(world, model_.copies_max, world.messages[action.index]);
        return;
      }
      case ActionKind::timer: {
        FL_ASSERT(action.index < world.slots[action.node]->timers.size() && world.up(action.node),
                  "timer: not armed or node down");
        const NodeSlot<P>* before = world.slots[action.node];
        NodeSlot<P>& slot = own(world, action.node);
        const typename P::Timer timer = std::move(slot.timers[action.index].timer);
        slot.timers.erase(slot.timers.begin() + action.index);
        if (model_.timers_max != 0) ++world.timers;
        run(world, slot, NodeId{action.node},
            [&](typename P::Node& node, Outbox<P>& out) { node.on_timer(timer, out); });
        seal_unless_unchanged(world, action.node, slot, before);
        return;
      }
      case ActionKind::input: {
        FL_ASSERT(action.index < world.inputs_done.size() && world.inputs_done[action.index] == 0,
                  "input: already delivered");
        world.inputs_done[action.index] = 1;
        const auto& [target, input] = model_.model_inputs[action.index];
        history_.record_input(world, target, action.index);
        const NodeSlot<P>* before = world.slots[target.value];
        NodeSlot<P>& slot = own(world, target.value);
        run(world, slot, target,
            [&](typename P::Node& node, Outbox<P>& out) { node.on_input(input, out); });
        seal_unless_unchanged(world, target.value, slot, before);
        return;
      }
      case ActionKind::crash: {
        FL_ASSERT(world.up(action.node) && world.crashes < model_.crashes_max,
                  "crash: node down or budget spent");
        NodeSlot<P>& slot = own(world, action.node);
        slot.node.reset();
        slot.timers.clear();
        seal(slot);
        ++world.crashes;
        return;
      }
      case ActionKind::restart: {
        FL_ASSERT(!world.up(action.node), "restart: node is up");
        NodeSlot<P>& slot = own(world, action.node);
        start(world, slot, NodeId{action.node});
        seal(slot);
        return;
      }
    }
  }

  // Replaces any slot of `world` that points at a scratch slot by its interned copy.
  void keep(World<P>& world) {
    for (std::uint32_t i = 0; i < world.slots.size(); ++i)
      if (world.slots[i] == &scratch_[i]) world.slots[i] = intern(scratch_[i]);
  }

  std::size_t interned_slots() const { return slots_.size(); }
  std::size_t interned_messages() const { return sent_.table.size(); }

 private:
  // Every permutation of `nodes` (the others fixed), as maps old id -> new id, identity first.
  static std::vector<std::vector<NodeId>> all_renamings(std::uint32_t node_count,
                                                        std::vector<std::uint32_t> nodes) {
    std::sort(nodes.begin(), nodes.end());
    FL_ASSERT(std::adjacent_find(nodes.begin(), nodes.end()) == nodes.end() &&
                  (nodes.empty() || nodes.back() < node_count),
              "symmetric nodes are distinct nodes of the cluster");
    std::vector<std::vector<NodeId>> renamings;
    std::vector<std::uint32_t> images = nodes;
    do {
      std::vector<NodeId> ids(node_count);
      for (std::uint32_t i = 0; i < node_count; ++i) ids[i] = NodeId{i};
      for (std::size_t k = 0; k < nodes.size(); ++k) ids[nodes[k]] = NodeId{images[k]};
      renamings.push_back(std::move(ids));
    } while (std::next_permutation(images.begin(), images.end()));
    return renamings;
  }

  // The least world fingerprint over every renaming of `world` (each computed as
  // world_fingerprint() would on the renamed world). A slot's terms under every renaming are
  // memoised by its key and node (equal keys: equal slots), a message's by its word: few
  // distinct slots and messages occur, so a state costs a few additions per renaming.
  std::uint64_t symmetric_fingerprint(const World<P>& world) {
    const std::size_t count = renamings_.size();
    sums_.assign(count, budget_terms(world));  // budgets and inputs name no node
    for (std::uint32_t i = 0; i < world.slots.size(); ++i) {
      const std::uint64_t* terms = renamed_slot_terms(*world.slots[i], i);
      for (std::size_t r = 0; r < count; ++r) sums_[r] += terms[r];
    }
    for (const InFlight<P>* m : world.messages) {
      const std::uint64_t* words = renamed_message_words(*m);
      for (std::size_t r = 0; r < count; ++r) sums_[r] += words[r];
    }
    std::uint64_t least = ~std::uint64_t{0};
    for (std::size_t r = 0; r < count; ++r) least = std::min(least, mix64(sums_[r]));
    return least;
  }

  // slot_term() of slot `node`, renamed, at its new node, for every renaming.
  const std::uint64_t* renamed_slot_terms(const NodeSlot<P>& slot, std::uint32_t node) {
    const std::uint64_t memo_key = slot_term(slot.key, node);
    if (const std::uint64_t* known = slot_memo_.find(memo_key)) return known;
    std::uint64_t* terms = slot_memo_.add(memo_key, renamings_.size());
    for (std::size_t r = 0; r < renamings_.size(); ++r) {
      std::uint64_t key = slot.key;  // a down node names no one; r == 0 is the identity
      if (slot.node && r != 0) {
        NodeSlot<P> renamed;
        renamed.node = model_.symmetry->rename(*slot.node, renamings_[r]);
        renamed.disk_key = slot.disk_key;
        renamed.disk = slot.disk;
        renamed.timers = slot.timers;  // timers and durables name no node
        seal(renamed);
        key = renamed.key;
      }
      terms[r] = slot_term(key, renamings_[r][node].value);
    }
    return terms;
  }

  const std::uint64_t* renamed_message_words(const InFlight<P>& m) {
    if (const std::uint64_t* known = message_memo_.find(m.word)) return known;
    std::uint64_t* words = message_memo_.add(m.word, renamings_.size());
    for (std::size_t r = 0; r < renamings_.size(); ++r)
      words[r] = InFlight<P>::make(renamings_[r][m.from.value], renamings_[r][m.to.value], m.key,
                                   m.message)
                     .word;
    return words;
  }

  // Two slots are the same value: the same key, node, disk and timers.
  static bool same_slot(const NodeSlot<P>& a, const NodeSlot<P>& b) {
    return a.key == b.key && a.disk_key == b.disk_key && same_timers(a.timers, b.timers) &&
           a.node == b.node &&
           (a.disk == b.disk || (a.disk && b.disk && same_value(*a.disk, *b.disk)));
  }
  static bool same_timers(const std::vector<ArmedTimer<P>>& a,
                          const std::vector<ArmedTimer<P>>& b) {
    return std::equal(
        a.begin(), a.end(), b.begin(), b.end(),
        [](const ArmedTimer<P>& x, const ArmedTimer<P>& y) { return x.key == y.key; });
  }

  const NodeSlot<P>* intern(const NodeSlot<P>& slot) {
    return slots_.intern(slot.key, slot,
                         [&](const NodeSlot<P>& stored) { return same_slot(stored, slot); });
  }

  static bool same_message(const InFlight<P>& a, const InFlight<P>& b) {
    return a.from == b.from && a.to == b.to && a.key == b.key;
  }

  // After a handler ran on a copy of a slot: when the slot is equal to what it was (a stale or
  // duplicate message, a heartbeat with nothing new, a timer that re-armed itself), the world
  // points back at the original, whose key is still right; otherwise the copy is sealed.
  // Comparing is cheaper than hashing, and an unchanged slot costs keep() nothing. (Equality
  // implies equal encodings, hence equal keys, so this never changes a fingerprint.)
  void seal_unless_unchanged(World<P>& world, std::uint32_t node, NodeSlot<P>& slot,
                             const NodeSlot<P>* before) {
    if (slot.disk == before->disk && same_timers(slot.timers, before->timers) &&
        slot.node == before->node) {
      world.slots[node] = before;
      return;
    }
    seal(slot);
  }

  // Copy-on-write: gives `world` a copy of one slot to change, in that node's scratch slot
  // (assignment reuses its buffers: no allocation).
  NodeSlot<P>& own(World<P>& world, std::uint32_t node) {
    if (world.slots[node] != &scratch_[node]) {
      scratch_[node] = *world.slots[node];
      world.slots[node] = &scratch_[node];
    }
    return scratch_[node];
  }

  template <class Handler>
  void run(World<P>& world, NodeSlot<P>& slot, NodeId id, Handler&& handler) {
    outbox_.clear();
    handler(*slot.node, outbox_);
    Driver<P> driver{world, slot, id, model_.copies_max, sent_, history_};
    apply(id, outbox_, driver);
  }

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
  InternTable<NodeSlot<P>> slots_;
  SentMessages<P> sent_;
  HistoryLog<P> history_;
  std::vector<NodeSlot<P>>
      scratch_;  // one per node (a node's slot keeps its shape: cheap to assign)
  // Symmetry only (empty without): every renaming of the interchangeable nodes, and per slot key
  // or message word its keys or words under each renaming.
  std::vector<std::vector<NodeId>> renamings_;
  KeyMemo slot_memo_;     // by slot_term(key, node)
  KeyMemo message_memo_;  // by message word
  std::vector<std::uint64_t> sums_;
};

}  // namespace faultline::explore
