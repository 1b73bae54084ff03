// The query path of a node: admission at the leader, the split down the tree, routing around
// children that fail or do not answer, slice scans, the answer upward and the chunks.
#include <algorithm>
#include <iterator>
#include <utility>

#include "protocols/overlay/node.h"
#include "protocols/overlay/protocol.h"
#include "sim/core/assert.h"

namespace faultline::overlay {

namespace {

// Answers kept for chunk fetches at most; beyond it the oldest is dropped (fetches then fail
// explicitly with found = false).
constexpr std::size_t results_kept_max = 10'000;

std::uint64_t fnv(std::uint64_t hash, std::uint64_t word) {
  for (int byte = 0; byte < 8; ++byte) {
    hash ^= (word >> (8 * byte)) & 0xff;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace

std::uint64_t digest_of(const std::vector<SliceRows>& slices) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const SliceRows& slice : slices)
    for (const Row& row : slice.rows)
      hash = fnv(fnv(hash, slice.slice.value), std::uint64_t{row.key} << 32 | row.value);
  return hash;
}

std::uint32_t row_count(const std::vector<SliceRows>& slices) {
  std::size_t rows = 0;
  for (const SliceRows& slice : slices) rows += slice.rows.size();
  return static_cast<std::uint32_t>(rows);
}

std::vector<SliceRows> chunk_of(const std::vector<SliceRows>& slices, std::uint32_t index,
                                std::uint32_t chunk_size) {
  FL_ASSERT(chunk_size > 0, "chunks hold rows");
  const std::uint64_t first = std::uint64_t{index} * chunk_size;
  const std::uint64_t end = first + chunk_size;
  std::vector<SliceRows> chunk;
  std::uint64_t at = 0;  // the position of the slice's first row in the whole result
  for (const SliceRows& slice : slices) {
    const std::uint64_t from = std::max(first, at);
    const std::uint64_t to = std::min(end, at + slice.rows.size());
    if (from < to)
      chunk.push_back(SliceRows{
          slice.slice, {slice.rows.begin() + (from - at), slice.rows.begin() + (to - at)}});
    at += slice.rows.size();
  }
  return chunk;
}

// ---- admission at the leader --------------------------------------------------------------

void Node::admit_or_queue(const Query& query, Outbox<Overlay>& out) {
  if (pending_.contains(query.id) || results_.contains(query.id)) return;  // a duplicate
  if (query.team >= team_active_.size() || query.limit > limit_max) {
    out.emit(QueryDone{query.id, query.team, Outcome::rejected, 0, 0, 0, 0, {}, 0, 0, 0});
    return;
  }
  if (team_active_[query.team] < team_bound(query.team, 1))
    return start_client_query(query, config_.query_deadline, out);
  if (admission_.size() < config_.admission_queue_max) {
    admission_.push_back(Waiting{query, out.clock()});
    out.set_timer(Deadline{query.id}, config_.query_deadline);
    return;
  }
  out.emit(QueryDone{query.id, query.team, Outcome::rejected, 0, 0, 0, 0, {}, 0, 0, 0});
}

// A query that waited for a slot until its deadline: it fails explicitly, nothing was asked.
void Node::fail_waiting(QueryId id, Outbox<Overlay>& out) {
  const auto it =
      std::ranges::find_if(admission_, [&](const Waiting& w) { return w.query.id == id; });
  if (it == admission_.end()) return;
  QueryDone done{id, it->query.team, Outcome::failed, 0, 0, 0, 0, {}, digest_of({}), 0, 0};
  done.total_records = Tree::in_filter(tree_.subtree(self_), it->query.filter);
  done.missing.push_back(Missing{self_, true});
  admission_.erase(it);
  out.emit(done);
}

// How many queries `team` may have admitted now; `arriving` counts a query of the team asking.
// strict: team_limit each. weighted: the capacity (team_limit per team) in proportion to each
// team's demand (admitted plus waiting). hybrid: strict above 80% load, weighted below.
std::uint32_t Node::team_bound(std::uint32_t team, std::uint32_t arriving) const {
  FL_ASSERT(team < team_active_.size(), "a team of the tree");
  const std::uint64_t capacity = std::uint64_t{config_.team_limit} * team_active_.size();
  std::uint64_t active = 0;
  for (std::uint32_t count : team_active_) active += count;
  Fairness mode = config_.fairness;
  if (mode == Fairness::hybrid)
    mode = active * 100 > capacity * 80 ? Fairness::strict : Fairness::weighted;
  if (mode == Fairness::strict) return config_.team_limit;
  std::uint64_t demand = team_active_[team] + arriving;
  std::uint64_t total = active + arriving + admission_.size();
  for (const Waiting& waiting : admission_) demand += waiting.query.team == team ? 1 : 0;
  const std::uint64_t bound = capacity * demand / std::max<std::uint64_t>(total, 1);
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(bound, 1));
}

void Node::start_client_query(const Query& query, Duration budget, Outbox<Overlay>& out) {
  const std::uint32_t bound = team_bound(query.team, 1);
  ++team_active_[query.team];
  out.emit(QueryStarted{query.id, query.team, team_active_[query.team], bound});
  Pending pending;
  pending.team = query.team;
  pending.filter = query.filter;
  start(query.id, std::move(pending), query.limit, budget, out);
}

// Waiting queries in arrival order, each admitted if its team is under its bound now: a team at
// its bound does not hold up the others.
void Node::admit_waiting(Outbox<Overlay>& out) {
  for (std::size_t i = 0; i < admission_.size();) {
    const Waiting waiting = admission_[i];
    if (team_active_[waiting.query.team] >= team_bound(waiting.query.team, 0)) {
      ++i;
      continue;
    }
    // Started now, with what is left of its deadline (the Deadline timer is set again); with
    // nothing left it stays to fail at its deadline timer, which fires at this instant.
    const Duration left = config_.query_deadline - (out.clock() - waiting.since);
    if (left <= Duration{}) {
      ++i;
      continue;
    }
    admission_.erase(admission_.begin() + static_cast<std::ptrdiff_t>(i));
    out.cancel_timer(Deadline{waiting.query.id});
    start_client_query(waiting.query, left, out);
  }
}

// ---- the split ----------------------------------------------------------------------------

// `budget`: how long the asker waits from now. The leader answers its client at the end of it;
// below the leader a node answers level_margin earlier, so its answer arrives in time.
void Node::start(QueryId id, Pending pending, std::uint32_t limit, Duration budget,
                 Outbox<Overlay>& out) {
  FL_ASSERT(!pending_.contains(id), "a query is started once");
  Duration wait = budget;
  if (pending.asker)
    wait = budget > config_.level_margin * 2 ? budget - config_.level_margin : budget / 2;
  pending.deadline_at = out.clock() + wait;
  Pending& started = pending_.emplace(id, std::move(pending)).first->second;
  for (const Allocation& part : tree_.allocate(self_, started.filter, limit)) {
    if (part.part == self_)
      started.own_limit = part.limit;
    else
      ask(id, started, part, out);
  }
  out.set_timer(Deadline{id}, wait);
  // Last: with scan_time 0 the scan runs now and may answer the query (`started` is gone then).
  if (started.own_limit > 0)
    queue_scan(id, out);
  else
    finish_if_done(id, out);
}

void Node::ask(QueryId id, Pending& pending, Allocation part, Outbox<Overlay>& out) {
  FL_ASSERT(part.part != self_, "a node asks others");
  FL_ASSERT(part.limit > 0, "only parts allocated rows are asked");
  pending.parts.push_back(Part{part.part, part.limit, PartState::waiting, out.clock()});
  if (known_failed(part.part) && config_.bug != Bug::no_reroute)
    return route_around(id, pending, pending.parts.back(), out);
  const Duration remaining = pending.deadline_at - out.clock();
  out.send(part.part, SubQuery{id, pending.filter, part.limit, remaining, std::nullopt});
  ++pending.parts_sent;
  ++parts_sent_total_;
  if (config_.part_timeout < remaining)
    out.set_timer(PartTimeout{id, part.part}, config_.part_timeout);
  if (const auto after = hedge_after(part.part)) out.set_timer(HedgeTimer{id, part.part}, *after);
}

// The child's own slice is recorded missing and its children are asked directly, with the
// shares the child would have given them.
void Node::route_around(QueryId id, Pending& pending, Part& part, Outbox<Overlay>& out) {
  FL_ASSERT(part.state == PartState::waiting, "a part is routed around once");
  part.state = PartState::rerouted;
  const NodeId child = part.node;
  const std::uint32_t limit = part.limit;  // `part` may move as parts are added below
  for (const Allocation& below : tree_.allocate(child, pending.filter, limit)) {
    if (below.part == child)
      pending.missing.push_back(Missing{child, false});
    else
      ask(id, pending, below, out);
  }
}

void Node::on_sub_query(NodeId from, const SubQuery& query, Outbox<Overlay>& out) {
  if (query.slice_of) return answer_hedge(from, query, out);
  if (pending_.contains(query.id)) return;  // a duplicate copy
  if (query.limit == 0 || query.limit > limit_max) return;
  Pending pending;
  pending.asker = from;
  pending.filter = query.filter;
  start(query.id, std::move(pending), query.limit, query.budget, out);
}

void Node::on_sub_result(NodeId from, const SubResult& result, Outbox<Overlay>& out) {
  const auto it = pending_.find(result.id);
  if (it == pending_.end()) return;  // answered already: too late
  Pending& pending = it->second;
  const NodeId answers_for = result.part.value_or(from);  // a hedge answers for its part
  const auto part = std::ranges::find(pending.parts, answers_for, &Part::node);
  if (part == pending.parts.end() || part->state == PartState::answered) return;
  if (part->state == PartState::rerouted && config_.bug != Bug::double_count_on_retry) return;
  if (part->state == PartState::waiting) {
    part->state = PartState::answered;
    last_latency_ = out.clock() - part->sent_at;
    note_latency(last_latency_);
    out.cancel_timer(PartTimeout{result.id, answers_for});
    out.cancel_timer(HedgeTimer{result.id, answers_for});
  }
  pending.slices.insert(pending.slices.end(), result.slices.begin(), result.slices.end());
  pending.missing.insert(pending.missing.end(), result.missing.begin(), result.missing.end());
  pending.parts_sent += result.parts_sent;
  pending.hedges_sent += result.hedges_sent;
  finish_if_done(result.id, out);
}

void Node::on_part_timeout(const PartTimeout& timeout, Outbox<Overlay>& out) {
  if (config_.bug == Bug::no_reroute) return;
  const auto it = pending_.find(timeout.id);
  if (it == pending_.end()) return;
  const auto part = std::ranges::find(it->second.parts, timeout.child, &Part::node);
  if (part == it->second.parts.end() || part->state != PartState::waiting) return;
  route_around(timeout.id, it->second, *part, out);
  finish_if_done(timeout.id, out);
}

// ---- answering ------------------------------------------------------------------------------

void Node::finish_if_done(QueryId id, Outbox<Overlay>& out) {
  const Pending& pending = pending_.at(id);
  if (pending.own_limit > 0 && !pending.own_done) return;
  const bool waiting = std::ranges::any_of(
      pending.parts, [](const Part& part) { return part.state == PartState::waiting; });
  if (!waiting) finish(id, /*at_deadline=*/false, out);
}

void Node::finish(QueryId id, bool at_deadline, Outbox<Overlay>& out) {
  auto node = pending_.extract(id);
  FL_ASSERT(!node.empty(), "a pending query finishes once");
  Pending& pending = node.mapped();
  out.cancel_timer(Deadline{id});
  if (pending.own_limit > 0 && !pending.own_done) pending.missing.push_back(Missing{self_, false});
  for (const Part& part : pending.parts) {
    if (part.state != PartState::waiting) continue;
    pending.missing.push_back(Missing{part.node, true});
    out.cancel_timer(PartTimeout{id, part.node});
    out.cancel_timer(HedgeTimer{id, part.node});
  }
  std::ranges::stable_sort(pending.slices, {}, &SliceRows::slice);
  std::ranges::sort(pending.missing);
  pending.missing.erase(std::unique(pending.missing.begin(), pending.missing.end()),
                        pending.missing.end());
  if (pending.asker)
    return out.send(*pending.asker, SubResult{id, pending.slices, pending.missing, std::nullopt,
                                              pending.parts_sent, pending.hedges_sent});
  answer_client(id, pending, at_deadline, out);
}

void Node::answer_client(QueryId id, const Pending& pending, bool at_deadline,
                         Outbox<Overlay>& out) {
  QueryDone done{id, pending.team,       Outcome::complete,  row_count(pending.slices), 0, 0, 0, {},
                 0,  pending.parts_sent, pending.hedges_sent};
  done.total_records = Tree::in_filter(tree_.subtree(self_), pending.filter);
  const std::uint64_t missing = tree_.missing_in_filter(pending.filter, pending.missing);
  FL_ASSERT(missing <= done.total_records, "no more is missing than there is");
  done.covered_records = done.total_records - missing;
  done.missing = pending.missing;
  if (!done.missing.empty())
    done.outcome = done.covered_records == 0 ? Outcome::failed : Outcome::partial;
  if (config_.bug == Bug::partial_claims_full) {
    done.outcome = Outcome::complete;
    done.covered_records = done.total_records;
    done.missing.clear();
  }
  done.digest = digest_of(pending.slices);
  done.chunks = (done.rows + config_.chunk_size - 1) / config_.chunk_size;
  if (done.chunks > 0) {
    if (results_.size() >= results_kept_max) results_.erase(results_.begin());
    results_[id] = Stored{pending.slices, done.digest, done.chunks, 0};
  }
  out.emit(done);
  const bool leaks = at_deadline && config_.bug == Bug::slot_leak_on_cancel;
  FL_ASSERT(team_active_[pending.team] > 0, "an admitted query holds a slot");
  if (!leaks) --team_active_[pending.team];
  admit_waiting(out);
}

void Node::on_fetch(const FetchChunk& fetch, Outbox<Overlay>& out) {
  const auto it = results_.find(fetch.id);
  if (it == results_.end() || fetch.index >= it->second.chunks) {
    out.emit(Chunk{fetch.id, fetch.index, false, 0, {}});
    return;
  }
  Stored& stored = it->second;
  out.emit(Chunk{fetch.id, fetch.index, true, stored.digest,
                 chunk_of(stored.slices, fetch.index, config_.chunk_size)});
  if (++stored.fetched >= stored.chunks) results_.erase(it);
}

// ---- slice scans ----------------------------------------------------------------------------

// With scan_time 0 a scan costs nothing and runs at once (no timer: the model checker's paths
// stay short); otherwise scans queue and run one at a time.
void Node::queue_scan(QueryId id, Outbox<Overlay>& out) {
  if (config_.scan_time == Duration{}) return scan_own_slice(id, out);
  scans_.push_back(id);
  if (scans_.size() == 1) out.set_timer(ScanDone{}, config_.scan_time);
}

void Node::on_scan_done(Outbox<Overlay>& out) {
  FL_ASSERT(!scans_.empty(), "a scan finishes only while one runs");
  const QueryId id = scans_.front();
  scans_.erase(scans_.begin());
  if (!scans_.empty()) out.set_timer(ScanDone{}, config_.scan_time);
  scan_own_slice(id, out);
}

void Node::scan_own_slice(QueryId id, Outbox<Overlay>& out) {
  const auto it = pending_.find(id);
  if (it == pending_.end() || it->second.own_done) return;  // answered without it meanwhile
  Pending& pending = it->second;
  std::vector<Row> rows = tree_.scan(self_, pending.filter, pending.own_limit);
  if (!rows.empty()) pending.slices.push_back(SliceRows{self_, std::move(rows)});
  pending.own_done = true;
  finish_if_done(id, out);
}

}  // namespace faultline::overlay
