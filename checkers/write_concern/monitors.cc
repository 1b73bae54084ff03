#include "checkers/write_concern/monitors.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

namespace faultline::write_concern {

namespace {

using View = ClusterView<WriteConcern>;
using Entries = ChunkedVector<Entry>;  // a copy shares chunks with the store

const Store no_store;

// The store a slot names: 2n is node n's live store, 2n+1 its disk (none: empty).
const Store& slot_store(const View& view, std::size_t slot) {
  const std::size_t node = slot / 2;
  if (slot % 2 == 0) return view.nodes[node] ? view.nodes[node]->store() : no_store;
  return view.disks[node] ? *view.disks[node] : no_store;
}

// Copies of every store as last seen. follow() calls removed(slot, entry) and then
// added(slot, entry) for what one store changed by since the last call.
class StoreFollower {
 public:
  template <class Removed, class Added>
  void follow(const View& view, std::size_t slot, Removed&& removed, Added&& added) {
    if (seen_.size() < 2 * view.nodes.size()) {
      seen_.resize(2 * view.nodes.size());
      revisions_.resize(2 * view.nodes.size());
    }
    const Store& store = slot_store(view, slot);
    const Entries& now = store.entries;
    Entries& seen = seen_[slot];
    // Most events leave a store alone: its revision says so in O(1). A store's revision grows
    // with each change in one node's lifetime; a node that restarts with a fresh store was
    // seen down (empty) in between, so an equal revision and size mean equal entries.
    if (store.revision == revisions_[slot] && now.size() == seen.size()) return;
    revisions_[slot] = store.revision;
    const std::size_t common = std::min(now.size(), seen.size());
    const std::size_t prefix = now.common_prefix(seen);  // shared chunks skipped
    if (prefix == now.size() && prefix == seen.size()) return;
    std::size_t suffix = 0;
    while (suffix < common - prefix &&
           now[now.size() - 1 - suffix] == seen[seen.size() - 1 - suffix])
      ++suffix;
    for (std::size_t i = prefix; i < seen.size() - suffix; ++i) removed(slot, seen[i]);
    for (std::size_t i = prefix; i < now.size() - suffix; ++i) added(slot, now[i]);
    seen = now;
  }

 private:
  std::vector<Entries> seen_;             // by slot
  std::vector<std::uint64_t> revisions_;  // by slot: the store's revision when last seen
};

// The monitor around an Index, which has
//   bool remove(const View&, std::size_t slot, const Entry&);  // true: may break the property
//   bool add(const View&, std::size_t slot, const Entry&);     // likewise
//   bool live(const View&, std::size_t node);    // a changed node's live state, likewise
template <class Index>
class StoreMonitor final : public Monitor<WriteConcern> {
 public:
  bool update(const View& view, std::span<const NodeId> changed) override {
    bool recheck = false;
    const auto removed = [&](std::size_t slot, const Entry& e) {
      recheck = index_.remove(view, slot, e) || recheck;
    };
    const auto added = [&](std::size_t slot, const Entry& e) {
      recheck = index_.add(view, slot, e) || recheck;
    };
    for (const NodeId id : changed) {
      follower_.follow(view, 2 * id.value, removed, added);
      follower_.follow(view, 2 * id.value + 1, removed, added);
      recheck = index_.live(view, id.value) || recheck;
    }
    return recheck;
  }

 private:
  Index index_;
  StoreFollower follower_;
};

// Counts of keys, by slot.
template <class Key>
class SlotCounts {
 public:
  // Returns the key's count in the slot after adding one.
  std::uint32_t add(std::size_t slot, const Key& key) {
    if (counts_.size() <= slot) counts_.resize(slot + 1);
    return ++counts_[slot][key];
  }
  void remove(std::size_t slot, const Key& key) {
    auto& counts = counts_[slot];
    const auto it = counts.find(key);
    if (it != counts.end() && --it->second == 0) counts.erase(it);
  }

 private:
  std::vector<std::map<Key, std::uint32_t>> counts_;
};

struct NoDuplicatesIndex {
  SlotCounts<MessageId> ids;
  bool remove(const View&, std::size_t slot, const Entry& e) {
    if (e.id != filler_id) ids.remove(slot, e.id);
    return false;
  }
  bool add(const View&, std::size_t slot, const Entry& e) {
    return e.id != filler_id && ids.add(slot, e.id) > 1;
  }
  bool live(const View&, std::size_t) { return false; }
};

struct TotalOrderIndex {
  struct Holders {
    MessageId id;
    std::uint32_t count = 0;  // entries (over every store) with this epoch, seq and id
  };
  SlotCounts<Seq> seqs;
  std::map<std::pair<Epoch, Seq>, Holders> order;

