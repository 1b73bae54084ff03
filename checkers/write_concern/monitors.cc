#include "checkers/write_concern/monitors.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

namespace faultline::write_concern {

namespace {

using View = ClusterView<WriteConcern>;
using Entries = std::vector<Entry>;

const Entries no_entries;

// The store a slot names: 2n is node n's live store, 2n+1 its disk (none: empty).
const Entries& slot_entries(const View& view, std::size_t slot) {
  const std::size_t node = slot / 2;
  if (slot % 2 == 0) return view.nodes[node] ? view.nodes[node]->store().entries : no_entries;
  return view.disks[node] ? view.disks[node]->entries : no_entries;
}

// Copies of every store as last seen. follow() calls removed(slot, entry) and then
// added(slot, entry) for what one store changed by since the last call.
class StoreFollower {
 public:
  template <class Removed, class Added>
  void follow(const View& view, std::size_t slot, Removed&& removed, Added&& added) {
    if (seen_.size() < 2 * view.nodes.size()) seen_.resize(2 * view.nodes.size());
    const Entries& now = slot_entries(view, slot);
    Entries& seen = seen_[slot];
    if (now == seen) return;
    const std::size_t common = std::min(now.size(), seen.size());
    std::size_t prefix = 0;
    while (prefix < common && now[prefix] == seen[prefix]) ++prefix;
    std::size_t suffix = 0;
    while (suffix < common - prefix &&
           now[now.size() - 1 - suffix] == seen[seen.size() - 1 - suffix])
      ++suffix;
    for (std::size_t i = prefix; i < seen.size() - suffix; ++i) removed(slot, seen[i]);
    for (std::size_t i = prefix; i < now.size() - suffix; ++i) added(slot, now[i]);
    seen = now;
  }

 private:
  std::vector<Entries> seen_;  // by slot
};

// The monitor around an Index, which has
//   bool remove(std::size_t slot, const Entry&);  // true: may break the property
//   bool add(std::size_t slot, const Entry&);     // likewise
//   bool live(const View&, std::size_t node);    // a changed node's live state, likewise
template <class Index>
class StoreMonitor final : public Monitor<WriteConcern> {
 public:
  bool update(const View& view, std::span<const NodeId> changed) override {
    bool recheck = false;
    const auto removed = [&](std::size_t slot, const Entry& e) {
      recheck = index_.remove(slot, e) || recheck;
    };
    const auto added = [&](std::size_t slot, const Entry& e) {
      recheck = index_.add(slot, e) || recheck;
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
  bool remove(std::size_t slot, const Entry& e) {
    ids.remove(slot, e.id);
    return false;
  }
  bool add(std::size_t slot, const Entry& e) { return ids.add(slot, e.id) > 1; }
  bool live(const View&, std::size_t) { return false; }
};

struct TotalOrderIndex {
  struct Holders {
    MessageId id;
    std::uint32_t count = 0;  // entries (over every store) with this epoch, seq and id
  };
  SlotCounts<Seq> seqs;
  std::map<std::pair<Epoch, Seq>, Holders> order;

  bool remove(std::size_t slot, const Entry& e) {
    seqs.remove(slot, e.seq);
    const auto it = order.find({e.epoch, e.seq});
    if (it != order.end() && it->second.id == e.id && --it->second.count == 0) order.erase(it);
    return false;
  }
  bool add(std::size_t slot, const Entry& e) {
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
struct HonestIndex {
  std::vector<Seq> acknowledged;  // the live primary's acknowledged pending writes, by seq

  bool remove(std::size_t slot, const Entry&) { return slot % 2 == 1; }
  bool add(std::size_t, const Entry&) { return false; }
  bool live(const View& view, std::size_t node) {
    if (node != primary_id.value) return false;
    std::vector<Seq> now;
    if (view.nodes[node])
      for (const Pending& p : view.nodes[node]->pending())
        if (p.acknowledged) now.push_back(p.seq);
    if (now == acknowledged) return false;
    acknowledged = std::move(now);
    return true;
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

}  // namespace faultline::write_concern
