// End to end over real processes (loopback only): `faultline cluster up` starts a 3-node
// write-concern cluster with failover on, `faultline client` drives the closed-loop workload
// (posts with w=2, a majority, and reads) and records the history. Under that load a secondary
// is SIGKILLed and restarted (it catches up), then the primary is SIGKILLed: a secondary is
// promoted in a newer epoch, the clients move to it, and the old primary, restarted with
// `cluster up`, recovers its durable store, is fenced and reconciles. Then the checkers judge
// what happened: acknowledged_writes_kept over the recorded history and the final nodes (no
// write acknowledged with w=2 is lost), and the always-properties over the final nodes (from
// status replies) and their durable stores.
//
// Every connection authenticates (the cluster file's auth: names a key file). Every wait polls
// a condition against a generous deadline (a loaded 2-core CI machine is slow, not wrong);
// nothing is asserted on wall-clock durations. The binary comes from FAULTLINE_BINARY.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <iostream>
#include <string>

#include "checkers/write_concern/binding.h"
#include "protocols/write_concern/protocol.h"
#include "sim/real/durable_log.h"
#include "sim/real/history_io.h"
#include "sim/real/process.h"
#include "tests/support/cluster_process.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using namespace faultline::real::testing;
namespace wc = faultline::write_concern;