  bool remove(const View&, std::size_t slot, const Entry& e) {
    seqs.remove(slot, e.seq);
    const auto it = order.find({e.epoch, e.seq});
    if (it != order.end() && it->second.id == e.id && --it->second.count == 0) order.erase(it);
    return false;
  }
  bool add(const View&, std::size_t slot, const Entry& e) {
    const bool twice = seqs.add(slot, e.seq) > 1;
    Holders& holders = order[{e.epoch, e.seq}];
    if (holders.count > 0 && holders.id != e.id) return true;  // the check fails: keep the first
    holders.id = e.id;
    holders.count += 1;
    return twice;
  }
  bool live(const View& view, std::size_t node) {
    if (!view.nodes[node]) return false;
    const Node& live = *view.nodes[node];
    const Seq delivered = live.delivered();
    if (delivered == Seq{}) return false;
    const auto& entries = live.store().entries;
    const std::size_t d = static_cast<std::size_t>(delivered.value);
    return entries.size() < d || entries[d - 1].seq != delivered;
  }
};

// write_concern_honest fails when an acknowledged write is held by fewer disks than its w: it
// can start failing only when the primary acknowledges a write or a disk loses an entry.
// Each acknowledged write is verified here once, when the monitor first sees it acknowledged
// (w disks hold it at its seq, found by binary search), and `check` runs only if one is short
// or a disk lost an entry: a run with thousands of writes pending does not re-read them all
// after each acknowledgement.
struct HonestIndex {
  std::set<std::tuple<std::size_t, Seq, MessageId>> verified;  // (node, seq, id)
  std::vector<std::uint64_t> acknowledgements;                 // by node, at the last look

  bool remove(const View&, std::size_t slot, const Entry&) {
    if (slot % 2 == 0) return false;
    verified.clear();  // a disk lost an entry: every acknowledged write is judged again
    return true;
  }
  bool add(const View&, std::size_t, const Entry&) { return false; }
  bool live(const View& view, std::size_t node) {
    acknowledgements.resize(view.nodes.size());
    if (!view.nodes[node] || !view.nodes[node]->is_primary()) return false;
    const std::uint64_t acks = view.nodes[node]->acknowledgements();
    if (acks == acknowledgements[node]) return false;  // no new acknowledgement: O(1)
    acknowledgements[node] = acks;
    for (const Pending& p : view.nodes[node]->pending()) {
      if (!p.acknowledged || verified.contains({node, p.seq, p.id})) continue;
      std::uint32_t held = 0;
      for (const auto& disk : view.disks) held += disk && disk->find(p.seq, p.id) != nullptr;
      if (held < p.w) return true;
      verified.insert({node, p.seq, p.id});
    }
    return false;
  }
};

// majority_acks_kept fails when a live primary lacks a write that a primary of an older epoch
// acknowledged with w at least a majority: it can start failing when a primary's set of such
// writes changes, when a node becomes a primary, or when a primary's store loses an entry.
struct MajorityAcksIndex {
  std::vector<std::vector<Seq>> acknowledged;   // by node: pending writes acked with w >= majority
  std::vector<std::uint8_t> primary;            // by node: a live primary at the last look
  std::vector<Seq> scratch;                     // reused: no allocation per event
  std::vector<std::uint64_t> acknowledgements;  // by node, at the last look

  bool remove(const View& view, std::size_t slot, const Entry&) {
    return slot % 2 == 0 && is_primary(view, slot / 2);
  }
  bool add(const View&, std::size_t, const Entry&) { return false; }
  bool live(const View& view, std::size_t node) {
    acknowledged.resize(view.nodes.size());
    primary.resize(view.nodes.size());
    acknowledgements.resize(view.nodes.size());
    const bool now = is_primary(view, node);
    const bool became = now && primary[node] == 0;
    primary[node] = now;
    // The set of acknowledged writes grows only by an acknowledgement, and shrinks only as
    // writes are forgotten (which cannot break the property): an unchanged count skips it.
    const std::uint64_t acks = now ? view.nodes[node]->acknowledgements() : 0;
    if (acks == acknowledgements[node] && !became) return false;
    acknowledgements[node] = acks;
    scratch.clear();
    const std::size_t majority = view.nodes.size() / 2 + 1;
    if (now)
      for (const Pending& p : view.nodes[node]->pending())
        if (p.acknowledged && p.w >= majority) scratch.push_back(p.seq);
    if (scratch == acknowledged[node]) return became;
    std::swap(acknowledged[node], scratch);
    return true;
  }
  static bool is_primary(const View& view, std::size_t node) {
    return view.nodes[node] && view.nodes[node]->is_primary();
  }
};

template <class Index>
MonitorFactory store_monitor() {
  return [] { return std::make_unique<StoreMonitor<Index>>(); };
}

}  // namespace

MonitorFactory no_duplicates_monitor() { return store_monitor<NoDuplicatesIndex>(); }
MonitorFactory total_order_monitor() { return store_monitor<TotalOrderIndex>(); }
MonitorFactory write_concern_honest_monitor() { return store_monitor<HonestIndex>(); }
MonitorFactory majority_acks_kept_monitor() { return store_monitor<MajorityAcksIndex>(); }

}  // namespace faultline::write_concern