namespace {

struct Story : ClusterStory<WriteConcern> {
  const std::vector<std::uint32_t> all{0, 1, 2};
  std::vector<std::optional<LiveNode<WriteConcern>>> live =
      std::vector<std::optional<LiveNode<WriteConcern>>>(3);
};

void write_cluster(Story& story) {
  // Heartbeats every 100 ms: a dead primary is replaced after about half a second; clients
  // retry after 500 ms of silence, moving round the cluster. The workload runs 30 s so the
  // phases' waits for acknowledgements end inside it on a loaded machine (at 12 s they once
  // outlasted it beside the other end-to-end tests); frames up to 16 MiB let the status replies
  // carry the stores that long a workload grows (beyond 1 MiB they leave the state out).
  write_authenticated_cluster(
      story, 5,
      "config: { failover: true, heartbeat_interval: 100ms, replication_timeout: 200ms }\n"
      "workload: { clients: 6, duration: 30s, think_time: [0ms, 5ms], w: [2], read_percent: 20, "
      "request_timeout: 500ms }\n"
      "runtime: { reconnect_backoff_min: 20ms, reconnect_backoff_max: 200ms, "
      "frame_bytes_max: 16777216 }\n");
}

std::optional<LiveNode<WriteConcern>> status_of(const Story& story, std::uint32_t index) {
  return faultline::real::testing::status_of<WriteConcern>(story.cluster, story.config, index,
                                                           Duration::from_seconds(3));
}

// The live primary of the newest epoch among `among`, if no node knows of a newer epoch.
std::optional<std::pair<std::uint32_t, wc::Epoch>> find_primary(
    const Story& story, const std::vector<std::uint32_t>& among) {
  std::optional<std::pair<std::uint32_t, wc::Epoch>> best;
  wc::Epoch newest;
  for (std::uint32_t i : among) {
    auto live = status_of(story, i);
    if (!live) continue;
    newest = std::max(newest, live->node.newest());
    if (live->node.is_primary() && (!best || live->node.store().epoch > best->second))
      best = std::pair{i, live->node.store().epoch};
  }
  if (best && best->second < newest) return std::nullopt;  // a newer epoch is being decided
  return best;
}

std::size_t ok_posts(const History<WriteConcern>& history) {
  std::size_t n = 0;
  for (const auto& e : history.emissions)
    if (const auto* r = std::get_if<wc::PostReply>(&e.output); r && r->status == wc::PostStatus::ok)
      ++n;
  return n;
}

// Waits until the client has `count` more acknowledged posts than now.
void wait_for_acknowledgements(const Story& story, std::size_t count) {
  std::size_t start = 0;
  if (auto history = read_history_jsonl<WriteConcern>(story.history_path))
    start = ok_posts(*history);
  REQUIRE(poll_until(
      [&] {
        auto history = read_history_jsonl<WriteConcern>(story.history_path);
        return history && ok_posts(*history) >= start + count;
      },
      std::chrono::seconds(60)));
}

void cluster_up(const Story& story) {
  REQUIRE(run_faultline({"cluster", "up", story.cluster_path}, story.dir.path + "/up.log") == 0);
}

// A secondary dies and comes back; w=2 writes go on through the other secondary meanwhile.
void kill_and_restart_a_secondary(const Story& story) {
  std::optional<std::pair<std::uint32_t, wc::Epoch>> primary;
  REQUIRE(poll_until([&] { return (primary = find_primary(story, story.all)).has_value(); },
                     std::chrono::seconds(30)));
  const std::uint32_t victim = (primary->first + 1) % 3;
  kill_and_reap(node_pid(story.cluster, victim));
  wait_for_acknowledgements(story, 100);
  cluster_up(story);
  std::cout << "write_concern e2e: SIGKILL n" << victim << " (secondary), restarted\n";
}

// The primary dies: a secondary is promoted in a newer epoch; the old primary restarts from its
// durable store and is fenced.
void fail_over_and_restart(const Story& story) {
  std::optional<std::pair<std::uint32_t, wc::Epoch>> primary;
  REQUIRE(poll_until([&] { return (primary = find_primary(story, story.all)).has_value(); },
                     std::chrono::seconds(30)));
  const auto [victim, epoch] = *primary;
  kill_and_reap(node_pid(story.cluster, victim));
  std::vector<std::uint32_t> survivors;
  for (std::uint32_t i : story.all)
    if (i != victim) survivors.push_back(i);
  std::uint32_t successor = 0;
  wc::Epoch successor_epoch;
  REQUIRE(poll_until(
      [&] {
        const auto next = find_primary(story, survivors);
        if (!next || next->second <= epoch) return false;
        successor = next->first;
        successor_epoch = next->second;
        return true;
      },
      std::chrono::seconds(30)));
  wait_for_acknowledgements(story, 100);
  cluster_up(story);
  std::optional<LiveNode<WriteConcern>> restarted;
  REQUIRE(poll_until([&] { return (restarted = status_of(story, victim)).has_value(); },
                     std::chrono::seconds(30)));
  CHECK(restarted->reply.recovered);
  CHECK(restarted->node.store().epoch >= epoch);
  std::cout << "write_concern e2e: SIGKILL n" << victim << " (primary of epoch " << epoch.value
            << ") -> n" << successor << " promoted in epoch " << successor_epoch.value << "\n";
}

// The cluster settles: one primary, and the others follow it, reconciled, holding its log.
void wait_until_settled(Story& story) {
  auto& live = story.live;
  REQUIRE(poll_until(
      [&] {
        for (std::uint32_t i : story.all) live[i] = status_of(story, i);
        const auto primary = find_primary(story, story.all);
        if (!primary) return false;
        const auto& log = live[primary->first];
        if (!log) return false;
        for (const auto& n : live)
          if (!n || n->node.store().synced != primary->second ||
              n->node.store().entries != log->node.store().entries)
            return false;
        return true;
      },
      std::chrono::seconds(30)));
}

void judge(const Story& story) {
  auto history = read_history_jsonl<WriteConcern>(story.history_path);
  REQUIRE(history.has_value());
  const std::size_t acknowledged = ok_posts(*history);
  INFO("history: " << history->invocations.size() << " invocations, " << acknowledged
                   << " acknowledged posts");
  CHECK(acknowledged > 300);

  const auto at_rest = final_state<WriteConcern>(story.cluster, story.live);
  const wc::View view = at_rest.view();
  const auto suite = wc::check_suite(story.config);
  check_properties<WriteConcern>(view, suite, {PropertyKind::always});

  const auto names = story.cluster.node_names();
  const Time end = history->emissions.empty() ? Time{} : history->emissions.back().time;
  const wc::Record record{*history, view, {}, names, end, end};
  check_history_checks<WriteConcern>(record, suite, {"acknowledged_writes_kept"});
  const auto lost = wc::lost_acknowledged_writes(record);
  CHECK(lost.empty());  // every post was w=2, a majority
  std::cout << "write_concern e2e: " << acknowledged << " posts acknowledged with w=2, "
            << history->invocations.size() << " invocations, " << lost.size() << " lost\n";
}

}  // namespace

TEST_CASE(
    "write_concern cluster: 3 real processes under w=2 load, SIGKILL a secondary, then the "
    "primary (failover), checkers pass") {
  REQUIRE_FALSE(faultline_binary().empty());
  Story story;
  write_cluster(story);
  cluster_up(story);
  const pid_t client = start_client(story);
  ClusterCleanup cleanup(story.cluster_path, story.dir.path + "/down.log", client);

  wait_for_acknowledgements(story, 200);
  kill_and_restart_a_secondary(story);
  fail_over_and_restart(story);
  wait_for_client_exit(cleanup, client);
  wait_until_settled(story);
  judge(story);
  check_nodes_authenticated(story.cluster);
}
